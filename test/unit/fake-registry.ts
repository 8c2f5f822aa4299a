/** A registry served from the test process on 127.0.0.1, answering as each test needs. */
import { strict as assert } from "assert";
import * as http from "http";
import type { AddressInfo } from "net";
import { RegistryError } from "../../src/registry";

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A registry on a free loopback port answering with `handler`; the requests it saw. */
export async function fakeRegistry(
  handler: Handler,
): Promise<{ server: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const srv = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as AddressInfo;
  return {
    server: `127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((resolve) => srv.close(() => resolve())),
  };
}

/** The `RegistryError` that `run` rejects with; fails the test when it does not. */
export async function registryFailure(run: () => Promise<unknown>): Promise<RegistryError> {
  try {
    await run();
  } catch (err) {
    assert.ok(err instanceof RegistryError, String(err));
    return err;
  }
  assert.fail("expected a RegistryError");
}
