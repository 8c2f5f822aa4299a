/**
 * The release path with the machine's own login, on the real engine and the authenticated
 * registry: no registry.username/password, the login only in a Docker config.json (as `docker
 * login` writes it). Before, the build pushed with an empty private config and failed as an
 * "overloaded or unreachable" registry, and against an open registry every release step was
 * skipped. Now the push, registry first, the size budget and the release gate all run.
 */
import { baseImageResolver, dockerHost } from "../../src/host";
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { planBuildFromFiles } from "../../src";
import { findManifest } from "../../src/registry";
import { withInputsHash } from "../../src/plan";
import { prepareImage, publishImage } from "../../src/publish";
import { type Engine, requireEngine } from "./engine";

describe("Integration: the release path with the machine's own registry login", function () {
  this.timeout(300000);
  let engine: Engine;
  let context: string;
  before(function () {
    engine = requireEngine(this);
    context = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-machine-login-"));
    fs.writeFileSync(
      path.join(context, "Dockerfile"),
      `FROM multistage-local/busybox:1 AS app\nRUN echo machine-login-${Date.now()} > /stamp\n`,
    );
  });

  /** A home whose Docker config holds `auths` for the registry (what docker login writes), or nothing. */
  function machineEnv(withLogin: boolean): NodeJS.ProcessEnv {
    const config = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-docker-home-"));
    const { server, username, password } = engine.registry;
    if (withLogin)
      fs.writeFileSync(
        path.join(config, "config.json"),
        JSON.stringify({ auths: { [server]: { auth: Buffer.from(`${username}:${password}`).toString("base64") } } }),
      );
    return { ...engine.env, DOCKER_CONFIG: config };
  }

  async function publish(env: NodeJS.ProcessEnv, gate: string) {
    const plan = planBuildFromFiles({
      context,
      environment: "staging",
      gitSha: "0123456789abcdef",
      allowUnpinnedBaseImages: true,
      environments: { staging: { sizeBudget: "50MB", releaseGate: { command: gate } } },
    } as Parameters<typeof planBuildFromFiles>[0]);
    // No username, no password: what a program gives when CI ran docker login.
    const registry = { server: engine.registry.server };
    const prepared = await prepareImage(plan, registry, {
      resolveImages: baseImageResolver(env),
      secret: false,
      warn: () => undefined,
    });
    const repository = `${engine.registry.server}/multistage-tests/machine-login`;
    const references = withInputsHash(plan.tags, prepared.inputs.hash).map((t) => `${repository}:${t}`);
    return {
      plan,
      result: await publishImage(
        { plan, references, push: true, registry, ...prepared, cwd: context },
        undefined,
        dockerHost(plan, {
          env,
        }),
      ),
    };
  }

  it("pushes with the login from config.json, runs the release gate and the size budget, then tags", async () => {
    const env = machineEnv(true);
    const seen = path.join(context, "gate-saw");
    const { plan, result } = await publish(env, `echo "$MULTISTAGE_IMAGE" > ${seen}`);
    assert.match(result.imageUri, /@sha256:[0-9a-f]{64}$/);
    assert.equal(fs.readFileSync(seen, "utf8").trim(), result.imageUri, "the release gate ran with the pinned image");
    assert.ok(result.size && result.size.bytes > 0, "measured against its budget");
    const tagged = await findManifest("multistage-tests/machine-login", plan.tags[0], engine.registry);
    assert.equal(tagged, result.digest);
    assert.ok(!JSON.stringify(result).includes(engine.registry.password), "the login is in no output");
  });

  it("a failing release gate refuses the release with the machine's login too: no tag", async () => {
    const env = machineEnv(true);
    fs.appendFileSync(path.join(context, "Dockerfile"), `RUN echo again-${Date.now()} > /again\n`);
    await assert.rejects(publish(env, "echo CVE-2026-9999 found; exit 4"), /the release gate refused .*CVE-2026-9999/s);
  });

  it("no login anywhere: the registry's refusal names the missing credentials and docker login", async () => {
    const env = machineEnv(false);
    await assert.rejects(publish(env, "true"), (err: Error) => {
      assert.match(
        err.message,
        /No credentials for 127\.0\.0\.1:\d+ were found: registry\.username and registry\.password are not set/,
      );
      assert.match(err.message, /docker login 127\.0\.0\.1:\d+/);
      assert.doesNotMatch(err.message, /overloaded/);
      return true;
    });
  });
});
