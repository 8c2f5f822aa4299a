/**
 * Secret hygiene on every path a secret value can take into the component, for every back
 * end: the secret-scan finds it nowhere outside a Pulumi secret (provider inputs, invoke
 * inputs, outputs, log lines).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { type BackendName, MultiStageImage, type MultiStageImageArgs, REDACTED } from "../../src";
import { settle, useStack, value } from "./mocks";
import { captureLogs, findLeaks } from "./secret-scan";

// An untagged base taken from a secret arg: the dev plan warns about it (quoting the image).
const SECRET_BASE = "registry.example.com/private/base-s3cret-77";
const SECRET_NOTE = "note-value-9f3k2";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-secrets-"));
fs.writeFileSync(
  path.join(dir, "Dockerfile"),
  'ARG BASE=busybox:1.36\nFROM ${BASE} AS dev\nARG NOTE\nRUN echo "$NOTE" > /note\nFROM busybox:1.36 AS app\nCOPY --from=dev /note /note\n',
);
const base: MultiStageImageArgs = {
  context: dir,
  gitSha: "0123456789abcdef0123456789abcdef01234567",
  allowSecretLikeBuildArgs: true,
};

async function construct(
  args: MultiStageImageArgs,
  stack = "dev",
  config: Record<string, string> = {},
  secretKeys: string[] = [],
): Promise<{ image: MultiStageImage; logs: string[] }> {
  useStack(stack, config, secretKeys);
  const { result: image, lines } = await captureLogs(async () => {
    const made = new MultiStageImage("svc", args);
    await settle(made.imageUri, made.plan);
    return made;
  });
  return { image, logs: lines };
}

function outputsOf(image: MultiStageImage): Record<string, pulumi.Output<unknown>> {
  return {
    imageUri: image.imageUri,
    digest: image.digest,
    tags: image.tags,
    target: image.target,
    stages: image.stages,
    buildArgs: image.buildArgs,
    plan: image.plan,
    additionalImages: image.additionalImages,
  };
}

const cases: Array<[string, () => Promise<{ image: MultiStageImage; logs: string[] }>]> = [
  [
    "a pulumi.secret value in buildArgs (also substituted into FROM and quoted by a warning)",
    () => construct({ ...base, buildArgs: { BASE: pulumi.secret(SECRET_BASE), NOTE: pulumi.secret(SECRET_NOTE) } }),
  ],
  [
    "buildArgs as a whole pulumi.secret({...})",
    () => construct({ ...base, buildArgs: pulumi.secret({ BASE: SECRET_BASE, NOTE: SECRET_NOTE }) }),
  ],
  [
    "secret stack config (multistage:environments set with --secret --path)",
    () =>
      construct(
        { ...base },
        "dev",
        { "multistage:environments": JSON.stringify({ dev: { buildArgs: { BASE: SECRET_BASE, NOTE: SECRET_NOTE } } }) },
        ["multistage:environments"],
      ),
  ],
  [
    "a secret-like name with the opt-in (NPM_TOKEN as a plain string)",
    () => construct({ ...base, buildArgs: { NOTE: "plain", NPM_TOKEN: SECRET_NOTE } }),
  ],
  [
    "an additional image's secret build arg",
    () =>
      construct({
        ...base,
        buildArgs: { NOTE: "plain-note" },
        additionalImages: { extra: { target: "dev", buildArgs: { NOTE: pulumi.secret(SECRET_NOTE) } } },
      }),
  ],
];

describe("Secrets stay secret everywhere they flow", () => {
  for (const backend of ["docker-build", "docker", "docker-cli"] as BackendName[]) {
    for (const [name, make] of cases) {
      it(`${backend}: ${name}`, async () => {
        const { image, logs } = await (async () => {
          const original = base.backend;
          Object.assign(base, { backend });
          try {
            return await make();
          } finally {
            Object.assign(base, { backend: original });
          }
        })();
        const leaks = await findLeaks([SECRET_BASE, SECRET_NOTE], outputsOf(image), logs);
        assert.deepEqual(leaks, []);
        const shown = await value(image.buildArgs);
        assert.ok(Object.values(shown).includes(REDACTED), JSON.stringify(shown));
      });
    }
  }

  it("the scan itself finds a secret in plain text (it can fail)", async () => {
    const { image } = await construct({ ...base, buildArgs: { NOTE: SECRET_NOTE } });
    const leaks = await findLeaks([SECRET_NOTE], outputsOf(image));
    assert.ok(leaks.length > 0, "NOTE is not secret here, so the scan must report it");
  });

  it("refuses secret values without the opt-in, naming the args, and creates no image", async () => {
    useStack("dev", { "multistage:environments": JSON.stringify({ dev: { buildArgs: { NOTE: SECRET_NOTE } } }) }, [
      "multistage:environments",
    ]);
    const image = new MultiStageImage("svc", { context: dir, gitSha: base.gitSha });
    await assert.rejects(
      value(image.plan),
      /multistage:environments\.\*\.buildArgs\.NOTE: build args that hold Pulumi secrets/,
    );
  });

  it("a production refusal that quotes an image made from a secret arg shows [secret], not the value", async () => {
    const prod = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-secrets-prod-"));
    fs.writeFileSync(path.join(prod, "Dockerfile"), "ARG BASE\nFROM ${BASE}\nRUN true\n");
    // A Pulumi secret (planned once it resolves) and secret stack config (planned at construction).
    useStack("production");
    const image = new MultiStageImage("svc", {
      ...base,
      context: prod,
      buildArgs: { BASE: pulumi.secret(SECRET_BASE) },
    });
    const err = await value(image.plan).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(err, "production must refuse the untagged base");
    assert.match(err.message, /\[secret\]/);
    assert.ok(!err.message.includes(SECRET_BASE), err.message);
    useStack(
      "production",
      { "multistage:environments": JSON.stringify({ production: { buildArgs: { BASE: SECRET_BASE } } }) },
      ["multistage:environments"],
    );
    assert.throws(
      () => new MultiStageImage("svc", { ...base, context: prod }),
      (e: Error) => /\[secret\]/.test(e.message) && !e.message.includes(SECRET_BASE),
    );
  });

  for (const backend of ["docker-build", "docker", "docker-cli"] as BackendName[]) {
    it(`${backend}: a secret registry.repository stays secret in tags, imageUri and the provider's inputs`, async () => {
      const repository = "ghcr.io/acme/s3cret-repo-name";
      const { image, logs } = await construct({
        ...base,
        backend,
        registry: { repository: pulumi.secret(repository), username: "ci", password: pulumi.secret("pw-1234") },
      });
      assert.deepEqual(
        await findLeaks([repository], { ...outputsOf(image), repositoryUrl: image.repositoryUrl }, logs),
        [],
      );
    });
  }

  for (const backend of ["docker-build", "docker", "docker-cli"] as BackendName[]) {
    it(`${backend}: a cacheFrom reference given as a secret is in no plain output or provider input`, async () => {
      const ref = "registry.example.com/private/cache-s3cret:latest";
      const { image, logs } = await construct({ ...base, backend, cacheFrom: [pulumi.secret(ref)] });
      assert.deepEqual(await findLeaks([ref], outputsOf(image), logs), []);
    });
    it(`${backend}: cacheFrom as one Output (another resource's, or another language's), secret or not, reaches the plan`, async () => {
      const ref = "registry.example.com/private/cache-0utput:latest";
      const other = "registry.example.com/public/cache:1";
      const secret = await construct({ ...base, backend, cacheFrom: pulumi.secret([ref]) });
      assert.deepEqual(await findLeaks([ref], outputsOf(secret.image), secret.logs), []);
      const plain = await construct({ ...base, backend, cacheFrom: pulumi.output([other]) });
      assert.deepEqual((await value(plain.image.plan)).cacheFrom, [other]);
    });
  }

  it("docker-cli: secret config of a promoted environment is not in plain text in plan.promotion or the image's inputs", async () => {
    const { image, logs } = await construct(
      {
        ...base,
        backend: "docker-cli",
        environments: { staging: {}, production: { promoteFrom: "staging", allowUnsetBuildArgs: true } },
      },
      "production",
      { "multistage:environments": JSON.stringify({ staging: { buildArgs: { NOTE: SECRET_NOTE } } }) },
      ["multistage:environments"],
    );
    assert.deepEqual(await findLeaks([SECRET_NOTE], outputsOf(image), logs), []);
    const plan = await value(image.plan);
    assert.equal(plan.promotion?.source.buildArgs.NOTE, REDACTED);
  });

  for (const backend of ["docker-build", "docker", "docker-cli"] as BackendName[]) {
    it(`${backend}: a tag that holds a secret build arg's value (a {version} equal to it) keeps the tags secret`, async () => {
      const shared = "7.3.1-rc9-s3cret";
      const { image, logs } = await construct({
        ...base,
        backend,
        version: shared,
        tagStrategy: "{env}-{version}",
        buildArgs: { NOTE: pulumi.secret(shared) },
      });
      assert.deepEqual(await findLeaks([shared], outputsOf(image), logs), []);
    });
  }
});
