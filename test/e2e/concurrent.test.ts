/**
 * Two stacks publishing the same inputs at once (two CI pipelines, or dev and a preview
 * environment of one commit): both `pulumi up`s succeed, with the same digest, and the
 * registry holds it under both stacks' tags. The real engine, registry and Pulumi CLI.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Stack } from "@pulumi/pulumi/automation";
import { findManifest } from "../../src/registry";
import { type Engine, requireEngine } from "../integration/engine";
import { localRegistryStack, requireE2eWorkspace } from "./workspace";
import { parseImageReference } from "../../src/plan";

const REPOSITORY_PATH = `multistage-e2e/concurrent-${Date.now().toString(36)}`;

describe("E2E: two stacks publish the same inputs at once", function () {
  this.timeout(900_000);
  let engine: Engine;
  let root: string;
  let context: string;
  const stacks: Stack[] = [];

  before(async function () {
    engine = requireEngine(this);
    const workspace = requireE2eWorkspace(this, engine, "concurrent", {
      MULTISTAGE_GIT_SHA: "c0c0000000000000000000000000000000000001",
    });
    root = workspace.root;
    context = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-concurrent-app-"));
    fs.writeFileSync(
      path.join(context, "Dockerfile"),
      `FROM multistage-local/busybox:1 AS dev\nRUN echo ${Date.now()} > /id && sleep 2\n`,
    );
    // Two stacks of one project, each on the dev environment (environments: dev for both).
    for (const stackName of ["dev", "dev-preview"]) {
      stacks.push(
        await localRegistryStack(
          workspace,
          engine,
          { stackName, projectName: "multistage-concurrent", repositoryPath: REPOSITORY_PATH },
          { context, environment: "dev", tagStrategy: `${stackName}-{gitShortSha}` },
        ),
      );
    }
  });

  after(async () => {
    for (const stack of stacks) await stack.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
    if (root) fs.rmSync(root, { recursive: true, force: true });
    if (context) fs.rmSync(context, { recursive: true, force: true });
  });

  it("both ups succeed with the same digest, which the registry holds under both stacks' tags", async () => {
    const results = await Promise.all(stacks.map((stack) => stack.up()));
    const digests = results.map((r) => r.outputs.digest.value as string);
    assert.match(digests[0], /^sha256:[0-9a-f]{64}$/);
    assert.equal(digests[1], digests[0]);
    for (const result of results) {
      const reference = (result.outputs.tags.value as string[])[0];
      assert.equal(
        await findManifest(REPOSITORY_PATH, parseImageReference(reference).tag as string, engine.registry),
        digests[0],
      );
    }
  });
});
