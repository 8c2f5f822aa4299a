/**
 * The publish pipeline against ECR's rules (test/ecr-registry.ts in front of the local registry),
 * for real: the Docker engine pushes, cosign signs and attests, syft makes the SBOM. The repository
 * is made as the component makes production's (IMMUTABLE, with the `sha256-*` exclusion when it
 * signs), the login is ECR's (user AWS, a token). Every path must pass with no tag put twice:
 * build, reuse with no state, signing by staging then production, promotion in one repository,
 * and the refusals (a moving tag, a repository that does not exist, a second signer where
 * `sha256-*` is immutable) must say ECR's reason and the fix.
 */
import { baseImageResolver, dockerHost } from "../../src/host";
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { type BuildPlan, type BuildPlanOptions, planBuildFromFiles } from "../../src";
import { repositoryTagMutability } from "../../src/ecr";
import { findManifest } from "../../src/registry";
import { parseImageReference, withInputsHash } from "../../src/plan";
import { type PublishResult, prepareImage, publishImage } from "../../src/publish";
import { type EcrRegistry, startEcrInFront } from "../ecr-registry";
import { type Engine, type SupplyChainTools, requireEngine, requireSupplyChain } from "./engine";

const RUN = Date.now().toString(36);
const GIT_SHA = "0123456789abcdef0123456789abcdef01234567";
const DOCKERFILE = [
  "FROM multistage-local/busybox:1 AS production",
  `RUN echo ${RUN} > /release`,
  'CMD ["cat", "/release"]',
  "",
].join("\n");

describe("Integration: the pipeline against ECR's rules (immutable tags, signatures beside them, tokens)", function () {
  this.timeout(600_000);
  let engine: Engine;
  let tools: SupplyChainTools;
  let ecr: EcrRegistry;
  let keys: string;
  let context: string;
  const signers: Record<string, { key: string; keyPassword: string; pub: string }> = {};

  before(async function () {
    engine = requireEngine(this);
    tools = requireSupplyChain(this);
    ecr = await startEcrInFront(engine.registry);
    keys = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-ecr-keys-"));
    context = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-ecr-"));
    fs.writeFileSync(path.join(context, "Dockerfile"), DOCKERFILE);
    for (const name of ["staging", "production"]) {
      execFileSync(tools.cosign, ["generate-key-pair", "--output-key-prefix", name], {
        cwd: keys,
        env: { ...process.env, COSIGN_PASSWORD: `pw-${name}` },
        stdio: "ignore",
      });
      signers[name] = {
        key: fs.readFileSync(path.join(keys, `${name}.key`), "utf8"),
        keyPassword: `pw-${name}`,
        pub: path.join(keys, `${name}.pub`),
      };
    }
  });
  after(async () => {
    await ecr?.close();
    for (const dir of [keys, context]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The manifest PUTs by tag (not by digest) the registry answered since `mark`. */
  const tagPuts = (mark: number): string[] =>
    ecr.requests
      .slice(mark)
      .filter((r) => r.method === "PUT" && /\/manifests\/(?!sha256:)/.test(r.path))
      .map((r) => `${r.status} ${r.path.replace(/^.*\/manifests\//, "")}${r.code ? ` ${r.code}` : ""}`);

  /**
   * Plan `environment` and publish it to `repository` of the ECR registry with an ECR login: a
   * token in the program's registry args, or (`machine`) none there, the machine's credential helper's.
   */
  async function publish(
    repository: string,
    environment: string,
    options: Partial<BuildPlanOptions>,
    signer?: string,
    machine?: { registry: EcrRegistry; env: NodeJS.ProcessEnv; given?: boolean },
  ): Promise<PublishResult & { plan: BuildPlan; statuses: string[] }> {
    const target = machine?.registry ?? ecr;
    const plan = planBuildFromFiles({
      context,
      environment,
      gitSha: GIT_SHA,
      registryCache: false,
      testStage: false,
      ...options,
    } as BuildPlanOptions);
    const registry =
      machine && !machine.given
        ? { server: target.server }
        : { server: target.server, username: "AWS", password: target.issueToken() };
    const prepared = await prepareImage(plan, registry, {
      resolveImages: baseImageResolver(engine.env),
      secret: false,
      warn: () => undefined,
    });
    const references = withInputsHash(plan.tags, prepared.inputs.hash).map(
      (t) => `${target.server}/${repository}:${t}`,
    );
    const statuses: string[] = [];
    const key = signer ? signers[signer] : undefined;
    const result = await publishImage(
      {
        plan,
        references,
        push: true,
        registry,
        ...prepared,
        ...(key ? { signing: { key: key.key, keyPassword: key.keyPassword } } : {}),
        cwd: context,
      },
      undefined,
      dockerHost(plan, {
        env: { ...engine.env, ...machine?.env, MULTISTAGE_COSIGN: tools.cosign, MULTISTAGE_SYFT: tools.syft },
        onStatus: (l) => statuses.push(l),
      }),
    );
    return { ...result, plan, statuses };
  }

  const signing = (publicKeys: string[] = []): Partial<BuildPlanOptions> => ({
    signing: { key: true, publicKeys: publicKeys.map((p) => fs.readFileSync(p, "utf8")) },
  });
  const production = (extra: Partial<BuildPlanOptions> = {}): Partial<BuildPlanOptions> => ({
    ...signing([signers.staging.pub]),
    environments: { production: { promoteFrom: "staging" } },
    ...extra,
  });
  const access = (): { server: string; username: string; password: string } => ({
    server: ecr.server,
    username: "AWS",
    password: ecr.issueToken(),
  });

  let stagingDigest = "";

  it("a repository that does not exist: NAME_UNKNOWN, said with the fix, and nothing is created", async () => {
    const repository = `ecr-${RUN}/missing`;
    const err = await publish(repository, "staging", {}).then(
      () => assert.fail("ECR has no such repository"),
      (e: Error) => e,
    );
    assert.match(err.message, /does not exist/);
    assert.match(err.message, /create/i);
    assert.ok(!ecr.repositories().includes(repository));
  });

  it("staging on production's settings (IMMUTABLE with sha256-*): built, signed, attested; each tag put once", async () => {
    const repository = `ecr-${RUN}/app`;
    const settings = repositoryTagMutability({}, "production", false, true);
    assert.equal(settings.imageTagMutability, "IMMUTABLE_WITH_EXCLUSION");
    ecr.createRepository(repository, {
      imageTagMutability: settings.imageTagMutability,
      exclusionFilters: settings.imageTagMutabilityExclusionFilters?.map((f) => f.filter),
    });
    const mark = ecr.requests.length;
    const staged = await publish(repository, "staging", { ...signing(), attestations: { sbom: true } }, "staging");
    assert.equal(staged.reused, false);
    stagingDigest = staged.digest;
    const puts = tagPuts(mark);
    assert.ok(
      puts.every((p) => p.startsWith("201 ")),
      puts.join("\n"),
    );
    // One PUT per tag, except the signatures' own tags, which cosign (v2) re-puts to append.
    const releaseTags = puts.filter((p) => !/ sha256-/.test(` ${p.slice(4)}`)).map((p) => p.slice(4));
    assert.deepEqual([...new Set(releaseTags)], releaseTags, `a tag put twice: ${puts.join(", ")}`);
    assert.ok(
      puts.some((p) => p.endsWith(".sig")),
      "a signature",
    );
    assert.ok(
      puts.some((p) => p.endsWith(".att")),
      "an attestation",
    );
  });

  it("staging again with no state: found by its inputs, nothing put, nothing signed again", async () => {
    const repository = `ecr-${RUN}/app`;
    const mark = ecr.requests.length;
    const again = await publish(repository, "staging", { ...signing(), attestations: { sbom: true } }, "staging");
    assert.equal(again.reused, true);
    assert.equal(again.digest, stagingDigest);
    assert.deepEqual(tagPuts(mark), [], "an empty-state rerun puts no tag (ECR refuses a second PUT)");
  });

  it("production promotes staging's digest in the same repository, signs after its checks; a rerun puts nothing", async () => {
    const repository = `ecr-${RUN}/app`;
    const mark = ecr.requests.length;
    const promoted = await publish(repository, "production", production(), "production");
    assert.equal(promoted.digest, stagingDigest);
    const puts = tagPuts(mark);
    assert.ok(
      puts.every((p) => p.startsWith("201 ")),
      puts.join("\n"),
    );
    assert.ok(
      puts.some((p) => /production-0123456789ab$/.test(p)),
      puts.join(", "),
    );
    assert.ok(
      puts.some((p) => p.endsWith(".sig")),
      "production's signature beside staging's",
    );
    const tag = parseImageReference(promoted.references[0]).tag as string;
    assert.equal(await findManifest(repository, tag, access()), stagingDigest);
    const rerun = ecr.requests.length;
    const again = await publish(repository, "production", production(), "production");
    assert.equal(again.digest, stagingDigest);
    assert.deepEqual(tagPuts(rerun), []);
  });

  it("production promotes into its own IMMUTABLE repository (a copy), signs it there; a rerun from empty state puts nothing", async () => {
    const source = `ecr-${RUN}/staging-app`;
    const target = `ecr-${RUN}/production-app`;
    ecr.createRepository(source, { imageTagMutability: "MUTABLE" });
    ecr.createRepository(target, { imageTagMutability: "IMMUTABLE_WITH_EXCLUSION", exclusionFilters: ["sha256-*"] });
    await publish(source, "staging", signing(), "staging");
    const across = production({
      environments: { production: { promoteFrom: "staging", promoteRepository: `${ecr.server}/${source}` } },
    });
    const mark = ecr.requests.length;
    const copied = await publish(target, "production", across, "production");
    assert.equal(copied.reused, true);
    const puts = tagPuts(mark);
    assert.ok(
      puts.every((p) => p.startsWith("201 ")),
      puts.join("\n"),
    );
    assert.ok(await findManifest(target, "production-0123456789ab", access()));
    const rerun = ecr.requests.length;
    const again = await publish(target, "production", across, "production");
    assert.equal(again.digest, copied.digest, "the copy already there is the release");
    assert.deepEqual(tagPuts(rerun), [], "no tag put again: ECR would refuse it");
  });

  it("a moving tag in an IMMUTABLE repository: refused with TAG_INVALID's reason and the fix", async () => {
    const repository = `ecr-${RUN}/moving`;
    ecr.createRepository(repository, { imageTagMutability: "IMMUTABLE" });
    await publish(repository, "dev", { movingTags: ["latest"], environments: { dev: { target: "production" } } });
    fs.writeFileSync(path.join(context, "Dockerfile"), DOCKERFILE.replace(`echo ${RUN}`, `echo ${RUN}-2`));
    try {
      const err = await publish(repository, "dev", {
        movingTags: ["latest"],
        environments: { dev: { target: "production" } },
        gitSha: "1111111111111111111111111111111111111111",
      }).then(
        () => assert.fail("an IMMUTABLE repository refuses to move latest"),
        (e: Error) => e,
      );
      assert.match(err.message, /the tag latest of .* already names sha256:[0-9a-f]{64}/);
      assert.match(err.message, /TAG_INVALID/);
      assert.match(err.message, /IMMUTABLE_WITH_EXCLUSION|mutable repository/);
    } finally {
      fs.writeFileSync(path.join(context, "Dockerfile"), DOCKERFILE);
    }
  });

  it("a second signer where sha256-* is immutable (IMMUTABLE, no exclusion): refused with the exclusion filter as the fix", async () => {
    const repository = `ecr-${RUN}/no-exclusion`;
    ecr.createRepository(repository, { imageTagMutability: "IMMUTABLE" });
    await publish(repository, "staging", signing(), "staging");
    const err = await publish(repository, "production", production(), "production").then(
      () => assert.fail("cosign v2 re-puts sha256-<digest>.sig"),
      (e: Error) => e,
    );
    assert.match(err.message, /TAG_INVALID/);
    assert.match(err.message, /sha256-\*/);
    assert.match(err.message, /IMMUTABLE_WITH_EXCLUSION/);
    assert.equal(
      await findManifest(repository, "production-0123456789ab", access()),
      undefined,
      "no production tag on an image production could not sign",
    );
  });

  it("a token that expires during the update is renewed from the machine's credential helper, not a failure halfway", async () => {
    // Tokens that last 4 s (ECR's last 12 hours), a release gate that outlasts one: signing and
    // tagging then meet 403 DENIED, which has no challenge to re-authenticate on.
    const short = await startEcrInFront(engine.registry, {
      tokenLifetimeMs: 4000,
    });
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-ecr-helper-"));
    try {
      const repository = `ecr-${RUN}/renewed`;
      short.createRepository(repository, {
        imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
        exclusionFilters: ["sha256-*"],
      });
      // The machine's login as ECR's credential helper gives it: a new token on every `get`.
      const helper = path.join(home, "docker-credential-ecr-test");
      fs.writeFileSync(
        helper,
        [
          `#!${process.execPath}`,
          `fetch("http://${short.server}/_ecr/token", { method: "POST" }).then((r) => r.json()).then((t) =>`,
          `  process.stdout.write(JSON.stringify({ ServerURL: "${short.server}", Username: t.username, Secret: t.password })));`,
          "",
        ].join("\n"),
        { mode: 0o755 },
      );
      fs.mkdirSync(path.join(home, "docker"));
      fs.writeFileSync(
        path.join(home, "docker", "config.json"),
        JSON.stringify({ credHelpers: { [short.server]: "ecr-test" } }),
      );
      const env = { DOCKER_CONFIG: path.join(home, "docker"), PATH: `${home}${path.delimiter}${process.env.PATH}` };
      const slowGate: Partial<BuildPlanOptions> = {
        ...signing(),
        environments: { staging: { releaseGate: { command: "sleep 5" } } },
      };
      const renewed = await publish(repository, "staging", slowGate, "staging", { registry: short, env });
      assert.ok(
        renewed.statuses.some((l) => /renewed it from the machine's login/.test(l)),
        renewed.statuses.join(" · "),
      );
      const denied = short.requests.filter((r) => r.status === 403 && r.code === "DENIED");
      assert.ok(denied.length > 0, "the token did expire on the way");
      assert.ok(short.requests.filter((r) => r.path === "/_ecr/token").length >= 2, "a second token was asked for");
      assert.equal(
        await findManifest(repository, "staging-0123456789ab", {
          server: short.server,
          username: "AWS",
          password: short.issueToken(),
        }),
        renewed.digest,
      );
      // A token the program gave cannot be renewed here: the same update fails at the first refusal, naming it.
      fs.writeFileSync(path.join(context, "Dockerfile"), DOCKERFILE.replace(`echo ${RUN}`, `echo ${RUN}-renew`));
      const err = await publish(
        repository,
        "staging",
        { ...slowGate, gitSha: "2222222222222222222222222222222222222222" },
        "staging",
        {
          registry: short,
          env: {},
          given: true,
        },
      ).then(
        () => assert.fail("without a machine login the expired token is not renewed"),
        (e: Error) => e,
      );
      assert.match(err.message, /DENIED|403|expired/);
    } finally {
      fs.writeFileSync(path.join(context, "Dockerfile"), DOCKERFILE);
      await short.close();
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
