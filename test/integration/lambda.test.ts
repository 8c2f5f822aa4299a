/**
 * A Lambda image for real: the args lambdaImageArgs accepts, built on the standalone BuildKit
 * builder, push one image manifest (not an index) of the named architecture, and toLambdaImage
 * gives the function that digest; with attestations the push is an index, refused by both.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { planBuildFromFiles, lambdaImageArgs, toLambdaImage } from "../../src";
import { getBlob, getManifest } from "../../src/registry";
import { value } from "../outputs";
import { type Builder, type Engine, requireBuilder, requireEngine } from "./engine";

const RUN = Date.now().toString(36);

describe("Integration: a Lambda image is one manifest of its architecture", function () {
  this.timeout(600_000);
  let engine: Engine;
  let builder: Builder;
  let app: string;

  before(async function () {
    engine = requireEngine(this);
    builder = requireBuilder(this);
    await builder.executor.login(engine.registry);
    app = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-lambda-"));
    fs.writeFileSync(path.join(app, "Dockerfile"), "FROM multistage-local/busybox:1\nCOPY handler.sh /var/task/\n");
    fs.writeFileSync(path.join(app, "handler.sh"), "echo ok\n");
  });
  after(() => app && fs.rmSync(app, { recursive: true, force: true }));

  it("with a builder: pushed as an image manifest for linux/amd64; the function gets x86_64 and that digest", async () => {
    const args = lambdaImageArgs({
      context: app,
      platform: "linux/amd64",
      builder: builder.name,
      registryCache: false,
    });
    const plan = planBuildFromFiles({ ...args, environment: "production", gitSha: "0123456789ab", testStage: false });
    const repositoryPath = `multistage-tests/lambda-${RUN}`;
    const built = await builder.executor.buildWithBuilder(plan, `${engine.registry.server}/${repositoryPath}`, {
      push: true,
    });
    const manifest = await getManifest(repositoryPath, built.digest, engine.registry);
    assert.match(manifest.mediaType, /image\.manifest/, `an index (${manifest.mediaType}) would be refused by Lambda`);
    const config = JSON.parse(
      (await getBlob(repositoryPath, manifest.body.config?.digest as string, engine.registry)).toString(),
    ) as { architecture: string; os: string };
    assert.deepEqual([config.os, config.architecture], ["linux", "amd64"]);
    const fn = await value(toLambdaImage({ imageUri: built.imageUri, plan }));
    assert.deepEqual(fn, { packageType: "Image", imageUri: built.imageUri, architectures: ["x86_64"] });
  });

  it("with attestations the same build is an index: what lambdaImageArgs refuses before it", async () => {
    const plan = planBuildFromFiles({
      context: app,
      platform: "linux/amd64",
      builder: builder.name,
      registryCache: false,
      // Provenance only: the SBOM generator's image cannot be pulled on this machine.
      attestations: { provenance: "min" },
      environment: "production",
      gitSha: "0123456789ab",
      testStage: false,
    });
    const repositoryPath = `multistage-tests/lambda-attested-${RUN}`;
    const built = await builder.executor.buildWithBuilder(plan, `${engine.registry.server}/${repositoryPath}`, {
      push: true,
    });
    const manifest = await getManifest(repositoryPath, built.digest, engine.registry);
    assert.match(manifest.mediaType, /image\.index|manifest\.list/);
    assert.throws(() => lambdaImageArgs({ platform: "linux/amd64", attestations: true }), /attestations/);
    await assert.rejects(value(toLambdaImage({ imageUri: built.imageUri, plan })), /index, which Lambda refuses/);
  });
});
