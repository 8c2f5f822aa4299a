import { strict as assert } from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { COMPONENT_TYPE, componentArgs, packageProvider, packageSchema, packageVersion } from "../../../src/provider";
import { REPO_ROOT } from "../../helpers";
import { resources, useStack, value } from "../mocks";

const SERVICE = path.join(REPO_ROOT, "examples", "node-service", "app");
const REGISTRY_ARGS = { repository: "registry.example.com/team/app", username: "ci", password: "hunter2" };
const ARGS = {
  context: SERVICE,
  gitSha: "0123456789abcdef0123456789abcdef01234567",
  environments: { dev: { target: "builder" }, production: {} },
  buildArgs: { APP_VERSION: "1.0.0" },
  registry: REGISTRY_ARGS,
};

describe("The multistage package provider", () => {
  const provider = packageProvider();

  describe("construct, as the provider's process runs it", () => {
    it("builds MultiStageImage with an image resource of the package's own type, not a dynamic one", async () => {
      useStack("dev");
      const result = await provider.construct!("app", COMPONENT_TYPE, ARGS, {});
      const state = result.state as Record<string, pulumi.Output<unknown>>;
      assert.equal(await value(state.target), "builder");
      assert.match(String(await value(state.imageUri)), /^registry\.example\.com\/team\/app@sha256:[0-9a-f]{64}$/);
      assert.deepEqual(
        resources.map((r) => r.type),
        [COMPONENT_TYPE, "multistage:index:DockerCliImage"],
      );
      const image = resources[1].inputs;
      assert.equal(image.__provider, undefined);
      // Every output the schema declares comes back from construct.
      const schema = JSON.parse(packageSchema()) as {
        resources: Record<string, { properties: Record<string, unknown> }>;
      };
      assert.deepEqual(Object.keys(state).sort(), Object.keys(schema.resources[COMPONENT_TYPE].properties).sort());
    });

    it("refuses a component type it does not have", async () => {
      await assert.rejects(
        provider.construct!("x", "multistage:index:Nope", ARGS, {}),
        /has no component multistage:index:Nope/,
      );
    });
  });

  it("in a TypeScript program, the image resource stays the dynamic one (nothing to install), even beside the provider in one process", async () => {
    useStack("dev");
    // The provider constructs first: what it decides holds for its own components only (no global).
    await provider.construct!("served", COMPONENT_TYPE, ARGS, {});
    const { MultiStageImage } = await import("../../../src");
    const image = new MultiStageImage("app", ARGS);
    await value(image.imageUri);
    const images = (name: string): string[] => resources.filter((r) => r.name === name).map((r) => r.type);
    assert.deepEqual(images("served-image"), ["multistage:index:DockerCliImage"]);
    assert.deepEqual(images("app-image"), ["pulumi-nodejs:dynamic/multistage:DockerCliImage"]);
  });

  describe("args from another language", () => {
    const known = (v: unknown, secret = false): pulumi.Output<unknown> =>
      secret ? pulumi.secret(v) : pulumi.output(v);
    // What a value from another resource's output is during preview.
    const unknown = (): pulumi.Output<unknown> => pulumi.output(pulumi.unknown);

    it("keeps Outputs where the TypeScript type takes them, resolves known ones elsewhere", async () => {
      const context = known(SERVICE);
      const args = await componentArgs("app", { context, environments: known({ dev: {} }), push: known(true) });
      assert.equal(args.context, context);
      assert.deepEqual(args.environments, { dev: {} });
      assert.ok(pulumi.Output.isInstance(args.push));
    });

    it("makes a secret record's values secrets one by one (build secrets, registry)", async () => {
      const args = await componentArgs("app", {
        secrets: known({ NPM_TOKEN: "t0ken" }, true),
        registry: known(REGISTRY_ARGS, true),
      });
      const token = (args.secrets as Record<string, pulumi.Output<string>>).NPM_TOKEN;
      assert.ok(await pulumi.isSecret(token));
      assert.equal(await value(token), "t0ken");
      const registry = args.registry as Record<string, pulumi.Output<string>>;
      assert.ok(await pulumi.isSecret(registry.password));
      assert.equal(await value(registry.repository), REGISTRY_ARGS.repository);
    });

    it("refuses, by property, a secret or an unknown value where the plan needs a plain one", async () => {
      await assert.rejects(
        componentArgs("app", { environments: known({ dev: {} }, true), environment: unknown() }),
        (err: pulumi.InputPropertiesError) => {
          assert.deepEqual(
            err.errors.map((e) => e.propertyPath),
            ["environments", "environment"],
          );
          assert.match(err.message, /environments: is a secret/);
          assert.match(err.message, /environment: is not known yet/);
          return true;
        },
      );
    });

    it("an unknown nested in a secret record (a repository URL another resource makes, at preview, as Python and Go send it) stays an unknown secret Output; the component is built", async () => {
      useStack("dev");
      const registry = pulumi.secret({ repository: pulumi.unknown, username: "ci", password: "hunter2" });
      const args = await componentArgs("app", { ...ARGS, registry });
      const restored = args.registry as unknown as Record<string, pulumi.Output<string>>;
      assert.ok(pulumi.Output.isInstance(restored.repository));
      assert.equal(await (restored.repository as unknown as { isKnown: Promise<boolean> }).isKnown, false);
      assert.equal(await pulumi.isSecret(restored.repository), true);
      assert.equal(await pulumi.isSecret(restored.password), true);
      // It reaches the component without a TypeError (registryHost of undefined before).
      const component = await provider.construct!("app", COMPONENT_TYPE, { ...ARGS, registry }, {});
      assert.ok(component.urn);
    });

    // The wire shapes an unknown takes from another language at preview: an output value with no
    // value (Python, Go, YAML with output values), and the bare unknown (older SDKs).
    const WIRE_UNKNOWNS: Record<string, () => unknown> = {
      "an output value without a value": () => ({
        [pulumi.runtime.specialSigKey]: pulumi.runtime.specialOutputValueSig,
      }),
      "a secret output value without a value": () => ({
        [pulumi.runtime.specialSigKey]: pulumi.runtime.specialOutputValueSig,
        secret: true,
      }),
      "the bare unknown": () => pulumi.runtime.unknownValue,
    };
    for (const [shape, wire] of Object.entries(WIRE_UNKNOWNS))
      it(`${shape}, where the plan needs a known value (environment, tagStrategy, labels, engine), is refused by path, never dropped`, async () => {
        const fields = ["environment", "tagStrategy", "labels", "engine"];
        const inputs = pulumi.runtime.deserializeProperty(
          Object.fromEntries(fields.map((f) => [f, wire()])),
          true,
        ) as Record<string, unknown>;
        await assert.rejects(componentArgs("app", { ...ARGS, ...inputs }), (err: pulumi.InputPropertiesError) => {
          assert.deepEqual(err.errors.map((e) => e.propertyPath).sort(), [...fields].sort());
          assert.ok(
            err.errors.every((e) => /is not known yet/.test(e.reason)),
            err.message,
          );
          return true;
        });
      });

    it("a value nested where the plan needs it plain: unknown or secret, refused by its own path", async () => {
      await assert.rejects(
        componentArgs("app", {
          ...ARGS,
          environments: known({ dev: { target: pulumi.unknown } }),
          repository: known({ name: "app", imageTagMutability: "MUTABLE" }, true),
        }),
        (err: pulumi.InputPropertiesError) => {
          assert.deepEqual(err.errors.map((e) => e.propertyPath).sort(), [
            "environments.dev.target",
            "repository.imageTagMutability",
          ]);
          return true;
        },
      );
    });
  });

  describe("the image resource's operations", () => {
    const IMAGE_URN =
      "urn:pulumi:dev::yaml-service::multistage:index:MultiStageImage$multistage:index:DockerCliImage::app-image";
    const secret = (v: unknown): Record<string, unknown> => ({
      [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
      value: v,
    });

    it("refuse a resource type the package does not serve", async () => {
      await assert.rejects(
        provider.create!("urn:pulumi:dev::p::multistage:index:Other::x", {}),
        /has no resource multistage:index:Other/,
      );
    });

    it("read the engine's secret envelopes as plain values (diff of wrapped inputs = diff of plain ones)", async () => {
      const olds = { fingerprint: "sha256:old", drift: undefined };
      const news = {
        plan: { environment: "dev", targetStage: "builder", buildArgs: {}, consumedArgs: [], platforms: [] },
        inputs: { hash: "sha256:abc" },
        references: ["r:dev"],
        push: true,
        registry: { server: "r", username: "u", password: "p" },
      };
      const wrapped = { ...news, registry: secret(news.registry), references: secret(news.references) };
      assert.deepEqual(
        await provider.diff!("id", IMAGE_URN, olds, wrapped),
        await provider.diff!("id", IMAGE_URN, olds, news),
      );
    });
  });

  describe("the consumer helpers, as functions", () => {
    const PINNED = `registry.example.com/team/app@sha256:${"ab".repeat(32)}`;

    it("toKubernetesContainer returns the container for the pinned image", async () => {
      const result = await provider.invoke!("multistage:index:toKubernetesContainer", {
        imageUri: PINNED,
        name: "web",
        ports: [{ containerPort: 3000 }],
        env: { LOG_LEVEL: "info" },
      });
      assert.deepEqual(result.outputs, {
        name: "web",
        image: PINNED,
        imagePullPolicy: "IfNotPresent",
        env: [{ name: "LOG_LEVEL", value: "info" }],
        ports: [{ containerPort: 3000, protocol: "TCP" }],
      });
    });

    it("toEcsContainerDefinition returns the definition; a tag instead of a digest is refused with the fix", async () => {
      const result = await provider.invoke!("multistage:index:toEcsContainerDefinition", {
        imageUri: PINNED,
        name: "api",
        memory: 512,
      });
      assert.equal((result.outputs as { image: string }).image, PINNED);
      await assert.rejects(
        provider.invoke!("multistage:index:toEcsContainerDefinition", {
          imageUri: "registry.example.com/app:latest",
          name: "api",
        }),
        /not pinned by digest|sha256/,
      );
    });

    const secret = (v: unknown) => ({ [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value: v });

    it("a secret sent to a function comes back a secret: the fields holding it are in secret envelopes", async () => {
      const k8s = await provider.invoke!("multistage:index:toKubernetesContainer", {
        imageUri: PINNED,
        name: "web",
        env: { LOG_LEVEL: "info", DATABASE_URL: secret("postgres://u:pw@db/app") },
      });
      const out = k8s.outputs as Record<string, unknown>;
      assert.deepEqual(
        out.env,
        secret([
          { name: "LOG_LEVEL", value: "info" },
          { name: "DATABASE_URL", value: "postgres://u:pw@db/app" },
        ]),
      );
      assert.equal(out.name, "web", "what holds no secret stays plain");
      const ecs = await provider.invoke!("multistage:index:toEcsContainerDefinition", {
        imageUri: secret(PINNED),
        name: "api",
        environment: { A: "1" },
      });
      const def = ecs.outputs as Record<string, unknown>;
      assert.deepEqual(def.image, secret(PINNED));
      assert.deepEqual(def.environment, [{ name: "A", value: "1" }]);
    });

    it("a missing or non-string imageUri, and a list as env, are refused by property, not a TypeError", async () => {
      for (const [inputs, property] of [
        [{ name: "web" }, /imageUri: is missing/],
        [{ name: "web", imageUri: 42 }, /imageUri: must be a string/],
        [{ name: "web", imageUri: ["a"] }, /imageUri: must be a string .* got a list/],
        [{ name: "web", imageUri: PINNED, env: ["A=1"] }, /env: must be a map of strings, got \["A=1"\]/],
        [{ imageUri: PINNED }, /name: is missing/],
      ] as const) {
        await assert.rejects(provider.invoke!("multistage:index:toKubernetesContainer", inputs), (err: Error) => {
          assert.ok(!(err instanceof TypeError), err.stack);
          assert.match(err.message, property);
          return true;
        });
      }
    });

    it("refuses a function the package does not have, naming the ones it has", async () => {
      await assert.rejects(
        provider.invoke!("multistage:index:toCompose", { imageUri: PINNED }),
        /no function multistage:index:toCompose; it has multistage:index:toKubernetesContainer/,
      );
    });
  });

  it("serves the shipped schema with the package's version", () => {
    const schema = JSON.parse(packageSchema()) as { name: string; version: string };
    assert.equal(schema.name, "multistage");
    assert.equal(schema.version, packageVersion());
    assert.equal(provider.version, packageVersion());
  });
});
