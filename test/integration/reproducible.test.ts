/**
 * Reproducible digests for real: the production image of two seed apps (Node and Go), built on
 * two BuildKit daemons with separate state, each pruned first (empty caches), has the same digest
 * with `reproducible`, and different ones without (the build's times differ). Their dev targets
 * keep the tools' own time-dependent files (npm's logs named by the clock, Go's build cache), so
 * their content differs from build to build whatever the timestamps: not reproducible, and not
 * tested as if they were.
 */
import { strict as assert } from "assert";
import { type BuildPlan } from "../../src";
import { localPlan } from "../../scripts/lib/local";
import { type Builder, type Engine, requireBuilder, requireEngine } from "./engine";

const RUN = Date.now().toString(36);
// A fixed commit time: what sourceDateEpoch() reads from Git for the commit.
const EPOCH = 1_767_225_600;

describe("Integration: reproducible digests on two fresh builders", function () {
  this.timeout(900_000);
  let engine: Engine;
  let builder: Builder;
  /** The two daemons, each as a builder of its own: the first by name, the second by endpoint. */
  let builders: Array<string | { endpoint: string }>;

  before(async function () {
    engine = requireEngine(this);
    builder = requireBuilder(this);
    await builder.executor.login(engine.registry);
    builders = [builder.name, { endpoint: builder.nodes.sockets["nodes-arm64"] }];
  });

  /** Build `environment` on builder `i` from an empty cache, pushed to a repository of its own. */
  async function digestOn(app: "node-service" | "go-service", i: number, reproducible: boolean): Promise<string> {
    const plan: BuildPlan = localPlan(
      app,
      "production",
      {},
      { builder: builders[i], reproducible, sourceDateEpoch: EPOCH, registryCache: false, testStage: false },
    );
    const name = await builder.executor.resolveBuilder(plan.builder as NonNullable<BuildPlan["builder"]>);
    await builder.executor.pruneBuilder(name);
    const repository = `${engine.registry.server}/multistage-tests/repro-${app}-${i}-${reproducible ? "r" : "n"}-${RUN}`;
    const built = await builder.executor.buildWithBuilder(plan, repository, { push: true });
    return built.digest;
  }

  for (const app of ["node-service", "go-service"] as const) {
    it(`${app} production: the same digest on both builders with reproducible, and not without`, async () => {
      const first = await digestOn(app, 0, true);
      const second = await digestOn(app, 1, true);
      console.log(`      ${app}: ${first} on both`);
      assert.equal(second, first, "reproducible builds on two fresh builders");
      const plainFirst = await digestOn(app, 0, false);
      // A second apart at least: the times are in seconds.
      await new Promise((r) => setTimeout(r, 1100));
      const plainSecond = await digestOn(app, 1, false);
      assert.notEqual(plainSecond, plainFirst, "without it the build time makes them differ (the test can fail)");
    });
  }
});
