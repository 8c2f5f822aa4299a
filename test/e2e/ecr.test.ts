/**
 * `pulumi up` against ECR's rules, for real: the go-service seed app pushed by the Docker engine,
 * signed by cosign, attested with syft's SBOM, through test/ecr-registry.ts (in front of the local
 * registry) with an ECR login (user AWS, a token, a secret in the stack's config).
 *
 * dev builds its own image into its own MUTABLE repository; staging builds, signs and attests in
 * the application's repository, which is made as the component makes production's (IMMUTABLE,
 * sha256-* excluded for the signatures); production promotes staging's digest in that repository
 * after verifying staging's signature and passing its release gate, then signs it with its own
 * key. Then every stack again from empty state (a new CI checkout): nothing is built and not one
 * tag is put again, which ECR would refuse. The same program then runs on plain distribution.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, type Stack, type UpResult } from "@pulumi/pulumi/automation";
import { repositoryTagMutability } from "../../src/ecr";
import { findManifest } from "../../src/registry";
import { parseImageReference } from "../../src/plan";
import { exampleSettings } from "../../scripts/lib/local";
import { type EcrRegistry, type RepositorySettings, startEcrInFront } from "../ecr-registry";
import { type Engine, type SupplyChainTools, requireEngine, requireSupplyChain } from "../integration/engine";
import { type E2eWorkspace, requireE2eWorkspace } from "./workspace";

const RUN = Date.now().toString(36);
const GIT_SHA = "41ec000000000000000000000000000000000001";
const ENVIRONMENTS = ["dev", "staging", "production"] as const;
type Env = (typeof ENVIRONMENTS)[number];

describe("E2E: pulumi up dev → staging → production against ECR's rules, then again from empty state", function () {
  this.timeout(1_500_000);
  let engine: Engine;
  let tools: SupplyChainTools;
  let ecr: EcrRegistry;
  let workspace: E2eWorkspace;
  const keys: Record<string, string> = {};

  before(async function () {
    engine = requireEngine(this);
    tools = requireSupplyChain(this);
    workspace = requireE2eWorkspace(this, engine, "e2e-ecr", {
      MULTISTAGE_COSIGN: tools.cosign,
      MULTISTAGE_SYFT: tools.syft,
      MULTISTAGE_GIT_SHA: GIT_SHA,
    });
    ecr = await startEcrInFront(engine.registry);
    for (const name of ["staging", "production"]) {
      execFileSync(tools.cosign, ["generate-key-pair", "--output-key-prefix", name], {
        cwd: workspace.root,
        env: { ...process.env, COSIGN_PASSWORD: `pw-${name}` },
        stdio: "ignore",
      });
      keys[name] = fs.readFileSync(path.join(workspace.root, `${name}.key`), "utf8");
    }
  });
  after(async () => {
    await ecr?.close();
    if (workspace) fs.rmSync(workspace.root, { recursive: true, force: true });
  });

  /** One program for every stack and registry: what a team's infra repo would hold. */
  async function stackFor(
    env: Env,
    project: string,
    registry: { server: string; path: string; username: string; password: string },
  ): Promise<Stack> {
    const { args, localBaseImages } = exampleSettings("go-service");
    const stagingPub = path.join(workspace.root, "staging.pub");
    const stack = await LocalWorkspace.createOrSelectStack(
      {
        stackName: env,
        projectName: project,
        program: async () => {
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const { MultiStageImage } = require("pulumi-multistage-image") as typeof import("../../src");
          const config = new pulumi.Config();
          const image = new MultiStageImage("go", {
            ...args,
            buildArgs: { ...args.buildArgs, ...localBaseImages },
            backend: "docker-cli",
            testStage: false,
            environments: {
              staging: { attestations: { sbom: true } },
              production: {
                promoteFrom: "staging",
                releaseGate: { command: 'test -n "$MULTISTAGE_IMAGE_DIGEST"' },
              },
            },
            ...(env === "dev"
              ? {}
              : {
                  signing: {
                    key: config.requireSecret("cosignKey"),
                    keyPassword: config.requireSecret("cosignPassword"),
                    publicKeys: env === "production" ? [stagingPub] : [],
                  },
                }),
            registry: {
              repository: config.require("repository"),
              username: config.require("username"),
              password: config.requireSecret("password"),
            },
          });
          return { imageUri: image.imageUri, tags: image.tags, rebuildReason: image.rebuildReason };
        },
      },
      { workDir: workspace.workDir, envVars: workspace.env },
    );
    await stack.setAllConfig({
      repository: { value: `${registry.server}/${registry.path}` },
      username: { value: registry.username },
      password: { value: registry.password, secret: true },
      ...(env === "dev"
        ? {}
        : { cosignKey: { value: keys[env], secret: true }, cosignPassword: { value: `pw-${env}`, secret: true } }),
    });
    return stack;
  }

  const ecrLogin = (): { username: string; password: string } => ({ username: "AWS", password: ecr.issueToken() });
  const repositories = { dev: `ecr-e2e-${RUN}/dev`, app: `ecr-e2e-${RUN}/app` };
  const pathOf = (env: Env): string => (env === "dev" ? repositories.dev : repositories.app);
  /** The manifest PUTs by tag the registry answered since `mark`, as "status tag code". */
  const tagPuts = (mark: number): string[] =>
    ecr.requests
      .slice(mark)
      .filter((r) => r.method === "PUT" && /\/manifests\/(?!sha256:)/.test(r.path))
      .map((r) => `${r.status} ${r.path.replace(/^.*\/manifests\//, "")}${r.code ? ` ${r.code}` : ""}`);

  const first: Partial<Record<Env, string>> = {};
  /** `pulumi up` of `env`'s stack on the ECR-faithful registry, its time and reason printed. */
  const upOnEcr = async (env: Env, when: string): Promise<UpResult> => {
    const stack = await stackFor(env, "multistage-ecr", { server: ecr.server, path: pathOf(env), ...ecrLogin() });
    const started = Date.now();
    const up = await stack.up();
    const took = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`      up ${env}${when}: ${took}s: ${String(up.outputs.rebuildReason.value)}`);
    return up;
  };

  it("dev, staging (signed, attested) and production (promoted, gated, signed again) on ECR's rules", async () => {
    // As the component creates them: dev's MUTABLE, production's IMMUTABLE with sha256-* for its signers.
    const settings = (made: ReturnType<typeof repositoryTagMutability>): RepositorySettings => ({
      imageTagMutability: made.imageTagMutability,
      exclusionFilters: made.imageTagMutabilityExclusionFilters?.map((f) => f.filter),
    });
    ecr.createRepository(repositories.dev, settings(repositoryTagMutability({}, "development", false, false)));
    const production = settings(repositoryTagMutability({}, "production", false, true));
    assert.deepEqual(production, { imageTagMutability: "IMMUTABLE_WITH_EXCLUSION", exclusionFilters: ["sha256-*"] });
    ecr.createRepository(repositories.app, production);
    const mark = ecr.requests.length;
    for (const env of ENVIRONMENTS) {
      const up = await upOnEcr(env, "");
      first[env] = up.outputs.imageUri.value as string;
      const tag = parseImageReference((up.outputs.tags.value as string[])[0]).tag as string;
      const access = { server: ecr.server, ...ecrLogin() };
      assert.equal(await findManifest(pathOf(env), tag, access), parseImageReference(first[env] as string).digest);
    }
    assert.equal(first.production, first.staging, "production runs the digest staging built, signed and attested");
    const puts = tagPuts(mark);
    assert.ok(
      puts.every((p) => p.startsWith("201 ")),
      puts.join("\n"),
    );
    const digest = (parseImageReference(first.staging as string).digest as string).slice(7);
    // Two signers, one .sig tag: staging's, then production's appended by re-putting it (sha256-* is excluded).
    assert.equal(puts.filter((p) => p === `201 sha256-${digest}.sig`).length, 2, puts.join("\n"));
    assert.ok(puts.includes(`201 sha256-${digest}.att`), "staging's SBOM beside the image");
    const release = puts.filter((p) => !/ sha256-/.test(` ${p.slice(4)}`));
    assert.deepEqual([...new Set(release)], release, "no release or inputs tag put twice");
  });

  it("every stack again from empty state (a new checkout): a no-op in effect, nothing built, no tag put again", async () => {
    assert.ok(first.production, "needs the first round");
    for (const env of ENVIRONMENTS) {
      const old = await stackFor(env, "multistage-ecr", { server: ecr.server, path: pathOf(env), ...ecrLogin() });
      await old.workspace.removeStack(env, { force: true });
    }
    const mark = ecr.requests.length;
    for (const env of ENVIRONMENTS) {
      const up = await upOnEcr(env, " from empty state");
      assert.equal(up.outputs.imageUri.value, first[env], `${env}: the same digest`);
      assert.match(String(up.outputs.rebuildReason.value), /reused|promoted/, `${env}: nothing built`);
    }
    assert.deepEqual(tagPuts(mark), [], "ECR refuses a second PUT of a tag, even of the same digest: none was sent");
  });

  it("refresh finds no drift through ECR's rules; destroy keeps every pushed digest (running tasks still pull them)", async () => {
    assert.ok(first.production, "needs the first round");
    for (const env of ENVIRONMENTS) {
      const stack = await stackFor(env, "multistage-ecr", { server: ecr.server, path: pathOf(env), ...ecrLogin() });
      const refreshed = await stack.refresh();
      assert.equal(refreshed.summary.resourceChanges?.update ?? 0, 0, `${env}: ${refreshed.stdout}`);
      const preview = await stack.preview();
      assert.deepEqual(Object.keys(preview.changeSummary).sort(), ["same"], `${env}: nothing to do after refresh`);
      await stack.destroy();
      const digest = parseImageReference(first[env] as string).digest as string;
      assert.equal(await findManifest(pathOf(env), digest, { server: ecr.server, ...ecrLogin() }), digest);
    }
  });

  it("the same program on plain distribution (MUTABLE, no rules): staging and production pass the same way", async () => {
    const { server, username, password } = engine.registry;
    const plain = {
      server,
      path: `multistage-e2e/ecr-plain-${RUN}`,
      username: username ?? "",
      password: password ?? "",
    };
    const staging = await (await stackFor("staging", "multistage-ecr-plain", plain)).up();
    const production = await (await stackFor("production", "multistage-ecr-plain", plain)).up();
    assert.equal(production.outputs.imageUri.value, staging.outputs.imageUri.value);
  });
});
