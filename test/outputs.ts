/** Read Outputs in tests through public Pulumi APIs only. */
import * as pulumi from "@pulumi/pulumi";

/** The value of `output`; rejects with the error the Output failed with. */
export function value<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    pulumi
      .recover(output, (err: unknown) => {
        reject(err);
        return new Promise<T>(() => undefined);
      })
      .apply((v) => resolve(v));
  });
}
