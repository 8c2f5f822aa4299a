/**
 * Base images by digest, as the build sees them: the Docker engine's local image (its own
 * builder uses it), the registry's manifest for a BuildKit builder, a digest the reference pins.
 */
import { strict as assert } from "assert";
import { resolveImageDigests } from "../../src/executor";
import { type Engine, requireEngine } from "./engine";

describe("Integration: the digests of a target's images", function () {
  this.timeout(120_000);
  let engine: Engine;

  before(async function () {
    engine = requireEngine(this);
  });

  it("the engine's local image: its id, which a rebuild under the same tag changes", async () => {
    const tag = `multistage-local/digest-probe:${Date.now().toString(36)}`;
    const build = (marker: string): Promise<string> =>
      engine.executor.run(["build", "--quiet", "--tag", tag, "-"], {
        stdin: `FROM multistage-local/busybox:1\nRUN echo ${marker} > /marker\n`,
        quiet: true,
      });
    try {
      await build("one");
      const first = await resolveImageDigests([tag], { engine: engine.executor });
      assert.deepEqual(first.digests, { [tag]: (await engine.executor.inspect(tag)).Id });
      await build("two");
      const second = await resolveImageDigests([tag], { engine: engine.executor });
      assert.match(second.digests[tag], /^sha256:[0-9a-f]{64}$/);
      assert.notEqual(second.digests[tag], first.digests[tag]);
    } finally {
      await engine.executor.removeImages([tag]);
    }
  });

  it("without the engine (a BuildKit builder pulls): the registry's manifest digest, with the registry's credentials", async () => {
    const tag = `${engine.registry.server}/multistage-local/digest-probe:${Date.now().toString(36)}`;
    await engine.executor.login(engine.registry);
    await engine.executor.tag("multistage-local/busybox:1", tag);
    const { digest } = await engine.executor.push([tag]);
    const found = await resolveImageDigests([tag], { registries: [engine.registry] });
    assert.deepEqual(found, { digests: { [tag]: digest }, unresolved: {} });
    // Without credentials this registry refuses: unresolved, with the registry's answer.
    const anonymous = await resolveImageDigests([tag]);
    assert.deepEqual(anonymous.digests, {});
    assert.match(anonymous.unresolved[tag], /answered 401/);
    await engine.executor.removeImages([tag]);
  });

  it("a pinned digest is taken as it is; a tag the registry lacks is unresolved, with the reason", async () => {
    const pinned = `${engine.registry.server}/nowhere/img@sha256:${"d".repeat(64)}`;
    const missing = `${engine.registry.server}/multistage-local/busybox:no-such-tag`;
    const found = await resolveImageDigests([pinned, missing], { registries: [engine.registry] });
    assert.deepEqual(found.digests, { [pinned]: `sha256:${"d".repeat(64)}` });
    assert.equal(found.unresolved[missing], `${engine.registry.server} has no multistage-local/busybox:no-such-tag`);
  });
});
