/**
 * The daemonless engines for real, beside the Docker engine, in one run: the go-service seed app's
 * dev and production images published through the same pipeline by Podman, by Buildah, by the
 * Docker CLI with a BuildKit builder and by the Docker engine's own builder, into the local
 * registry, every cache emptied first. Each step's time is printed side by side. The inputs hashes
 * are the same where the base images are read from the registry (the daemonless engines and
 * BuildKit); the engine's own builder counts its local image IDs instead. The digests are compared
 * and printed with why they differ.
 */
import { baseImageResolver, dockerHost } from "../../src/host";
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { type BuildPlan, type BuildPlanOptions } from "../../src";
import { getBlob, getManifest } from "../../src/registry";
import { withInputsHash } from "../../src/plan";
import { type PublishResult, prepareImage, publishImage } from "../../src/publish";
import { localPlan } from "../../scripts/lib/local";
import {
  type Builder,
  type DaemonlessEngines,
  type Engine,
  requireBuilder,
  requireDaemonless,
  requireEngine,
} from "./engine";

const RUN = Date.now().toString(36);

describe("Integration: Podman and Buildah publish the seed app as the Docker CLI does", function () {
  this.timeout(1_200_000);
  let engine: Engine;
  let builder: Builder;
  let daemonless: DaemonlessEngines;

  before(async function () {
    engine = requireEngine(this);
    builder = requireBuilder(this);
    daemonless = requireDaemonless(this);
    // Cold for every engine: no layer any of them kept from an earlier run.
    await builder.executor.pruneBuilder(builder.name);
    await engine.executor.run(["builder", "prune", "--all", "--force"], { quiet: true });
    execFileSync(daemonless.env.MULTISTAGE_PODMAN ?? "podman", ["rmi", "--all", "--force"], {
      env: daemonless.env,
      stdio: "ignore",
    });
  });

  type Way = "podman" | "buildah" | "buildkit" | "docker";
  const results: Record<string, PublishResult & { plan: BuildPlan }> = {};

  async function publish(way: Way, environment: "dev" | "production"): Promise<PublishResult & { plan: BuildPlan }> {
    const options: Partial<BuildPlanOptions> =
      way === "buildkit" ? { builder: builder.name, registryCache: false } : way === "docker" ? {} : { engine: way };
    const plan = localPlan("go-service", environment, {}, { ...options, testStage: environment === "production" });
    const env = way === "buildkit" ? builder.env : way === "docker" ? engine.env : daemonless.env;
    const registry = engine.registry;
    const prepared = await prepareImage(plan, registry, {
      resolveImages: baseImageResolver(env),
      secret: false,
      warn: () => undefined,
    });
    const repository = `${registry.server}/multistage-tests/engines-${way}-${RUN}`;
    const references = withInputsHash(plan.tags, prepared.inputs.hash).map((t) => `${repository}:${t}`);
    const result = await publishImage(
      { plan, references, push: true, registry, ...prepared },
      undefined,
      dockerHost(plan, { env }),
    );
    const timings = Object.entries(result.timings ?? {})
      .map(([step, ms]) => `${step} ${(ms / 1000).toFixed(1)} s`)
      .join(", ");
    console.log(`      ${way} ${environment}: ${result.digest} (${timings})`);
    return { ...result, plan };
  }

  for (const environment of ["dev", "production"] as const)
    for (const way of ["podman", "buildah", "buildkit", "docker"] as const)
      it(`${environment} through ${way}: pushed, confirmed by the registry`, async () => {
        const result = await publish(way, environment);
        results[`${way} ${environment}`] = result;
        assert.equal(result.reused, false);
        assert.match(result.digest, /^sha256:[0-9a-f]{64}$/);
        const path = `multistage-tests/engines-${way}-${RUN}`;
        const manifest = await getManifest(path, result.digest, engine.registry);
        if (way === "podman" || way === "buildah")
          assert.equal(manifest.mediaType, "application/vnd.oci.image.manifest.v1+json");
        // The target's own label, whoever built it.
        const config = JSON.parse(
          (await getBlob(path, manifest.body.config?.digest as string, engine.registry)).toString(),
        ) as { config: { Labels?: Record<string, string> } };
        assert.equal(config.config.Labels?.["dev.multistage.target"], result.plan.targetStage);
      });

  it("the same inputs hash as BuildKit's; the digests differ, and the printout says why", () => {
    for (const environment of ["dev", "production"]) {
      const [podman, buildah, buildkit, docker] = (["podman", "buildah", "buildkit", "docker"] as const).map(
        (way) => results[`${way} ${environment}`],
      );
      assert.ok(podman && buildah && buildkit && docker, "needs every build above");
      assert.equal(podman.inputs.hash, buildkit.inputs.hash, `${environment}: podman's inputs are BuildKit's`);
      assert.equal(buildah.inputs.hash, buildkit.inputs.hash, `${environment}: buildah's inputs are BuildKit's`);
      console.log(
        `      ${environment}: inputs ${podman.inputs.hash} (podman, buildah, buildkit), ${docker.inputs.hash} (the engine's own builder: its local base image IDs)`,
      );
      console.log(
        `      ${environment}: digests podman ${podman.digest.slice(7, 19)}, buildah ${buildah.digest.slice(7, 19)}, buildkit ${buildkit.digest.slice(7, 19)}, docker ${docker.digest.slice(7, 19)}`,
      );
      // Different builders write different bytes: layer timestamps, the config's history and
      // creation time (none reproducible here), their own manifest formats and compression.
      assert.notEqual(podman.digest, buildkit.digest);
      assert.notEqual(podman.digest, docker.digest);
    }
  });
});
