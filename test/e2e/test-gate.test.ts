/**
 * The test gate with the real engine: on production, `pulumi up` builds the test stage
 * first; a failing test stops the update with its output, and the registry keeps what it had.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { manifestDigest } from "../../src/registry";
import { type Engine, requireEngine } from "../integration/engine";
import { requireE2eWorkspace } from "./workspace";
import { parseImageReference } from "../../src/plan";

const REPOSITORY_PATH = `multistage-e2e/gate-${Date.now().toString(36)}`;
const DOCKERFILE = `FROM multistage-local/busybox:1 AS build
COPY app.txt /app.txt
FROM build AS test
COPY result.txt /result.txt
RUN echo "ok 1 - builds"; grep -q pass /result.txt || (echo "not ok 2 - TESTS FAILED: $(cat /result.txt)"; i=0; while [ $i -lt 20 ]; do i=$((i+1)); echo "# teardown $i"; done; exit 1)
FROM multistage-local/busybox:1 AS release
COPY --from=build /app.txt /app.txt
`;

describe("E2E: the test gate stops a production push", function () {
  this.timeout(900_000);
  let engine: Engine;
  let work: string;
  let app: string;
  let stack: Stack;

  before(async function () {
    engine = requireEngine(this);
    const workspace = requireE2eWorkspace(this, engine, "gate", {
      MULTISTAGE_GIT_SHA: "9a7e000000000000000000000000000000000001",
    });
    work = workspace.root;
    app = path.join(work, "app");
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, "Dockerfile"), DOCKERFILE);
    fs.writeFileSync(path.join(app, "app.txt"), "v1\n");
    fs.writeFileSync(path.join(app, "result.txt"), "pass\n");
    const registry = engine.registry;
    stack = await LocalWorkspace.createOrSelectStack(
      {
        stackName: "production",
        projectName: "multistage-test-gate",
        program: async () => {
          // The built package, as a user's program imports it.
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const { MultiStageImage } = require("pulumi-multistage-image") as typeof import("../../src");
          const image = new MultiStageImage("gated", {
            context: app,
            backend: "docker-cli",
            registry: {
              repository: `${registry.server}/${REPOSITORY_PATH}`,
              username: registry.username,
              password: registry.password,
            },
          });
          return { imageUri: image.imageUri, tags: image.tags, testTarget: image.plan.testTarget };
        },
      },
      { workDir: workspace.workDir, envVars: workspace.env },
    );
  });

  after(async () => {
    if (stack) await stack.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("passing tests: the test stage builds, then the image is pushed", async () => {
    const up = await stack.up();
    assert.equal(up.outputs.testTarget.value, "test");
    const tag = (up.outputs.tags.value as string[])[0];
    const digest = await manifestDigest(REPOSITORY_PATH, parseImageReference(tag).tag as string, engine.registry);
    assert.equal(up.outputs.imageUri.value, `${engine.registry.server}/${REPOSITORY_PATH}@${digest}`);
  });

  it("a failing test stops pulumi up with the test output, and the registry is unchanged", async () => {
    const before = await stack.outputs();
    const tag = parseImageReference((before.tags.value as string[])[0]).tag as string;
    const digestBefore = await manifestDigest(REPOSITORY_PATH, tag, engine.registry);
    fs.writeFileSync(path.join(app, "app.txt"), "v2\n");
    fs.writeFileSync(path.join(app, "result.txt"), "3 failing\n");
    await assert.rejects(stack.up(), (err: Error) => {
      assert.match(err.message, /TESTS FAILED: 3 failing/);
      // The failing test's own line comes first, though 20 lines of teardown follow it.
      assert.match(err.message, /what failed:\s*\n\s*\| not ok 2 - TESTS FAILED: 3 failing/);
      assert.match(err.message, /# teardown 20/);
      return true;
    });
    assert.equal(await manifestDigest(REPOSITORY_PATH, tag, engine.registry), digestBefore);
    assert.equal((await stack.outputs()).imageUri.value, before.imageUri.value);
    await stack.destroy();
  });
});
