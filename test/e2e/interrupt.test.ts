/**
 * A cancelled `pulumi up`: Ctrl-C twice while the image builds (the first asks Pulumi to
 * finish what runs, the second stops it and its plugins). Nothing is left behind (no build
 * process, no private Docker config with the login or the build secret), and the next `up`
 * completes. The real engine, registry and Pulumi CLI.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Stack } from "@pulumi/pulumi/automation";
import { type Engine, requireEngine } from "../integration/engine";
import { configDirsHolding, runningProcesses } from "../integration/faults";
import { localRegistryStack, requireE2eWorkspace } from "./workspace";

const REPOSITORY_PATH = `multistage-e2e/interrupt-${Date.now().toString(36)}`;
const SECRET = `interrupt-e2e-${Date.now().toString(36)}`;

/** Every private Docker config file that holds the build secret. */
const secretLeftovers = (): string[] => configDirsHolding(SECRET).secretFiles;

describe("E2E: a cancelled pulumi up leaves nothing behind", function () {
  this.timeout(900_000);
  let engine: Engine;
  let stack: Stack;
  let root: string;
  let context: string;

  before(async function () {
    engine = requireEngine(this);
    const workspace = requireE2eWorkspace(this, engine, "interrupt", {
      MULTISTAGE_GIT_SHA: "1a7e000000000000000000000000000000000001",
    });
    root = workspace.root;
    context = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-interrupt-app-"));
    fs.writeFileSync(
      path.join(context, "Dockerfile"),
      `FROM multistage-local/busybox:1 AS dev\nRUN --mount=type=secret,id=TOKEN echo ${Date.now()} && sleep 15 && test -s /run/secrets/TOKEN\n`,
    );
    stack = await localRegistryStack(
      workspace,
      engine,
      { stackName: "dev", projectName: "multistage-interrupt", repositoryPath: REPOSITORY_PATH },
      { context, secrets: { TOKEN: SECRET } },
    );
  });

  after(async () => {
    await stack?.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
    if (root) fs.rmSync(root, { recursive: true, force: true });
    if (context) fs.rmSync(context, { recursive: true, force: true });
  });

  it("Ctrl-C twice during the build: no build process or secret left; the next up completes", async () => {
    let printed = "";
    const up = stack.up({ onOutput: (out) => (printed += out) }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    const started = Date.now();
    while (!printed.includes("building stage") && Date.now() - started < 120_000)
      await new Promise((r) => setTimeout(r, 100));
    assert.ok(printed.includes("building stage"), `the build did not start: ${printed}`);
    assert.equal(secretLeftovers().length, 1, "while the build runs, its secret file exists");
    const cli = runningProcesses().find((p) => p.ppid === process.pid && /\bpulumi\b.*\bup\b/.test(p.args));
    assert.ok(cli, "the pulumi CLI process");
    process.kill(cli.pid, "SIGINT");
    await new Promise((r) => setTimeout(r, 500));
    process.kill(cli.pid, "SIGINT");
    const err = await up;
    assert.ok(err, "the up was cancelled");
    await new Promise((r) => setTimeout(r, 2000));
    const building = runningProcesses().filter((p) => p.args.includes(context));
    assert.deepEqual(building, [], "a build of the cancelled up still runs");
    assert.deepEqual(secretLeftovers(), [], "the build secret is left on disk");

    const next = await stack.up();
    assert.match(next.outputs.digest.value as string, /^sha256:[0-9a-f]{64}$/);
  });
});
