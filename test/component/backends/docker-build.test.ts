/** The docker-build back end under mocks: one Image per published image, from the same plan. */
import { strict as assert } from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { MultiStageImage, type MultiStageImageArgs } from "../../../src";
import * as fs from "fs";
import ignore from "@balena/dockerignore";
import { dockerBuildInputs } from "../../../src/backends";
import { type BuildPlan } from "../../../src/plan";
import { targetInputs, writeClosureFiles } from "../../../src/context";
import { REPO_ROOT } from "../../helpers";
import {
  ECR_PASSWORD,
  REGISTRY,
  inputErrors,
  ofType,
  published,
  resources,
  settle,
  unwrapSecret,
  useStack,
  value,
} from "../mocks";

const SERVICE = path.join(REPO_ROOT, "examples", "node-service", "app");

/** Where the back ends write a plan's closure Dockerfile (the same path every time). */
const closureDockerfile = (plan: BuildPlan): string => writeClosureFiles(plan, targetInputs(plan));
const args: MultiStageImageArgs = {
  context: SERVICE,
  backend: "docker-build",
  buildArgs: { APP_VERSION: "1.0.0" },
  environments: {
    dev: { buildArgs: { NODE_ENV: "development" } },
    production: { buildArgs: { NODE_ENV: "production" }, tags: ["stable"], platform: "linux/amd64" },
  },
  gitSha: "0123456789abcdef0123456789abcdef01234567",
  cacheFrom: [`${REGISTRY}/svc:cache`],
};

type DockerBuildInputs = {
  tags: string[];
  push: boolean;
  context: { location: string };
  dockerfile: { location: string };
  target?: string;
  buildArgs: Record<string, string>;
  platforms: string[];
  cacheFrom: Array<{ registry: { ref: string } }>;
  registries: unknown;
  buildOnPreview: boolean;
};

const images = (): Array<{ name: string; inputs: DockerBuildInputs }> =>
  published("docker-build:index:Image") as unknown as Array<{ name: string; inputs: DockerBuildInputs }>;

describe("docker-build back end", () => {
  it("publishes one Image carrying every tag, built from the plan, pushed with ECR credentials as secrets", async () => {
    useStack("production");
    const image = new MultiStageImage("svc", { ...args, tags: ["v1.0.0"], movingTags: [] });
    await settle(image.imageUri);
    const plan = await value(image.plan);
    assert.equal(ofType("docker:index/image:Image").length, 0);
    const [built] = images();
    assert.equal(built.name, "svc-image");
    const repo = `${REGISTRY}/svc-repo-1a2b3c`;
    assert.deepEqual(built.inputs.tags, [`${repo}:production-0123456789ab`, `${repo}:v1.0.0`, `${repo}:stable`]);
    assert.deepEqual(
      {
        push: built.inputs.push,
        context: built.inputs.context,
        dockerfile: built.inputs.dockerfile,
        target: built.inputs.target,
        buildArgs: built.inputs.buildArgs,
        platforms: built.inputs.platforms,
        cacheFrom: built.inputs.cacheFrom,
        buildOnPreview: built.inputs.buildOnPreview,
      },
      {
        push: true,
        context: { location: plan.context },
        dockerfile: { location: closureDockerfile(plan) },
        target: "production",
        buildArgs: { APP_VERSION: "1.0.0", NODE_ENV: "production" },
        platforms: ["linux/amd64"],
        cacheFrom: [{ registry: { ref: `${REGISTRY}/svc:cache` } }],
        buildOnPreview: false,
      },
    );
    const registries = unwrapSecret<Array<{ address: string; password: string }>>(built.inputs.registries);
    assert.equal(registries.secret, true, "the credentials reach the provider as a secret");
    assert.equal(registries.value[0].address, REGISTRY);
    assert.equal(registries.value[0].password, ECR_PASSWORD);
    assert.match(await value(image.imageUri), new RegExp(`^${repo}@sha256:[0-9a-f]{64}$`));
    assert.deepEqual(await value(image.tags), built.inputs.tags);
  });

  it("gives the provider the same build as the docker back end, and the same digest for the same inputs", async () => {
    useStack("dev");
    const a = new MultiStageImage("a", args);
    await settle(a.imageUri);
    const fromDockerBuild = images()[0].inputs;
    useStack("dev");
    const b = new MultiStageImage("b", { ...args, backend: "docker" });
    await settle(b.imageUri);
    const fromDocker = ofType("docker:index/image:Image")[0].inputs.build as ReturnType<typeof dockerBuildInputs>;
    assert.deepEqual(
      {
        context: fromDocker.context,
        dockerfile: fromDocker.dockerfile,
        target: fromDocker.target,
        args: fromDocker.args,
      },
      {
        context: fromDockerBuild.context.location,
        dockerfile: fromDockerBuild.dockerfile.location,
        target: fromDockerBuild.target,
        args: fromDockerBuild.buildArgs,
      },
    );
    useStack("dev");
    const again = new MultiStageImage("a", args);
    assert.equal(await value(again.digest), await value(a.digest));
  });

  it("gives the provider the Dockerfile reduced to the target's closure and an ignore file admitting only what it copies", async () => {
    useStack("production");
    const php = path.join(REPO_ROOT, "examples", "php-laravel", "app");
    const image = new MultiStageImage("php", {
      context: php,
      backend: "docker-build",
      environments: { production: { allowUnpinnedBaseImages: true } },
    });
    await settle(image.imageUri);
    const plan = await value(image.plan);
    const location = images()[0].inputs.dockerfile.location;
    assert.equal(location, closureDockerfile(plan));
    const text = fs.readFileSync(location, "utf8");
    assert.equal(text.split("\n").length, fs.readFileSync(path.join(php, "Dockerfile"), "utf8").split("\n").length);
    assert.match(text, /^FROM scratch AS dev$/m);
    assert.match(text, /^FROM scratch AS test$/m);
    const rules = ignore().add(fs.readFileSync(`${location}.dockerignore`, "utf8"));
    for (const admitted of [
      "composer.json",
      "composer.lock",
      "packages/greeting/src/Greeter.php",
      "app/Http/Controllers/HelloController.php",
      "public/index.php",
      "routes/web.php",
    ])
      assert.ok(!rules.ignores(admitted), admitted);
    for (const ignored of ["tests/HelloTest.php", "tests/run.php", "Dockerfile", ".dockerignore"])
      assert.ok(rules.ignores(ignored), ignored);
  });

  it("does not push when push is false, and reports the first tag", async () => {
    useStack("dev");
    const image = new MultiStageImage("svc", { ...args, push: false });
    assert.match(await value(image.imageUri), /:dev-0123456789ab$/);
    assert.equal(images()[0].inputs.push, false);
  });

  it("builds during preview only when asked", async () => {
    useStack("dev");
    const image = new MultiStageImage("svc", { ...args, buildOnPreview: true });
    await settle(image.imageUri);
    assert.equal(images()[0].inputs.buildOnPreview, true);
  });

  it("refuses an unknown back end by name", () => {
    useStack("dev");
    const errors = inputErrors(
      () => new MultiStageImage("svc", { ...args, backend: "kaniko" as MultiStageImageArgs["backend"] }),
    );
    assert.deepEqual(errors, [
      {
        propertyPath: "backend",
        reason: '"kaniko" is not a back end. Use one of "docker-build", "docker", "docker-cli".',
      },
    ]);
    assert.equal(resources.length, 0);
  });

  it("keeps a Pulumi-secret registry password out of every output", async () => {
    useStack("dev");
    const image = new MultiStageImage("svc", {
      ...args,
      registry: { repository: "127.0.0.1:5055/team/svc", username: "ci", password: pulumi.secret("hunter2-registry") },
    });
    await settle(image.imageUri);
    const outputs = await value(
      pulumi.all([image.imageUri, image.tags, image.plan, image.stages, image.buildArgs, image.repositoryUrl]),
    );
    assert.ok(!JSON.stringify(outputs).includes("hunter2-registry"));
    const registries = unwrapSecret<Array<{ password: string }>>(images()[0].inputs.registries);
    assert.deepEqual([registries.secret, registries.value[0].password], [true, "hunter2-registry"]);
  });

  it("test gate: in production the tester stage builds first, never pushed, and the image depends on it", async () => {
    useStack("production");
    const image = new MultiStageImage("svc", args);
    await settle(image.imageUri);
    const gate = ofType("docker-build:index:Image").find((r) => r.name === "svc-image-test");
    assert.ok(gate, "no gate resource");
    assert.deepEqual([gate.inputs.target, gate.inputs.push, gate.inputs.tags], ["tester", false, []]);
    assert.equal((await value(image.plan)).testTarget, "tester");
    // The gate reads the Dockerfile as written: the test stage is not in production's closure.
    assert.deepEqual(gate.inputs.dockerfile, { location: path.join(SERVICE, "Dockerfile") });
    const main = ofType("docker-build:index:Image").find((r) => r.name === "svc-image");
    assert.notDeepEqual(main?.inputs.dockerfile, gate.inputs.dockerfile);
    const urn = await value(image.images[1].urn);
    assert.match(urn, /svc-image-test$/);
    useStack("production");
    const off = new MultiStageImage("svc", { ...args, testStage: false });
    await settle(off.imageUri);
    assert.equal(ofType("docker-build:index:Image").length, 1);
    useStack("dev");
    const dev = new MultiStageImage("svc", args);
    await settle(dev.imageUri);
    assert.equal(ofType("docker-build:index:Image").length, 1, "no gate outside production");
  });
  it("keeps what it pushed: its Image is retained on delete and replacement unless deletePushedImages", async () => {
    const retained = async (extra: Partial<MultiStageImageArgs>): Promise<Record<string, boolean | undefined>> => {
      const seen: Record<string, boolean | undefined> = {};
      useStack("production");
      const image = new MultiStageImage(
        "svc",
        { ...args, ...extra },
        {
          transformations: [
            (a) => {
              if (a.type === "docker-build:index:Image") seen[a.name] = a.opts.retainOnDelete;
              return undefined;
            },
          ],
        },
      );
      await settle(image.imageUri);
      return seen;
    };
    // The gate pushes nothing; the image's provider deletes its manifest unless retained.
    assert.deepEqual((await retained({}))["svc-image"], true);
    assert.deepEqual((await retained({ deletePushedImages: true }))["svc-image"], false);
  });
  it("reports no rebuildReason and no size: its provider does not tell (undefined, not a sentence)", async () => {
    useStack("production");
    const image = new MultiStageImage("svc", args);
    await settle(image.imageUri);
    assert.equal(await value(image.rebuildReason), undefined);
    assert.equal(await value(image.size), undefined);
  });
});
