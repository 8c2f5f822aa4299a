/**
 * Ctrl-C once during `pulumi up` (Pulumi's graceful cancel: it asks each provider to cancel and
 * waits for what runs) of a YAML program, whose image resource the package's own provider
 * (`pulumi-resource-multistage`, from the packed tarball) serves: the engine's Cancel reaches the
 * publish pipeline, which stops before its next step. No release tag is pushed and the state keeps
 * no image; the next `up` finds the image the cancelled one built by its inputs and releases it.
 * Without the cancellation wired, the in-flight create runs to its end: the release tags are pushed
 * and the image is recorded. (A TypeScript program's image resource is served by Pulumi's
 * dynamic-provider host, which answers Cancel without passing it on; interrupt.test.ts covers it.)
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { findManifest } from "../../src/registry";
import { consumerOn, newestSdk } from "../consumer";
import { type Engine, requireEngine } from "../integration/engine";
import { type E2eWorkspace, requireE2eWorkspace } from "./workspace";

const GIT_SHA = "ca9ce10000000000000000000000000000000001";

const PROGRAM = `name: multistage-cancel
runtime: yaml
packages:
  multistage: ./node_modules/pulumi-multistage-image/bin
config:
  repository:
    type: string
  username:
    type: string
  password:
    type: string
    secret: true
  context:
    type: string
resources:
  app:
    type: multistage:index:MultiStageImage
    properties:
      context: \${context}
      gitSha: ${GIT_SHA}
      registry:
        repository: \${repository}
        username: \${username}
        password: \${password}
outputs:
  digest: \${app.digest}
  tags: \${app.tags}
  rebuildReason: \${app.rebuildReason}
`;

describe("E2E: Ctrl-C during pulumi up of a YAML program stops the publish before its next step", function () {
  this.timeout(900_000);
  const REPOSITORY_PATH = `multistage-e2e/cancel-${Date.now().toString(36)}`;
  let engine: Engine;
  let workspace: E2eWorkspace;
  let stack: Stack;
  let program: string;

  before(async function () {
    engine = requireEngine(this);
    workspace = requireE2eWorkspace(this, engine, "cancel");
    const consumer = consumerOn(newestSdk());
    program = path.join(workspace.root, "yaml-cancel");
    fs.mkdirSync(path.join(program, "app"), { recursive: true });
    fs.writeFileSync(path.join(program, "Pulumi.yaml"), PROGRAM);
    fs.symlinkSync(path.join(consumer.dir, "node_modules"), path.join(program, "node_modules"));
    // A build that outlasts the Ctrl-C: the cancel arrives while it runs.
    fs.writeFileSync(
      path.join(program, "app", "Dockerfile"),
      `FROM multistage-local/busybox:1 AS dev\nRUN echo ${Date.now()} && sleep 12\n`,
    );
    stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "dev", workDir: program },
      { envVars: workspace.env },
    );
    await stack.setAllConfig({
      repository: { value: `${engine.registry.server}/${REPOSITORY_PATH}` },
      username: { value: engine.registry.username },
      password: { value: engine.registry.password, secret: true },
      context: { value: path.join(program, "app") },
    });
  });

  after(async () => {
    await stack?.destroy().catch(() => undefined);
    await stack?.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
    if (workspace) fs.rmSync(workspace.root, { recursive: true, force: true });
  });

  it("the engine's Cancel reaches the pipeline: no release tag, no image in the state; the next up releases the built image", async () => {
    let printed = "";
    const ctrlC = new AbortController();
    const up = stack.up({ onOutput: (out) => (printed += out), signal: ctrlC.signal }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    // The plugin's own status lines stay in its log: wait for the image resource's create, then for the build.
    const started = Date.now();
    while (!/DockerCliImage app-image creating/.test(printed) && Date.now() - started < 120_000)
      await new Promise((r) => setTimeout(r, 100));
    assert.match(printed, /DockerCliImage app-image creating/, "the image resource's create did not start");
    await new Promise((r) => setTimeout(r, 3000));
    ctrlC.abort(); // one SIGINT to the CLI: Pulumi's graceful cancel
    const err = await up;
    assert.ok(err, `the up was not cancelled:\n${printed}`);
    const said = `${printed}\n${err.message}`;
    const stopped = /publishing was cancelled before its (\w+(?: gate)?) step: nothing from that step on ran/.exec(
      said,
    );
    assert.ok(stopped, `not stopped between steps:\n${said}`);
    // Stopped after the build (as the sleep makes likely): the image is pushed under its inputs tag only.
    const built = !["lookup", "gate", "build"].includes(stopped[1]);
    const access = engine.registry;
    assert.equal(
      await findManifest(REPOSITORY_PATH, `dev-${GIT_SHA.slice(0, 12)}`, access),
      undefined,
      "a release tag",
    );
    const state = (await stack.exportStack()).deployment as { resources?: Array<{ type: string; outputs?: object }> };
    const images = (state.resources ?? []).filter((r) => r.type === "multistage:index:DockerCliImage");
    assert.deepEqual(images, [], "the cancelled image is not in the state");

    const next = await stack.up();
    assert.match(next.outputs.digest.value as string, /^sha256:[0-9a-f]{64}$/);
    // What the cancelled up built is found by its inputs, not built again.
    if (built) assert.match(next.outputs.rebuildReason.value as string, /^reused: the registry holds inputs-/);
    assert.ok(
      await findManifest(REPOSITORY_PATH, `dev-${GIT_SHA.slice(0, 12)}`, access),
      "the next up gives the image its release tag",
    );
  });
});
