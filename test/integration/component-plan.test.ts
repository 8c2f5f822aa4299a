/**
 * The link between the two halves: the build inputs `MultiStageImage` hands the
 * docker provider (recorded under Pulumi mocks), the Dockerfile reduced to the target's
 * closure with its ignore file, are built and pushed by the real engine, and give the
 * stage that environment should get.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import { MultiStageImage } from "../../src";
import { targetInputs, writeClosureFiles } from "../../src/context";
import { exampleSettings, releaseLocally } from "../../scripts/lib/local";
import { published, settle, useStack, value } from "../component/mocks";
import { type Engine, requireEngine } from "./engine";
import { parseImageReference } from "../../src/plan";

describe("Integration: the component's provider inputs, built for real", function () {
  this.timeout(600000);
  let engine: Engine;
  before(function () {
    engine = requireEngine(this);
  });

  const sources = ["/app/src/server.js", "/app/node_modules/tiny-check/cli.js"];
  for (const [stack, stage, present, absent] of [
    ["dev", "builder", ["/app/dist/index.js", ...sources], []],
    ["production", "production", ["/app/dist/index.js"], sources],
  ] as const) {
    it(`${stack} stack: builds ${stage}`, async () => {
      useStack(stack);
      const { args, localBaseImages } = exampleSettings("node-service");
      const image = new MultiStageImage("svc", {
        ...args,
        backend: "docker-build",
        buildArgs: { ...localBaseImages, ...args.buildArgs },
      });
      await settle(image.imageUri);
      const plan = await value(image.plan);
      const tags = (await value(image.tags)).map((t) => parseImageReference(t).tag as string);
      // The docker-build back end's inputs are the plan's.
      const build = published("docker-build:index:Image")[0].inputs as {
        context: { location: string };
        dockerfile: { location: string };
        target?: string;
        buildArgs: Record<string, string>;
      };
      assert.deepEqual(
        {
          context: build.context.location,
          dockerfile: build.dockerfile.location,
          target: build.target,
          args: build.buildArgs,
        },
        {
          context: plan.context,
          dockerfile: writeClosureFiles(plan, targetInputs(plan)),
          target: plan.target,
          args: plan.buildArgs,
        },
      );
      // What the provider gets is built: the closure Dockerfile and its ignore file.
      assert.equal(fs.readFileSync(build.dockerfile.location, "utf8"), plan.closure?.dockerfile);
      const release = await releaseLocally(
        engine.executor,
        { ...plan, dockerfile: build.dockerfile.location, tags },
        "multistage-tests/component",
        engine.registry,
      );
      assert.equal(release.digest, release.registryDigest);
      const files = new Set(await engine.executor.listFiles(release.imageUri));
      assert.equal(await value(image.target), stage);
      for (const f of present) assert.ok(files.has(f), `${stack} image lacks ${f}`);
      for (const f of absent) assert.ok(!files.has(f), `${stack} image holds ${f}`);
    });
  }
});
