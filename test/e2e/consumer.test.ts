/**
 * A user's own program, as a user has it: a project outside this repo on the newest
 * `@pulumi/pulumi` npm serves (and one on the oldest the peer range allows), with this package's packed tarball installed, its program and a
 * driver compiled there, run through that project's own Automation API (its own node_modules,
 * its own SDK copy, the dynamic provider loaded from it) with the Pulumi CLI built here:
 * preview, up, a no-op up and destroy of a dev stack against the local registry, with the
 * `docker-cli` back end (the providers of the other back ends cannot be installed here).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { manifestDigest } from "../../src/registry";
import { type Consumer, consumerOn, drive, newestSdk, oldestSdk, sdkCopies, writeConsumerApp } from "../consumer";
import { type Engine, requireEngine } from "../integration/engine";
import { pulumiEnv, requirePulumiTools } from "./workspace";

const SDKS: Array<[string, () => string]> = [
  ["the newest @pulumi/pulumi", newestSdk],
  ["the oldest @pulumi/pulumi the peer range allows", oldestSdk],
];

for (const [which, version] of SDKS)
  describe(`E2E: a consumer's own program on ${which}, from the packed tarball`, function () {
    this.timeout(900_000);
    // The registry outlives test runs: each run pushes to a repository of its own.
    const REPOSITORY_PATH = `multistage-consumer/app-${Date.now().toString(36)}-${SDKS.findIndex(([w]) => w === which)}`;
    let engine: Engine;
    let work: string;
    let consumer: Consumer;
    let env: Record<string, string>;
    let config: Record<string, { value: string; secret?: boolean }>;
    const timings: Record<string, number> = {};

    before(function () {
      engine = requireEngine(this);
      const bin = requirePulumiTools(this, "e2e");
      work = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-consumer-state-"));
      consumer = consumerOn(version());
      Object.assign(timings, consumer.timings);
      const app = writeConsumerApp(consumer, "busybox", "multistage-local/busybox:1");
      env = {
        ...(process.env as Record<string, string>),
        ...pulumiEnv(bin, work, "consumer-passphrase"),
        DOCKER_HOST: engine.env.DOCKER_HOST ?? "",
        MULTISTAGE_DOCKER_CLI: engine.env.MULTISTAGE_DOCKER_CLI ?? "docker",
      };
      config = {
        context: { value: app },
        repository: { value: `${engine.registry.server}/${REPOSITORY_PATH}` },
        username: { value: engine.registry.username },
        password: { value: engine.registry.password, secret: true },
      };
    });

    after(function () {
      if (consumer) {
        try {
          drive(consumer, env, "dev", "remove");
        } catch {
          // the stack was never created
        }
      }
      if (work) fs.rmSync(work, { recursive: true, force: true });
      if (Object.keys(timings).length)
        console.log(
          `      consumer on @pulumi/pulumi ${consumer?.sdk}: ${Object.entries(timings)
            .map(([step, s]) => `${step} ${s}s`)
            .join(", ")}`,
        );
    });

    it("has one @pulumi/pulumi, its own", () => {
      assert.deepEqual(sdkCopies(consumer).onDisk, [`node_modules/@pulumi/pulumi@${consumer.sdk}`]);
    });

    it("preview shows the component and its image to create, and pushes nothing", async () => {
      const preview = drive(consumer, env, "dev", "preview", config);
      timings.preview = preview.seconds;
      assert.deepEqual(preview.changeSummary, { create: 3 });
      assert.match(preview.stdout ?? "", /multistage:index:MultiStageImage\s+app\s+create/);
      await assert.rejects(manifestDigest(REPOSITORY_PATH, "dev-c0f5e0000000", engine.registry), /404/);
    });

    let imageUri = "";

    it("up builds the dev stage and pushes it; imageUri is pinned to the registry's digest", async () => {
      const up = drive(consumer, env, "dev", "up");
      timings.up = up.seconds;
      assert.deepEqual(up.resourceChanges, { create: 3 });
      const outputs = up.outputs as { imageUri: string; target: string; tags: string[]; rebuildReason: string };
      assert.equal(outputs.target, "dev");
      assert.deepEqual(outputs.tags, [`${engine.registry.server}/${REPOSITORY_PATH}:dev-c0f5e0000000`]);
      const digest = await manifestDigest(REPOSITORY_PATH, "dev-c0f5e0000000", engine.registry);
      assert.equal(outputs.imageUri, `${engine.registry.server}/${REPOSITORY_PATH}@${digest}`);
      imageUri = outputs.imageUri;
      const greeting = await engine.executor.run(["run", "--rm", imageUri], { quiet: true, stdoutOnly: true });
      assert.equal(greeting.trim(), "hello from a consumer");
    });

    it("a second up with nothing changed changes nothing", () => {
      const up = drive(consumer, env, "dev", "up");
      timings["no-op up"] = up.seconds;
      assert.deepEqual(up.resourceChanges, { same: 3 });
      assert.equal((up.outputs as { imageUri: string }).imageUri, imageUri);
    });

    it("destroy removes the stack's resources and leaves the pushed image in the registry", async () => {
      const destroy = drive(consumer, env, "dev", "destroy");
      timings.destroy = destroy.seconds;
      assert.deepEqual(destroy.resourceChanges, { delete: 3 });
      assert.equal(
        `${engine.registry.server}/${REPOSITORY_PATH}@${await manifestDigest(REPOSITORY_PATH, "dev-c0f5e0000000", engine.registry)}`,
        imageUri,
      );
    });
  });
