/**
 * A real `pulumi up` whose program gives no registry username or password: the login is only
 * in a Docker config.json, as `docker login` (or CI) writes it. The push and every release step
 * use it, the state holds no trace of it, and `pulumi refresh` reads it again.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { findManifest } from "../../src/registry";
import { parseImageReference } from "../../src/plan";
import { type Engine, requireEngine } from "../integration/engine";
import { requireE2eWorkspace } from "./workspace";

const REPOSITORY_PATH = `multistage-e2e/machine-login-${Date.now().toString(36)}`;

describe("E2E: pulumi up with the machine's own registry login", function () {
  this.timeout(900_000);
  let engine: Engine;
  let work: string;
  let stack: Stack;
  let savedDockerConfig: string | undefined;

  before(async function () {
    engine = requireEngine(this);
    savedDockerConfig = process.env.DOCKER_CONFIG;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-e2e-login-"));
    const dockerConfig = path.join(tmp, "docker");
    fs.mkdirSync(dockerConfig);
    const { server, username, password } = engine.registry;
    fs.writeFileSync(
      path.join(dockerConfig, "config.json"),
      JSON.stringify({ auths: { [server]: { auth: Buffer.from(`${username}:${password}`).toString("base64") } } }),
    );
    const workspace = requireE2eWorkspace(this, engine, "login", {
      DOCKER_CONFIG: dockerConfig,
      MULTISTAGE_GIT_SHA: "10c1000000000000000000000000000000000001",
    });
    work = workspace.root;
    const app = path.join(work, "app");
    fs.mkdirSync(app);
    fs.writeFileSync(
      path.join(app, "Dockerfile"),
      `FROM multistage-local/busybox:1 AS app\nRUN echo machine-login-${Date.now()} > /stamp\n`,
    );
    stack = await LocalWorkspace.createOrSelectStack(
      {
        stackName: "staging",
        projectName: "multistage-machine-login",
        program: async () => {
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const { MultiStageImage } = require("pulumi-multistage-image") as typeof import("../../src");
          const image = new MultiStageImage("app", {
            context: app,
            environments: {
              staging: { allowUnpinnedBaseImages: true, sizeBudget: "50MB", releaseGate: { command: "true" } },
            },
            // No username, no password: this machine's login.
            registry: { repository: `${server}/${REPOSITORY_PATH}` },
          });
          return { imageUri: image.imageUri, digest: image.digest, tags: image.tags };
        },
      },
      { workDir: workspace.workDir, envVars: workspace.env },
    );
  });

  after(async () => {
    if (stack) await stack.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
    if (savedDockerConfig === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = savedDockerConfig;
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("up pushes with the login from config.json and runs the release steps; the state holds no trace of it", async () => {
    const up = await stack.up();
    const digest = up.outputs.digest.value as string;
    const tag = parseImageReference((up.outputs.tags.value as string[])[0]).tag as string;
    assert.equal(await findManifest(REPOSITORY_PATH, tag, engine.registry), digest);
    assert.match(up.stdout + up.stderr, /running the release gate/);
    const state = JSON.stringify(await stack.exportStack());
    const { username, password } = engine.registry;
    for (const secret of [password, Buffer.from(`${username}:${password}`).toString("base64")])
      assert.ok(!state.includes(secret), "the machine's login is in the state");
  });

  it("refresh reads the machine's login again, and a second up changes nothing", async () => {
    const refreshed = await stack.refresh();
    assert.equal(refreshed.summary.result, "succeeded");
    const again = await stack.up();
    assert.deepEqual(Object.keys(again.summary.resourceChanges ?? {}).sort(), ["same"]);
  });
});
