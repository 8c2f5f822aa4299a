/**
 * `pulumi refresh` tells the truth about the registry, and `pulumi up` repairs what it found:
 * a release tag moved out of band, a manifest deleted out of band; a registry that cannot be
 * reached during refresh fails it naming the registry, and the state keeps the image.
 * The real engine, registry and Pulumi CLI (an inline program through the Automation API).
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Stack } from "@pulumi/pulumi/automation";
import { findManifest, tagManifest } from "../../src/registry";
import { type Engine, requireEngine } from "../integration/engine";
import { restartRegistry, stopRegistry } from "../integration/faults";
import { localRegistryStack, requireE2eWorkspace } from "./workspace";
import { parseImageReference } from "../../src/plan";

const REPOSITORY_PATH = `multistage-e2e/drift-${Date.now().toString(36)}`;
const IMAGE_TYPE = "pulumi-nodejs:dynamic/multistage:DockerCliImage";

describe("E2E: refresh finds registry drift and up repairs it", function () {
  this.timeout(900_000);
  let engine: Engine;
  let stack: Stack;
  let root: string;
  let context: string;

  /** The image resource's outputs as the state holds them. */
  const imageState = async (): Promise<Record<string, unknown>> => {
    const resources = (await stack.exportStack()).deployment.resources ?? [];
    const image = resources.find((r: { type: string }) => r.type === IMAGE_TYPE);
    assert.ok(image, "the image resource is in the state");
    return image.outputs as Record<string, unknown>;
  };
  const tagOf = (reference: string): string => parseImageReference(reference).tag as string;

  before(async function () {
    engine = requireEngine(this);
    await engine.executor.login(engine.registry);
    const workspace = requireE2eWorkspace(this, engine, "drift", {
      MULTISTAGE_GIT_SHA: "d1f7000000000000000000000000000000000001",
    });
    root = workspace.root;
    context = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-drift-app-"));
    fs.writeFileSync(
      path.join(context, "Dockerfile"),
      `FROM multistage-local/busybox:1 AS dev\nRUN echo ${Date.now()} > /id\n`,
    );
    stack = await localRegistryStack(
      workspace,
      engine,
      { stackName: "dev", projectName: "multistage-drift", repositoryPath: REPOSITORY_PATH },
      { context },
    );
  });

  after(async () => {
    restartRegistry();
    await stack?.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
    if (root) fs.rmSync(root, { recursive: true, force: true });
    if (context) fs.rmSync(context, { recursive: true, force: true });
  });

  let digest: string;
  let tag: string;

  it("preview prints no step; up prints one status line per step, not the builder's stream; refresh with nothing changed finds nothing", async () => {
    let previewed = "";
    await stack.preview({ onOutput: (out) => (previewed += out) });
    assert.doesNotMatch(previewed, /multistage: /);
    let printed = "";
    const up = await stack.up({ onOutput: (out) => (printed += out) });
    const statuses = printed.split("\n").filter((l) => l.includes("multistage: "));
    console.log(statuses.map((l) => `      ${l.trim()}`).join("\n"));
    // Pulumi shows a provider's stderr as it comes and again under Diagnostics: once each, in order.
    const said = [...new Set(statuses.map((l) => l.replace(/^.*multistage: dev\/dev: /, "").trim()))];
    assert.deepEqual(
      said.map((l) => l.split(" ")[0]),
      ["resolving", "building", "pushing", "tagging", "took"],
    );
    assert.match(said[1], /^building stage 1 of 1 \(dev\)$/);
    assert.doesNotMatch(printed, /#\d+ \[|sha256:[0-9a-f]{64} done|Pushed/, "the builder's raw stream");
    digest = up.outputs.digest.value as string;
    tag = tagOf((up.outputs.tags.value as string[])[0]);
    const refresh = await stack.refresh();
    assert.deepEqual(refresh.summary.resourceChanges, { same: 3 });
    assert.equal((await imageState()).drift, undefined);
    // Refresh asks the registry with the credentials of the last update: kept as a secret output.
    const state = execFileSync("pulumi", ["stack", "export", "--stack", stack.name], {
      cwd: stack.workspace.workDir,
      env: process.env,
      encoding: "utf8",
    });
    assert.ok(!state.includes(engine.registry.password), "the state holds the registry password in plain text");
    const stored = (await imageState()).registry as { plaintext?: string };
    assert.ok(stored.plaintext, "the stored credentials are a secret");
    assert.deepEqual(JSON.parse(stored.plaintext), {
      username: engine.registry.username,
      password: engine.registry.password,
    });
    const again = await stack.up();
    assert.deepEqual(again.summary.resourceChanges, { same: 3 });
  });

  it("a release tag moved out of band: refresh records it, up puts the tag back", async () => {
    // Another image in the same repository takes the release tag.
    await engine.executor.tag("multistage-local/busybox:1", `${engine.registry.server}/${REPOSITORY_PATH}:other`);
    const other = await engine.executor.push([`${engine.registry.server}/${REPOSITORY_PATH}:other`]);
    await tagManifest(REPOSITORY_PATH, other.digest, [tag], engine.registry);

    const refresh = await stack.refresh();
    assert.equal(refresh.summary.resourceChanges?.update, 1, JSON.stringify(refresh.summary.resourceChanges));
    assert.match(String((await imageState()).drift), new RegExp(`tag ${tag} now points to ${other.digest}`));

    const up = await stack.up();
    assert.equal(up.summary.resourceChanges?.update, 1);
    assert.match(
      up.outputs.rebuildReason.value as string,
      /^repaired \(tag .* now points to sha256:.*\): reused: the registry holds inputs-/,
    );
    assert.equal(up.outputs.digest.value, digest);
    assert.equal(await findManifest(REPOSITORY_PATH, tag, engine.registry), digest);
    assert.equal((await imageState()).drift, undefined);
  });

  it("the manifest deleted out of band: refresh records it, up pushes it again and the registry holds what the outputs name", async () => {
    const res = await fetch(`http://${engine.registry.server}/v2/${REPOSITORY_PATH}/manifests/${digest}`, {
      method: "DELETE",
      headers: {
        Authorization: `Basic ${Buffer.from(`${engine.registry.username}:${engine.registry.password}`).toString("base64")}`,
      },
    });
    assert.equal(res.status, 202);

    await stack.refresh();
    assert.match(String((await imageState()).drift), new RegExp(`no longer holds ${digest}.*tag ${tag} is gone`));

    const up = await stack.up();
    assert.equal(up.summary.resourceChanges?.update, 1);
    assert.match(up.outputs.rebuildReason.value as string, /^repaired \(.*no longer holds sha256:/);
    const now = up.outputs.digest.value as string;
    assert.equal(await findManifest(REPOSITORY_PATH, now, engine.registry), now);
    assert.equal(await findManifest(REPOSITORY_PATH, tag, engine.registry), now);
  });

  it("a registry that cannot be reached during refresh: an error naming it, and the state keeps the image", async () => {
    const before = await imageState();
    stopRegistry();
    try {
      const err = await stack.refresh().then(
        () => assert.fail("refresh should fail"),
        (e: unknown) => e as Error,
      );
      assert.match(
        err.message,
        new RegExp(`refresh in ${engine.registry.server.replace(/\./g, "\\.")} failed: .*ECONNREFUSED`),
      );
      assert.match(err.message, /The state is unchanged/);
    } finally {
      restartRegistry();
    }
    const after = await imageState();
    assert.equal(after.digest, before.digest);
    assert.equal(after.drift, undefined);
    const up = await stack.up();
    assert.deepEqual(up.summary.resourceChanges, { same: 3 });
  });

  it("a RUN that fails: up's error names the environment, stage, line and instruction; the state keeps the image", async () => {
    const before = await imageState();
    const dockerfile = path.join(context, "Dockerfile");
    const working = fs.readFileSync(dockerfile, "utf8");
    fs.writeFileSync(dockerfile, `${working}RUN echo "migrating" && exit 7\n`);
    try {
      const err = await stack.up().then(
        () => assert.fail("up should fail"),
        (e: unknown) => e as Error,
      );
      assert.match(
        err.message,
        new RegExp(
          `build of environment "dev" failed in stage "dev" at ${dockerfile}:3: RUN echo "migrating" && exit 7\\s+exited with code 7\\s+its last line:\\s+\\| migrating`,
        ),
      );
      assert.match(err.message, /The whole build log: \/.*multistage-logs\/dev-.*\.log/);
    } finally {
      fs.writeFileSync(dockerfile, working);
    }
    assert.equal((await imageState()).digest, before.digest);
    const up = await stack.up();
    assert.deepEqual(up.summary.resourceChanges, { same: 3 });
  });
});
