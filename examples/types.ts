import type { MultiStageImageArgs } from "../src";

/** How an example is built: the component args, and the offline base images used in tests. */
export interface ExampleSettings {
  /** Component args (plain values) shared by the Pulumi program and the local runner. */
  args: Pick<MultiStageImageArgs, "environments" | "tags" | "tagStrategy" | "devTargets"> & {
    context: string;
    target?: string;
    dockerfile?: string;
    buildArgs?: Record<string, string>;
  };
  /** Build args that swap Docker Hub base images for the offline ones `scripts/base-images.sh` makes. */
  localBaseImages: Record<string, string>;
}
