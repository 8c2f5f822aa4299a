/**
 * The publish pipeline against a registry that fails: the real engine and registry, with the
 * fault proxy (faults.ts) between them. 429 and 5xx bursts are retried (honouring
 * `Retry-After`) and the publish succeeds; a persistent failure, a timeout, a refused
 * credential or a registry stopped mid-push fails naming the step, the registry and the fix;
 * after a restart the same publish succeeds.
 */
import { baseImageResolver, dockerHost } from "../../src/host";
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { planBuildFromFiles } from "../../src";
import { parseImageReference, withInputsHash } from "../../src/plan";
import { RETRY_POLICY, findManifest } from "../../src/registry";
import { type PublishResult, prepareImage, publishImage } from "../../src/publish";
import { type Engine, requireEngine } from "./engine";
import { type FaultProxy, restartRegistry, startFaultProxy, stopRegistry } from "./faults";

const REPOSITORY = "multistage-tests/faults";
const unique = (): string => `${Date.now()}-${Math.random().toString(36).slice(2)}`;

describe("Integration: registry faults during publish", function () {
  this.timeout(300000);
  let engine: Engine;
  let proxy: FaultProxy;

  before(async function () {
    engine = requireEngine(this);
    proxy = await startFaultProxy(engine.registry.server);
  });
  after(async () => proxy && (await proxy.close()));
  beforeEach(() => proxy.reset());

  /** Publish a new image (its own RUN line) through the proxy, as the image resource does. */
  async function publish(
    credentials = { username: engine.registry.username, password: engine.registry.password },
  ): Promise<PublishResult> {
    const context = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-faults-"));
    fs.writeFileSync(
      path.join(context, "Dockerfile"),
      `FROM multistage-local/busybox:1 AS dev\nRUN echo ${unique()} > /id\n`,
    );
    const plan = planBuildFromFiles({ context, environment: "dev", gitSha: "0123456789abcdef" });
    const registry = { server: proxy.server, ...credentials };
    const prepared = await prepareImage(plan, registry, {
      resolveImages: baseImageResolver(engine.env),
      secret: false,
      warn: () => undefined,
    });
    const references = withInputsHash(plan.tags, prepared.inputs.hash).map((t) => `${proxy.server}/${REPOSITORY}:${t}`);
    return publishImage(
      { plan, references, push: true, registry, ...prepared },
      undefined,
      dockerHost(plan, { env: engine.env }),
    );
  }

  const failure = (promise: Promise<unknown>): Promise<Error> =>
    promise.then(
      () => assert.fail("expected the publish to fail"),
      (err: unknown) => err as Error,
    );

  it("a burst of 429 with Retry-After on the lookup: waits as asked, then succeeds", async () => {
    proxy.inject({ match: /^HEAD \/v2\/.*\/manifests\/inputs-/, times: 2, status: 429, retryAfter: 1 });
    const result = await publish();
    const lookups = proxy.requests.filter((r) => /^HEAD .*\/manifests\/inputs-/.test(r.line));
    assert.deepEqual(
      lookups.slice(0, 3).map((r) => r.fault ?? "forwarded"),
      ["429", "429", "forwarded"],
    );
    // Retry-After: 1 was honoured each time (not the 250 ms first backoff).
    assert.ok(lookups[2].at - lookups[0].at >= 1900, `retried after ${lookups[2].at - lookups[0].at} ms`);
    assert.equal(await findManifest(REPOSITORY, result.digest, engine.registry), result.digest);
  });

  it("bursts of 500 and 503 on the release tags and dropped connections on the lookup: succeeds", async () => {
    proxy.inject(
      { match: /^HEAD \/v2\/.*\/manifests\/inputs-/, times: 2, drop: true },
      { match: /^PUT \/v2\/.*\/manifests\/dev-/, times: 2, status: 500 },
      { match: /^PUT \/v2\/.*\/manifests\/dev-/, times: 1, status: 503 },
    );
    const result = await publish();
    assert.equal(proxy.requests.filter((r) => r.fault).length, 5);
    const tag = parseImageReference(result.references[0]).tag as string;
    assert.equal(await findManifest(REPOSITORY, tag, engine.registry), result.digest);
  });

  it("a persistent 500 on the release tag: fails after the bounded retries, naming the step, the registry and the fix", async () => {
    proxy.inject({ match: /^PUT \/v2\/.*\/manifests\/dev-/, times: 100, status: 500 });
    const err = await failure(publish());
    assert.match(err.message, new RegExp(`^tag in ${proxy.server} failed: PUT .*manifests/dev-.* answered 500`));
    assert.match(err.message, new RegExp(`\\(${RETRY_POLICY.attempts} attempts\\)`));
    assert.match(err.message, /try again once .* answers\. Nothing was recorded: the state keeps the previous image/);
    assert.equal(proxy.requests.filter((r) => r.fault === "500").length, RETRY_POLICY.attempts);
  });

  it("a registry that does not answer in time: a timeout error naming the request and the registry", async () => {
    const saved = process.env.MULTISTAGE_REGISTRY_TIMEOUT_MS;
    process.env.MULTISTAGE_REGISTRY_TIMEOUT_MS = "1000";
    try {
      proxy.inject({ match: /^HEAD \/v2\/.*\/manifests\/inputs-/, times: 1, delayMs: 3000 });
      const err = await failure(publish());
      assert.match(err.message, new RegExp(`^lookup in ${proxy.server} failed: HEAD .* did not answer within 1 s`));
      assert.match(err.message, /unreachable/);
    } finally {
      if (saved === undefined) delete process.env.MULTISTAGE_REGISTRY_TIMEOUT_MS;
      else process.env.MULTISTAGE_REGISTRY_TIMEOUT_MS = saved;
    }
  });

  it("a wrong credential fails at once (no retries) with the registry's own reason", async () => {
    const err = await failure(publish({ username: engine.registry.username, password: "wrong-password" }));
    console.log(`      ${err.message}`);
    assert.match(err.message, /^lookup in .* answered 401 Unauthorized: .*authentication required/);
    assert.match(err.message, /refused the credentials \(registry\.username and registry\.password/);
    assert.ok(proxy.requests.length < 10, `${proxy.requests.length} requests for a refused credential`);
  });

  it("the registry stopped mid-push: the publish fails; after a restart the same publish succeeds", async () => {
    // Stop the real registry (by PID) as the engine starts uploading the first layer.
    proxy.inject({ match: /^(POST|PATCH|PUT) \/v2\/.*\/blobs\/uploads\//, times: 1, run: stopRegistry });
    try {
      const err = await failure(publish());
      console.log(`      ${err.message.slice(0, 600)}`);
      assert.match(err.message, new RegExp(`^push in ${proxy.server} failed: \`docker push `));
      assert.match(err.message, /try again once .* answers\. Nothing was recorded/);
      assert.doesNotMatch(err.message, /Retrying in/);
    } finally {
      restartRegistry();
    }
    const result = await publish();
    assert.equal(await findManifest(REPOSITORY, result.digest, engine.registry), result.digest);
  });
});
