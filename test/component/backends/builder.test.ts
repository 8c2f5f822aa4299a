/**
 * BuildKit features under mocks: what each back end's resources receive for `builder`,
 * `registryCache`, `platforms`, `ssh` and `attestations`, the ECR repository that lets cache
 * tags move, and the refusals of back ends that cannot pass a feature (nothing created).
 */
import { strict as assert } from "assert";
import * as path from "path";
import { MultiStageImage, type MultiStageImageArgs } from "../../../src";
import { REPO_ROOT } from "../../helpers";
import { REGISTRY, inputErrors, ofType, resources, settle, useStack, value } from "../mocks";

const SERVICE = path.join(REPO_ROOT, "examples", "node-service", "app");
const GO = path.join(REPO_ROOT, "examples", "go-service", "app");
const REPO = `${REGISTRY}/svc-repo-1a2b3c`;
const args: MultiStageImageArgs = {
  context: SERVICE,
  buildArgs: { APP_VERSION: "1.0.0" },
  environments: { dev: {}, production: {} },
  gitSha: "0123456789abcdef0123456789abcdef01234567",
  builder: "ci-farm",
  backend: "docker-build",
};

interface CacheRef {
  registry: { ref: string; mode?: string; imageManifest?: boolean; ociMediaTypes?: boolean };
}
interface Inputs {
  builder?: { name?: string };
  cacheTo: CacheRef[];
  cacheFrom: CacheRef[];
  platforms: string[];
  ssh: Array<{ id: string; paths?: string[] }>;
  target?: string;
}
const dockerBuildImage = (name = "svc-image"): Inputs =>
  ofType("docker-build:index:Image").find((r) => r.name === name)?.inputs as unknown as Inputs;

describe("BuildKit features: builder, registry cache, platforms, SSH, attestations", () => {
  describe("docker-build back end", () => {
    it("selects the builder by name and exports the cache to <repo>:cache-<target>-<env> (mode max, image manifest, OCI)", async () => {
      useStack("production");
      const image = new MultiStageImage("svc", { ...args, testStage: false });
      await settle(image.imageUri);
      const inputs = dockerBuildImage();
      assert.deepEqual(inputs.builder, { name: "ci-farm" });
      assert.deepEqual(inputs.cacheTo, [
        {
          registry: {
            ref: `${REPO}:cache-production-production`,
            mode: "max",
            imageManifest: true,
            ociMediaTypes: true,
          },
        },
      ]);
      // Its own cache first, then dev's: dev's builder stage is production's too.
      assert.deepEqual(
        inputs.cacheFrom.map((c) => c.registry.ref),
        [`${REPO}:cache-production-production`, `${REPO}:cache-builder-dev`],
      );
      assert.deepEqual((await value(image.plan)).cache, {
        to: "cache-production-production",
        from: ["cache-production-production", "cache-builder-dev"],
        mode: "max",
      });
    });

    it("per environment: dev's cache tag names its target, and fromEnvironments: false reads only its own", async () => {
      useStack("dev");
      await settle(new MultiStageImage("svc", args).imageUri);
      assert.equal(dockerBuildImage().cacheTo[0].registry.ref, `${REPO}:cache-builder-dev`);
      useStack("dev");
      await settle(
        new MultiStageImage("svc", { ...args, registryCache: { fromEnvironments: false, mode: "min" } }).imageUri,
      );
      assert.deepEqual(
        dockerBuildImage().cacheFrom.map((c) => c.registry.ref),
        [`${REPO}:cache-builder-dev`],
      );
      assert.equal(dockerBuildImage().cacheTo[0].registry.mode, "min");
    });

    it("no builder, no registry cache (the engine's builder cannot export one); registryCache: false turns it off", async () => {
      useStack("dev");
      const { builder, ...noBuilder } = args;
      void builder;
      await settle(new MultiStageImage("svc", noBuilder).imageUri);
      assert.deepEqual(
        [dockerBuildImage().cacheTo, dockerBuildImage().cacheFrom, dockerBuildImage().builder],
        [[], [], {}],
      );
      useStack("dev");
      await settle(new MultiStageImage("svc", { ...args, environments: { dev: { registryCache: false } } }).imageUri);
      assert.deepEqual(dockerBuildImage().cacheTo, []);
    });

    it("builds the environment's platforms into one Image; the test gate exports no cache", async () => {
      useStack("production");
      const image = new MultiStageImage("go", {
        context: GO,
        backend: "docker-build",
        builder: "ci-farm",
        environments: { production: { platforms: ["linux/amd64", "linux/arm64"] } },
      });
      await settle(image.imageUri);
      assert.deepEqual(dockerBuildImage("go-image").platforms, ["linux/amd64", "linux/arm64"]);
      const gate = dockerBuildImage("go-image-test");
      assert.deepEqual([gate.target, gate.cacheTo, gate.platforms.length], ["test", [], 2]);
      assert.deepEqual((await value(image.plan)).platforms, ["linux/amd64", "linux/arm64"]);
    });

    it("forwards SSH agents by id, with key paths when given", async () => {
      useStack("dev");
      await settle(
        new MultiStageImage("svc", {
          ...args,
          ssh: [{ id: "default" }, { id: "github", paths: ["/keys/id_ed25519"] }],
        }).imageUri,
      );
      assert.deepEqual(dockerBuildImage().ssh, [{ id: "default" }, { id: "github", paths: ["/keys/id_ed25519"] }]);
    });
  });

  describe("docker-cli back end", () => {
    it("hands the builder, cache, platforms and attestations to the provider in the plan", async () => {
      useStack("production");
      const image = new MultiStageImage("go", {
        context: GO,
        backend: "docker-cli",
        builder: { endpoint: "tcp://buildkit.internal:1234", tls: { caCert: "ca.pem", cert: "c.pem", key: "k.pem" } },
        platforms: ["linux/amd64", "linux/arm64"],
        attestations: { provenance: "min" },
      });
      await settle(image.imageUri);
      const [resource] = ofType("pulumi-nodejs:dynamic/multistage:DockerCliImage");
      const plan = resource.inputs.plan as Record<string, unknown>;
      assert.deepEqual(plan.builder, {
        endpoint: "tcp://buildkit.internal:1234",
        tls: { caCert: "ca.pem", cert: "c.pem", key: "k.pem" },
      });
      assert.deepEqual(plan.platforms, ["linux/amd64", "linux/arm64"]);
      assert.deepEqual(plan.attestations, { provenance: "min", sbom: false, store: "index" });
      assert.deepEqual(plan.cache, {
        to: "cache-production-production-linux-amd64_linux-arm64",
        from: ["cache-production-production-linux-amd64_linux-arm64"],
        mode: "max",
        // Built across a builder's nodes, each platform has its own cache, read before the index's.
        platforms: {
          "linux/amd64": {
            to: "cache-production-production-linux-amd64",
            from: ["cache-production-production-linux-amd64", "cache-production-production-linux-amd64_linux-arm64"],
          },
          "linux/arm64": {
            to: "cache-production-production-linux-arm64",
            from: ["cache-production-production-linux-arm64", "cache-production-production-linux-amd64_linux-arm64"],
          },
        },
      });
    });
  });

  describe("ECR repository", () => {
    it("an IMMUTABLE production repository lets only cache-* tags move when the registry cache is on", async () => {
      useStack("production");
      await settle(new MultiStageImage("svc", { ...args, testStage: false }).imageUri);
      const [repo] = ofType("aws:ecr/repository:Repository");
      assert.equal(repo.inputs.imageTagMutability, "IMMUTABLE_WITH_EXCLUSION");
      assert.deepEqual(repo.inputs.imageTagMutabilityExclusionFilters, [{ filter: "cache-*", filterType: "WILDCARD" }]);
      useStack("production");
      await settle(new MultiStageImage("svc", { ...args, registryCache: false, testStage: false }).imageUri);
      assert.equal(ofType("aws:ecr/repository:Repository")[0].inputs.imageTagMutability, "IMMUTABLE");
      assert.equal(ofType("aws:ecr/repository:Repository")[0].inputs.imageTagMutabilityExclusionFilters, undefined);
      useStack("dev");
      await settle(new MultiStageImage("svc", args).imageUri);
      assert.equal(ofType("aws:ecr/repository:Repository")[0].inputs.imageTagMutability, "MUTABLE");
    });
  });

  describe("refusals, with nothing created", () => {
    const cases: Array<[string, MultiStageImageArgs, string, RegExp]> = [
      ["docker: builder", { ...args, backend: "docker" }, "builder", /docker back end cannot build on another builder/],
      [
        "docker: several platforms",
        { context: GO, backend: "docker", environments: { production: { platforms: ["linux/amd64", "linux/arm64"] } } },
        "environments.production.platforms",
        /cannot build several platforms into one index\. Use backend "docker-build" or "docker-cli"/,
      ],
      [
        "docker: ssh",
        { context: SERVICE, backend: "docker", ssh: [{ id: "default" }] },
        "ssh",
        /cannot forward SSH agents/,
      ],
      [
        "docker: registry cache",
        { context: SERVICE, backend: "docker", registryCache: true },
        "registryCache",
        /cannot export a registry cache/,
      ],
      [
        "docker-build: an endpoint",
        { ...args, builder: "tcp://buildkit.internal:1234" },
        "builder",
        /selects buildx builders by name only.*docker buildx create --name farm --driver remote/,
      ],
      [
        "docker-build: attestations",
        { ...args, attestations: true },
        "attestations",
        /cannot attach attestations\. Use backend "docker-cli"/,
      ],
      [
        "docker-build: promotion",
        { context: SERVICE, backend: "docker-build", environments: { production: { promoteFrom: "staging" } } },
        "environments.production.promoteFrom",
        /cannot promote another environment's image\. Use backend "docker-cli"/,
      ],
      ["a bad builder name", { ...args, builder: "my builder" }, "builder", /neither a buildx builder name nor/],
      [
        "a bad endpoint",
        { ...args, backend: "docker-cli", builder: { endpoint: "http://farm" } },
        "builder.endpoint",
        /not a BuildKit endpoint/,
      ],
      [
        "TLS on a unix socket",
        { ...args, backend: "docker-cli", builder: { endpoint: "unix:///run/b.sock", tls: { caCert: "ca.pem" } } },
        "builder.tls",
        /tcp:\/\/ endpoints only/,
      ],
      [
        "a bad platform",
        { ...args, platforms: ["linux-arm64"] },
        "platforms[0]",
        /"linux-arm64" is not a platform\. Write os\/arch/,
      ],
      [
        "a platform twice",
        { ...args, platforms: ["linux/amd64", "linux/amd64"] },
        "platforms",
        /names "linux\/amd64" twice/,
      ],
      ["an SSH id twice", { ...args, ssh: [{ id: "default" }, { id: "default" }] }, "ssh[1].id", /forwarded twice/],
    ];
    for (const [label, bad, property, reason] of cases) {
      it(label, () => {
        useStack("production");
        const errors = inputErrors(() => new MultiStageImage("svc", { testStage: false, ...bad }));
        const error = errors.find((e) => e.propertyPath === property);
        assert.ok(error, `no error at ${property}: ${JSON.stringify(errors)}`);
        assert.match(error.reason, reason);
        assert.equal(resources.length, 0);
      });
    }
  });
});
