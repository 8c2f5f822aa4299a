/**
 * BuildKit against ECR's rules (test/ecr-registry.ts), through the publish pipeline: a
 * multi-platform index whose children are pushed by digest only (ECR refuses a child re-put under
 * the release tag, docker/buildx#663), and the registry cache's moving `cache-*` tag, which an
 * IMMUTABLE repository takes only with the exclusion filter the component sets.
 */
import { baseImageResolver, dockerHost } from "../../src/host";
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { type BuildPlanOptions, planBuildFromFiles } from "../../src";
import { repositoryTagMutability } from "../../src/ecr";
import { getManifest } from "../../src/registry";
import { withInputsHash } from "../../src/plan";
import { type PublishResult, prepareImage, publishImage } from "../../src/publish";
import { exampleSettings } from "../../scripts/lib/local";
import { type EcrRegistry, startEcrInFront } from "../ecr-registry";
import { type Builder, type Engine, requireBuilder, requireEngine } from "./engine";

const RUN = Date.now().toString(36);

describe("Integration: BuildKit on ECR's rules (multi-platform index, registry cache tags)", function () {
  this.timeout(900_000);
  let engine: Engine;
  let builder: Builder;
  let ecr: EcrRegistry;
  let context: string;

  before(async function () {
    engine = requireEngine(this);
    builder = requireBuilder(this);
    ecr = await startEcrInFront(engine.registry);
    // A copy of the go-service app: a test below changes a file of it.
    context = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-ecr-builder-"));
    fs.cpSync(exampleSettings("go-service").args.context as string, context, { recursive: true });
  });
  after(async () => {
    await ecr?.close();
    if (context) fs.rmSync(context, { recursive: true, force: true });
  });

  async function publish(repository: string, options: Partial<BuildPlanOptions>): Promise<PublishResult> {
    const { args, localBaseImages } = exampleSettings("go-service");
    const plan = planBuildFromFiles({
      ...args,
      context,
      buildArgs: { ...args.buildArgs, ...localBaseImages },
      environment: "production",
      gitSha: "0123456789abcdef0123456789abcdef01234567",
      testStage: false,
      ...options,
    } as BuildPlanOptions);
    const registry = { server: ecr.server, username: "AWS", password: ecr.issueToken() };
    const prepared = await prepareImage(plan, registry, {
      resolveImages: baseImageResolver(builder.env),
      secret: false,
      warn: () => undefined,
    });
    const references = withInputsHash(plan.tags, prepared.inputs.hash).map((t) => `${ecr.server}/${repository}:${t}`);
    // The builder pulls its base images from the local registry (docker.io's mirror), with that login.
    const configDir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-ecr-builder-config-"));
    const local = engine.registry;
    const auth = Buffer.from(`${local.username}:${local.password}`).toString("base64");
    fs.writeFileSync(path.join(configDir, "config.json"), JSON.stringify({ auths: { [local.server]: { auth } } }));
    try {
      return await publishImage(
        { plan, references, push: true, registry, ...prepared, cwd: context },
        undefined,
        dockerHost(plan, {
          env: builder.env,
          configDir,
        }),
      );
    } finally {
      fs.rmSync(configDir, { recursive: true, force: true });
    }
  }

  const puts = (mark: number): Array<{ reference: string; status: number; code?: string }> =>
    ecr.requests
      .slice(mark)
      .filter((r) => r.method === "PUT" && r.path.includes("/manifests/"))
      .map((r) => ({ reference: r.path.replace(/^.*\/manifests\//, ""), status: r.status, code: r.code }));

  it("an index of linux/amd64 and linux/arm64: the children by digest, only the index under tags; the cache tag moves", async () => {
    const repository = `ecr-builder-${RUN}/app`;
    const made = repositoryTagMutability({}, "production", true, false);
    ecr.createRepository(repository, {
      imageTagMutability: made.imageTagMutability,
      exclusionFilters: made.imageTagMutabilityExclusionFilters?.map((f) => f.filter),
    });
    const mark = ecr.requests.length;
    const built = await publish(repository, {
      builder: { endpoint: builder.endpoint },
      platforms: ["linux/amd64", "linux/arm64"],
      registryCache: true,
    });
    const access = { server: ecr.server, username: "AWS", password: ecr.issueToken() };
    const index = await getManifest(repository, built.digest, access);
    const children = (index.body.manifests ?? []).map((m) => m.digest);
    assert.equal(children.length, 2, index.mediaType);
    const sent = puts(mark);
    assert.ok(
      sent.every((p) => p.status === 201),
      JSON.stringify(sent),
    );
    const byTag = sent.filter((p) => !p.reference.startsWith("sha256:")).map((p) => p.reference);
    for (const child of children)
      assert.ok(
        sent.some((p) => p.reference === child),
        `child ${child} put by its digest`,
      );
    assert.deepEqual(
      byTag.sort(),
      [
        "cache-production-production-linux-amd64_linux-arm64",
        `inputs-${built.inputs.hash.slice(7)}`,
        "production-0123456789ab",
      ],
      "only the index and the cache under tags",
    );
    // New inputs: a new index, the release tag new, the cache tag put again (cache-* is excluded).
    fs.appendFileSync(path.join(context, "main.go"), "\n// changed\n");
    const again = await publish(repository, {
      builder: { endpoint: builder.endpoint },
      platforms: ["linux/amd64", "linux/arm64"],
      registryCache: true,
      gitSha: "1111111111111111111111111111111111111111",
    });
    assert.notEqual(again.digest, built.digest);
  });

  it("without the cache-* exclusion, the cache tag cannot move: the second build fails with ECR's reason", async () => {
    const repository = `ecr-builder-${RUN}/no-exclusion`;
    ecr.createRepository(repository, { imageTagMutability: "IMMUTABLE" });
    await publish(repository, { builder: { endpoint: builder.endpoint }, registryCache: true });
    fs.appendFileSync(path.join(context, "main.go"), "\n// changed again\n");
    const mark = ecr.requests.length;
    const err = await publish(repository, {
      builder: { endpoint: builder.endpoint },
      registryCache: true,
      gitSha: "2222222222222222222222222222222222222222",
    }).then(
      () => assert.fail("an IMMUTABLE repository refuses to move cache-production-production"),
      (e: Error) => e,
    );
    assert.ok(
      puts(mark).some((p) => p.reference === "cache-production-production" && p.code === "TAG_INVALID"),
      JSON.stringify(puts(mark)),
    );
    assert.match(err.message, /every stage built, but the registry refused its cache/);
    assert.match(err.message, /an exclusion filter cache-\*/);
  });
});
