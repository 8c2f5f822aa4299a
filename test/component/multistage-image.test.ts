import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { MultiStageImage, type MultiStageImageArgs, REDACTED, planBuildFromFiles, targetInputs } from "../../src";
import { GIT_SHA_VARIABLES } from "../../src/context";
import { parseImageReference } from "../../src/plan";
import { REPO_ROOT } from "../helpers";
import {
  ACCOUNT,
  ECR_PASSWORD,
  REGISTRY,
  inputErrors,
  invokes,
  ofType,
  published,
  resources,
  lifecycleRules,
  settle,
  useStack,
  value,
} from "./mocks";
import { captureLogs } from "./secret-scan";

const SERVICE = path.join(REPO_ROOT, "examples", "node-service", "app");
// These tests read the docker back end's resources (one docker.Image per tag); the
// docker-build back end (the default) has its own tests in backends/docker-build.test.ts.
const serviceArgs = {
  backend: "docker" as const,
  context: SERVICE,
  buildArgs: { APP_VERSION: "1.0.0" },
  environments: {
    dev: { buildArgs: { NODE_ENV: "development" } },
    production: { buildArgs: { NODE_ENV: "production" } },
  },
  gitSha: "0123456789abcdef0123456789abcdef01234567",
};

function tempDockerfile(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-component-"));
  fs.writeFileSync(path.join(dir, "Dockerfile"), text);
  return dir;
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_MARK = "1b47061264138c4ac30d75fd1eb44270";

type DockerBuildInputs = {
  target?: string;
  args: Record<string, string>;
  context: string;
  dockerfile: string;
  builderVersion: string;
};

describe("MultiStageImage under Pulumi mocks", () => {
  describe("dev stack", () => {
    let image: MultiStageImage;
    before(async () => {
      useStack("dev");
      image = new MultiStageImage("svc", serviceArgs);
      await settle(image.imageUri, image.stages, image.buildArgs);
    });

    it("creates one ECR repository (mutable, scan on push, AES256, force delete) and a dev lifecycle policy", () => {
      const [repo] = ofType("aws:ecr/repository:Repository");
      assert.equal(repo.name, "svc-repo");
      assert.equal(repo.inputs.imageTagMutability, "MUTABLE");
      assert.deepEqual(repo.inputs.imageScanningConfiguration, { scanOnPush: true });
      assert.deepEqual(repo.inputs.encryptionConfigurations, [{ encryptionType: "AES256" }]);
      assert.equal(repo.inputs.forceDelete, true);
      // The stack's releases (dev-*) first, then their signatures, before the untagged and catch-all rules.
      assert.deepEqual(lifecycleRules(), [
        ["tagged", ["dev-*"], 20],
        ["tagged", ["sha256-*"], 60],
        ["untagged", undefined, 1],
        ["any", undefined, 50],
      ]);
    });

    it("builds the dev target (builder) with the dev build args, BuildKit, and pushes with ECR credentials", async () => {
      const images = ofType("docker:index/image:Image");
      assert.equal(images.length, 1);
      const build = images[0].inputs.build as DockerBuildInputs;
      assert.equal(build.target, "builder");
      assert.deepEqual(build.args, { APP_VERSION: "1.0.0", NODE_ENV: "development" });
      assert.equal(build.context, SERVICE);
      // The Dockerfile reduced to the target's closure (same lines), written for the build.
      assert.equal(fs.readFileSync(build.dockerfile as string, "utf8"), (await value(image.plan)).closure?.dockerfile);
      assert.equal(build.builderVersion, "BuilderBuildKit");
      assert.equal(images[0].inputs.imageName, `${REGISTRY}/svc-repo-1a2b3c:dev-0123456789ab`);
      // The whole registry block reaches the provider as a secret (Pulumi's secret envelope).
      const envelope = images[0].inputs.registry as Record<string, unknown>;
      assert.equal(envelope[SECRET_SIG], SECRET_MARK);
      const registry = envelope.value as { server: string; username: string; password: string };
      assert.equal(registry.server, REGISTRY);
      assert.equal(registry.password, ECR_PASSWORD);
      assert.equal(images[0].inputs.skipPush, false);
      assert.ok(
        invokes.some(
          (i) => i.type === "aws:ecr/getAuthorizationToken:getAuthorizationToken" && i.inputs.registryId === ACCOUNT,
        ),
      );
    });

    it("outputs a digest-pinned imageUri, the target and the stage graph", async () => {
      assert.match(await value(image.imageUri), new RegExp(`^${REGISTRY}/svc-repo-1a2b3c@sha256:[0-9a-f]{64}$`));
      assert.equal(await value(image.target), "builder");
      assert.equal(await value(image.environment), "dev");
      assert.equal(await value(image.environmentKind), "development");
      const stages = await value(image.stages);
      assert.deepEqual(
        stages.map((s) => [s.name, s.built]),
        [
          ["deps", true],
          ["prod-deps", false],
          ["builder", true],
          ["tester", false],
          ["production", false],
        ],
      );
      assert.deepEqual(await value(image.tags), [`${REGISTRY}/svc-repo-1a2b3c:dev-0123456789ab`]);
    });

    it("parents every child to the component", async () => {
      const urn = await value(image.repository!.urn);
      assert.match(urn, /::multistage:index:MultiStageImage\$aws:ecr\/repository:Repository::svc-repo$/);
      const imageUrn = await value(image.images[0].urn);
      assert.match(imageUrn, /::multistage:index:MultiStageImage\$docker:index\/image:Image::svc-image$/);
    });

    it("hands the provider exactly the plan planBuildFromFiles makes", async () => {
      const plan = await value(image.plan);
      const expected = planBuildFromFiles({ ...serviceArgs, environment: "dev" });
      assert.deepEqual({ ...plan, warnings: [] }, { ...expected, warnings: [] });
    });
  });

  describe("production stack", () => {
    let image: MultiStageImage;
    before(async () => {
      useStack("production");
      image = new MultiStageImage("svc", { ...serviceArgs, tags: ["v1.0.0"] });
      await settle(image.imageUri, image.tags);
    });

    it("builds the final stage with production args", () => {
      const images = published("docker:index/image:Image");
      const build = images[0].inputs.build as DockerBuildInputs;
      assert.equal(build.target, "production");
      assert.deepEqual(build.args, { APP_VERSION: "1.0.0", NODE_ENV: "production" });
    });

    it("makes the repository immutable, never force-deleted, keeping 100 tagged releases", () => {
      const [repo] = ofType("aws:ecr/repository:Repository");
      assert.equal(repo.inputs.imageTagMutability, "IMMUTABLE");
      assert.equal(repo.inputs.forceDelete, false);
      const rules = JSON.parse(ofType("aws:ecr/lifecyclePolicy:LifecyclePolicy")[0].inputs.policy as string).rules;
      // Its releases by their tags' patterns: the default strategy's and the fixed tag.
      assert.deepEqual(
        rules.slice(0, 2).map((r: { selection: { tagPatternList: string[] } }) => r.selection.tagPatternList),
        [["production-*"], ["v1.0.0"]],
      );
      assert.deepEqual(rules[1].selection, {
        tagStatus: "tagged",
        tagPatternList: ["v1.0.0"],
        countType: "imageCountMoreThan",
        countNumber: 100,
      });
    });

    it("pushes one image per tag, all built from the same inputs", async () => {
      const images = published("docker:index/image:Image");
      assert.deepEqual(
        images.map((i) => [i.name, i.inputs.imageName]),
        [
          ["svc-image", `${REGISTRY}/svc-repo-1a2b3c:production-0123456789ab`],
          ["svc-image-1", `${REGISTRY}/svc-repo-1a2b3c:v1.0.0`],
        ],
      );
      assert.deepEqual(images[0].inputs.build, images[1].inputs.build);
      assert.equal(await value(image.target), "production");
    });
  });

  it("builds the final stage on a staging stack and takes the environment from config", async () => {
    useStack("ci-42", { "multistage:environment": "staging" });
    const image = new MultiStageImage("svc", serviceArgs);
    await settle(image.imageUri);
    assert.equal(await value(image.environment), "staging");
    assert.equal((ofType("docker:index/image:Image")[0].inputs.build as DockerBuildInputs).target, "production");
    assert.equal(ofType("aws:ecr/repository:Repository")[0].inputs.imageTagMutability, "MUTABLE");
  });

  it("adopts an existing repository by URL in another account without creating one", async () => {
    useStack("production");
    const url = "210987654321.dkr.ecr.eu-west-1.amazonaws.com/shared/app";
    const image = new MultiStageImage("svc", { ...serviceArgs, repository: { existing: url } });
    await settle(image.imageUri);
    assert.equal(ofType("aws:ecr/repository:Repository").length, 0);
    assert.equal(ofType("aws:ecr/lifecyclePolicy:LifecyclePolicy").length, 0);
    assert.match(
      ofType("docker:index/image:Image")[0].inputs.imageName as string,
      /^210987654321\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/shared\/app:production-/,
    );
    assert.ok(invokes.some((i) => i.type.endsWith("getAuthorizationToken") && i.inputs.registryId === "210987654321"));
    assert.match(
      await value(image.imageUri),
      /^210987654321\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/shared\/app@sha256:/,
    );
  });

  it("adopts an existing repository by name through aws.ecr.getRepository", async () => {
    useStack("dev");
    const image = new MultiStageImage("svc", { ...serviceArgs, repository: { existing: "team/app" } });
    await settle(image.imageUri);
    assert.ok(invokes.some((i) => i.type === "aws:ecr/getRepository:getRepository" && i.inputs.name === "team/app"));
    assert.equal(await value(image.repositoryUrl), `${REGISTRY}/team/app`);
  });

  describe("what it refuses at construction, before any build", () => {
    beforeEach(() => useStack("production"));

    it("an unknown target, naming the closest stages", () => {
      assert.throws(
        () => new MultiStageImage("svc", { ...serviceArgs, target: "testr" }),
        /examples\/node-service\/app\/Dockerfile: target "testr" is not a stage of this Dockerfile\. Did you mean "tester"\? Stages you can target: deps, prod-deps, builder, tester, production\./,
      );
      assert.throws(
        () => new MultiStageImage("svc", { ...serviceArgs, target: "biulder" }),
        /Did you mean "builder"\?/,
      );
      assert.equal(ofType("docker:index/image:Image").length, 0);
    });

    it("a non-final target in production, unless allowed", () => {
      assert.throws(
        () => new MultiStageImage("svc", { ...serviceArgs, target: "tester" }),
        /production environment "production" would build stage "tester", not the final stage "production"/,
      );
      const allowed = { ...serviceArgs, environments: { production: { target: "tester", allowNonFinalTarget: true } } };
      assert.doesNotThrow(() => new MultiStageImage("svc2", allowed));
    });

    it("a missing required arg, with file and line", () => {
      const dir = tempDockerfile("FROM busybox:1.36\nARG RELEASE\nRUN echo $RELEASE > /release\n");
      assert.throws(
        () => new MultiStageImage("svc", { context: dir }),
        /Dockerfile:3: stage "#0": build arg RELEASE \(declared at line 2 without a default\) is used by RUN but was not passed/,
      );
    });

    it("an untagged or latest base image in production, but not in dev", () => {
      const dir = tempDockerfile("FROM busybox AS dev\nFROM nginx:latest\nCOPY --from=dev /bin/sh /sh\n");
      assert.throws(
        () => new MultiStageImage("svc", { context: dir, gitSha: "0123456789abcdef0123456789abcdef01234567" }),
        /has 2 problems:[\s\S]*"busybox" is not tagged[\s\S]*"nginx:latest" is tagged latest/,
      );
      useStack("dev");
      assert.doesNotThrow(() => new MultiStageImage("svc", { context: dir }));
    });

    it("a dependency cycle and a forward reference", () => {
      const dir = tempDockerfile(
        "FROM busybox:1.36 AS a\nCOPY --from=b /x /x\nFROM busybox:1.36 AS b\nCOPY --from=a /y /y\n",
      );
      assert.throws(
        () =>
          new MultiStageImage("svc", {
            context: dir,
            target: "b",
            environments: { production: { allowNonFinalTarget: true } },
          }),
        /dependency cycle/,
      );
    });

    it("a missing Dockerfile, naming the path", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-empty-"));
      assert.throws(() => new MultiStageImage("svc", { context: dir }), /Dockerfile: the Dockerfile does not exist/);
    });

    it("secret-looking build args, and force delete or moving tags on an immutable production repository", () => {
      assert.throws(
        () => new MultiStageImage("svc", { ...serviceArgs, buildArgs: { ...serviceArgs.buildArgs, NPM_TOKEN: "t" } }),
        /build arg NPM_TOKEN looks like a secret.*RUN --mount=type=secret/,
      );
      assert.throws(
        () => new MultiStageImage("svc", { ...serviceArgs, repository: { forceDelete: true } }),
        /repository\.forceDelete: is not allowed in production/,
      );
      assert.throws(
        () => new MultiStageImage("svc", { ...serviceArgs, movingTags: ["latest"] }),
        /IMMUTABLE repository refuses/,
      );
    });
  });

  describe("build args and secrets", () => {
    it("validates build args known only later (Outputs) when they resolve", async () => {
      useStack("dev");
      const image = new MultiStageImage("svc", { ...serviceArgs, target: pulumi.output("biulder") });
      await assert.rejects(value(image.plan), /Did you mean "builder"\?/);
    });

    it("refuses Pulumi-secret build arg values: they would land in the image history", async () => {
      useStack("dev");
      const image = new MultiStageImage("svc", { ...serviceArgs, buildArgs: { APP_VERSION: pulumi.secret("1.0.0") } });
      await assert.rejects(value(image.buildArgs), /buildArgs\.APP_VERSION: build args that hold Pulumi secrets/);
      // An additional image's, by its own path.
      const more = new MultiStageImage("svc2", {
        ...serviceArgs,
        additionalImages: { migrations: { target: "builder", buildArgs: { TOKENISH: pulumi.secret("x") } } },
      });
      await assert.rejects(
        value(more.buildArgs),
        /additionalImages\.migrations\.buildArgs\.TOKENISH: build args that hold Pulumi secrets/,
      );
    });

    it("when allowed, shows secret values as [secret] and never in non-secret outputs", async () => {
      useStack("dev");
      const image = new MultiStageImage("svc", {
        ...serviceArgs,
        allowSecretLikeBuildArgs: true,
        buildArgs: { APP_VERSION: pulumi.secret("s3cr3t-version"), NPM_TOKEN: "tok-123" },
      });
      const buildArgs = await value(image.buildArgs);
      assert.deepEqual(buildArgs, { APP_VERSION: REDACTED, NPM_TOKEN: REDACTED, NODE_ENV: "development" });
      assert.equal(await pulumi.isSecret(image.buildArgs), false);
      const plan = JSON.stringify(await value(image.plan));
      assert.ok(!plan.includes("s3cr3t-version") && !plan.includes("tok-123"), plan);
      assert.equal(await pulumi.isSecret(image.imageUri), false);
    });
  });

  it("keeps non-fatal findings in plan.warnings (a build arg no stage declares)", async () => {
    useStack("dev");
    const image = new MultiStageImage("svc", {
      ...serviceArgs,
      buildArgs: { ...serviceArgs.buildArgs, APP_VERISON: "2" },
    });
    const plan = await value(image.plan);
    assert.deepEqual(
      plan.warnings.map((w) => [w.code, w.arg]),
      [["unknown-arg", "APP_VERISON"]],
    );
    assert.match(plan.warnings[0].message, /Did you mean "APP_VERSION"\?/);
  });

  it("pushes every tag it reports: a strategy with several tags and environment tags", async () => {
    useStack("production");
    const image = new MultiStageImage("svc", {
      ...serviceArgs,
      tagStrategy: (c) => [`${c.env}-${c.gitSha!.slice(0, 7)}`, `build-${c.target}`],
      environments: { production: { tags: ["release-1"] } },
    });
    const tags = await value(image.tags);
    await settle(image.imageUri);
    assert.deepEqual(
      tags.map((t) => parseImageReference(t).tag),
      ["production-0123456", "build-production", "release-1"],
    );
    assert.deepEqual(
      published("docker:index/image:Image").map((i) => i.inputs.imageName),
      tags,
    );
  });

  describe("without a commit (a source tarball in CI), the default release tag carries the inputs hash", () => {
    const CI_VARIABLES = GIT_SHA_VARIABLES;
    const saved: Record<string, string | undefined> = {};
    before(() => {
      for (const name of CI_VARIABLES) {
        saved[name] = process.env[name];
        delete process.env[name];
      }
    });
    after(() => {
      for (const name of CI_VARIABLES) if (saved[name] !== undefined) process.env[name] = saved[name];
    });

    it("the same inputs give the same {inputsHash} on every back end, base images counted by digest", async () => {
      const dir = tempDockerfile(`FROM alpine@sha256:${"1".repeat(64)} AS production\nCOPY app.txt /app.txt\n`);
      fs.writeFileSync(path.join(dir, "app.txt"), "v1");
      const tags: string[] = [];
      for (const backend of ["docker-cli", "docker-build", "docker"] as const) {
        useStack("production");
        const image = new MultiStageImage("svc", { backend, context: dir });
        tags.push((await value(image.tags))[0]);
        await settle(image.imageUri);
      }
      // One preparation for every back end: the pinned base's digest is in each one's hash.
      const plan = planBuildFromFiles({ context: dir, environment: "production" });
      const withDigest = targetInputs(plan, { [`alpine@sha256:${"1".repeat(64)}`]: `sha256:${"1".repeat(64)}` }).hash;
      assert.deepEqual(tags, Array(3).fill(`${REGISTRY}/svc-repo-1a2b3c:production-${withDigest.slice(7, 19)}`));
    });

    for (const backend of ["docker-cli", "docker-build", "docker"] as const) {
      it(`on ${backend}: production-<12 hex of the inputs hash>, new when the closure changes, the same otherwise`, async () => {
        // Outside any git checkout: no commit is known. Production's repository is IMMUTABLE,
        // so a tag that repeats across releases (the old "production-production") would fail.
        const dir = tempDockerfile(`FROM alpine@sha256:${"1".repeat(64)} AS production\nCOPY app.txt /app.txt\n`);
        fs.writeFileSync(path.join(dir, "app.txt"), "v1");
        fs.writeFileSync(path.join(dir, "notes.txt"), "not copied");
        const tagOf = async (): Promise<string> => {
          useStack("production");
          const image = new MultiStageImage("svc", { backend, context: dir });
          const [tag] = await value(image.tags);
          await settle(image.imageUri);
          const expected = targetInputs(planBuildFromFiles({ context: dir, environment: "production" }), {
            [`alpine@sha256:${"1".repeat(64)}`]: `sha256:${"1".repeat(64)}`,
          }).hash;
          assert.equal(tag, `${REGISTRY}/svc-repo-1a2b3c:production-${expected.replace(/^sha256:/, "").slice(0, 12)}`);
          return tag;
        };
        const first = await tagOf();
        fs.writeFileSync(path.join(dir, "notes.txt"), "edited outside the closure");
        assert.equal(await tagOf(), first);
        fs.writeFileSync(path.join(dir, "app.txt"), "v2");
        assert.notEqual(await tagOf(), first);
      });
    }
  });

  it("does not push when push is false and then reports the local tag", async () => {
    useStack("dev");
    const image = new MultiStageImage("svc", { ...serviceArgs, push: false });
    assert.match(await value(image.imageUri), /:dev-0123456789ab$/);
    assert.equal(resources.find((r) => r.type === "docker:index/image:Image")?.inputs.skipPush, true);
  });
});

describe("MultiStageImage reads and parses the Dockerfile once", () => {
  /**
   * Count `fs.readFileSync` calls reading `file` as text and `parseDockerfile` calls while `run`
   * runs. (A closure that copies the whole context also hashes the Dockerfile's bytes, as a
   * file of the context: those reads are not of its text.)
   */
  async function countReads(file: string, run: () => Promise<void>): Promise<{ reads: number; parses: number }> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fsModule = require("fs") as typeof fs;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const parseModule = require("../../src/dockerfile/parse") as { parseDockerfile: (...a: unknown[]) => unknown };
    const readFileSync = fsModule.readFileSync;
    const parseDockerfile = parseModule.parseDockerfile;
    const counts = { reads: 0, parses: 0 };
    fsModule.readFileSync = ((p: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
      if (p === file && rest[0] === "utf8") counts.reads++;
      return (readFileSync as (...a: unknown[]) => unknown)(p, ...rest);
    }) as typeof fs.readFileSync;
    parseModule.parseDockerfile = (...a: unknown[]) => {
      counts.parses++;
      return parseDockerfile(...a);
    };
    try {
      await run();
    } finally {
      fsModule.readFileSync = readFileSync;
      parseModule.parseDockerfile = parseDockerfile;
    }
    return counts;
  }

  const withExtras = {
    ...serviceArgs,
    additionalImages: { tests: { target: "tester" }, deps: { target: "deps" } },
  };

  it("with plain inputs: once for the main image, the additional images and every output", async () => {
    useStack("production");
    const counts = await countReads(path.join(SERVICE, "Dockerfile"), async () => {
      const image = new MultiStageImage("svc", withExtras);
      await settle(image.imageUri, image.stages, image.plan, image.additionalImages, image.buildArgs);
    });
    assert.deepEqual(counts, { reads: 1, parses: 1 });
  });

  it("with inputs known only later (Outputs): once as well", async () => {
    useStack("dev");
    const counts = await countReads(path.join(SERVICE, "Dockerfile"), async () => {
      const image = new MultiStageImage("svc", { ...withExtras, context: pulumi.output(SERVICE) });
      await settle(image.imageUri, image.stages, image.plan, image.additionalImages, image.buildArgs);
    });
    assert.deepEqual(counts, { reads: 1, parses: 1 });
  });

  it("with buildArgs late on a back end that gates at construction: once, read at construction", async () => {
    useStack("production");
    const counts = await countReads(path.join(SERVICE, "Dockerfile"), async () => {
      const late = {
        ...serviceArgs,
        backend: "docker-build" as const,
        buildArgs: pulumi.output(serviceArgs.buildArgs),
      };
      const image = new MultiStageImage("svc", late);
      await settle(image.imageUri, image.stages, image.plan);
    });
    // Twice before: once for the gate's stage at construction, once more when the inputs resolved.
    assert.deepEqual(counts, { reads: 1, parses: 1 });
  });
});

describe("MultiStageImage reports problems with property paths", () => {
  it("raises every invalid input at once as an InputPropertiesError, creating nothing", () => {
    useStack("production", { "multistage:environments": JSON.stringify({ production: { platform: 64 } }) });
    const errors = inputErrors(
      () =>
        new MultiStageImage("svc", {
          ...serviceArgs,
          tags: ["v1", "bad/tag:x"],
          buildArgs: { ...serviceArgs.buildArgs, NPM_TOKEN: "t" },
          environments: { production: { target: "testr", buildArgs: { NODE_ENV: "production" } } },
          additionalImages: { "-bad": { target: "deps" } },
          repository: { replicateTo: [{ region: "mars" }] },
        }),
    );
    assert.deepEqual(
      errors.map((e) => e.propertyPath),
      [
        "multistage:environments.production.platform",
        "repository.replicateTo[0].region",
        "additionalImages.-bad",
        "buildArgs.NPM_TOKEN",
        "environments.production.target",
        "tags[1]",
      ],
    );
    assert.match(
      errors[4].reason,
      /Dockerfile: target "testr" is not a stage of this Dockerfile\. Did you mean "tester"\?/,
    );
    assert.equal(ofType("aws:ecr/repository:Repository").length + ofType("docker:index/image:Image").length, 0);
  });

  it("names the tag at fault once the target is known", () => {
    useStack("production");
    const errors = inputErrors(() => new MultiStageImage("svc", { ...serviceArgs, tags: ["v1", "bad/tag:x"] }));
    assert.deepEqual(
      errors.map((e) => [e.propertyPath, e.reason]),
      [
        [
          "tags[1]",
          `"bad/tag:x" is not a valid image tag (9 characters). Tags are up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'.`,
        ],
      ],
    );
  });

  it("reports a problem found only once inputs resolve as a ResourceError on the component", async () => {
    useStack("dev");
    const image = new MultiStageImage("svc", { ...serviceArgs, target: pulumi.output("biulder") });
    const err = await value(image.plan).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(pulumi.ResourceError.isInstance(err), `not a ResourceError: ${String(err)}`);
    assert.equal(err.resource, image);
    assert.match(err.message, /target: .*Dockerfile: target "biulder" is not a stage.*Did you mean "builder"\?/);
  });
});

describe("MultiStageImage refuses late values (Outputs) before creating anything", () => {
  // Each late arg, wrong only once it resolves: the refusal must come before the ECR
  // repository, its policies or any image resource is registered.
  const lateCases: Array<[string, Partial<MultiStageImageArgs>, RegExp]> = [
    ["an unknown target", { target: pulumi.output("biulder") }, /target "biulder" is not a stage/],
    ["a secret-looking build arg", { buildArgs: pulumi.output({ APP_VERSION: "1", GH_PAT: "ghp_x" }) }, /GH_PAT/],
    ["a missing Dockerfile", { dockerfile: pulumi.output("Nope.dockerfile") }, /Nope\.dockerfile/],
    ["an invalid platform", { platform: pulumi.output("linux/amd64/v9/x") }, /platform/],
    [
      "cacheFrom as an Output of a string, not a list",
      { cacheFrom: pulumi.output("registry.example.com/app:cache") as never },
      /cacheFrom: must be a list of strings/,
    ],
  ];
  for (const backend of ["docker-cli", "docker-build", "docker"] as const)
    for (const [what, late, message] of lateCases) {
      it(`${backend}: ${what}: refused, and no resource registered`, async () => {
        useStack("production");
        let err: unknown;
        try {
          const image = new MultiStageImage("svc", { ...serviceArgs, backend, ...late });
          err = await value(image.imageUri).then(
            () => undefined,
            (e: unknown) => e,
          );
        } catch (e) {
          err = e; // refused at construction: even earlier
        }
        await new Promise((resolve) => setTimeout(resolve, 50)); // let any registration reach the mocks
        assert.ok(err instanceof Error, `not refused: ${String(err)}`);
        // The back ends that create the production test gate at construction need the Dockerfile
        // then: a late one is refused at once, with that reason.
        assert.match(
          err.message,
          backend !== "docker-cli" && "dockerfile" in late
            ? /the Dockerfile cannot be read then \(context or dockerfile is an Output\)/
            : message,
        );
        // The component itself is registered at construction (it creates nothing in the cloud).
        assert.deepEqual(
          resources.map((r) => r.type).filter((t) => t !== "multistage:index:MultiStageImage"),
          [],
          "nothing may be created",
        );
      });
    }
});

describe("MultiStageImage across environment names and late values", () => {
  it("a prd stack takes environments.production, and a stack no entry fits is warned about", async () => {
    useStack("prd");
    const image = new MultiStageImage("svc", serviceArgs);
    assert.deepEqual(await value(image.buildArgs), { APP_VERSION: "1.0.0", NODE_ENV: "production" });
    useStack("qa");
    const { lines } = await captureLogs(async () => {
      const qa = new MultiStageImage("svc", serviceArgs);
      await settle(qa.imageUri);
    });
    assert.ok(
      lines.some((l) => /environments: no entry applies to environment "qa" \(entries: dev, production\)/.test(l)),
      lines.join("\n"),
    );
  });

  it("a production base image given as another image's digest-pinned imageUri waits for it, and passes the guard", async () => {
    useStack("production");
    const dir = tempDockerfile("ARG BASE\nFROM ${BASE}\nRUN true\n");
    const base = new MultiStageImage("base", { ...serviceArgs });
    const app = new MultiStageImage("app", {
      context: dir,
      backend: "docker",
      buildArgs: { BASE: base.imageUri },
      gitSha: "0123456789abcdef0123456789abcdef01234567",
    });
    const plan = await value(app.plan);
    assert.match(plan.externalImages[0], /@sha256:[0-9a-f]{64}$/);
    assert.equal(plan.buildArgs.BASE, await value(base.imageUri));
  });
});
