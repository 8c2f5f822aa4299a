/** `signing` through the component: public keys read by path, per-environment opt-out, the key kept secret. */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { MultiStageImage } from "../../src";
import { inputErrors, ofType, resources, settle, useStack, value } from "./mocks";

const DOCKERFILE = "FROM scratch AS final\nCOPY app.txt /app.txt\n";
const REGISTRY = { repository: "127.0.0.1:5055/team/signed", username: "ci", password: pulumi.secret("pw") };
const PEM = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n";

describe("MultiStageImage with signing", () => {
  let app: string;
  before(() => {
    app = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-signing-"));
    fs.writeFileSync(path.join(app, "Dockerfile"), DOCKERFILE);
    fs.writeFileSync(path.join(app, "app.txt"), "hello\n");
    fs.writeFileSync(path.join(app, "release.pub"), PEM);
  });
  after(() => fs.rmSync(app, { recursive: true, force: true }));

  it("reads public keys given by path into the plan; production verifies with them", async () => {
    useStack("production");
    const image = new MultiStageImage("signed", {
      context: app,
      registry: REGISTRY,
      gitSha: "0123456789ab",
      signing: { publicKeys: [path.join(app, "release.pub")] },
    });
    const plan = await value(image.plan);
    assert.deepEqual(plan.release, { sign: false, verify: true, publicKeys: [PEM] });
  });

  it("a public key path that is missing, or holds no public key, is refused by its property; nothing is created", () => {
    useStack("production");
    const errors = inputErrors(
      () =>
        new MultiStageImage("signed", {
          context: app,
          registry: REGISTRY,
          signing: { publicKeys: [path.join(app, "missing.pub"), path.join(app, "app.txt")] },
        }),
    );
    assert.deepEqual(
      errors.map((e) => [e.propertyPath, /does not exist|is not a PEM public key/.exec(e.reason)?.[0]]),
      [
        ["signing.publicKeys[0]", "does not exist"],
        ["signing.publicKeys[1]", "is not a PEM public key"],
      ],
    );
    assert.deepEqual(resources, []);
  });

  it("a private key in publicKeys, as text or in a file with both halves, is refused without being echoed; nothing is created", () => {
    useStack("production");
    const PRIVATE =
      "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nc2VjcmV0LXByaXZhdGUta2V5LWJ5dGVz\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n";
    fs.writeFileSync(path.join(app, "both.pem"), `${PRIVATE}${PEM}`);
    const errors = inputErrors(
      () =>
        new MultiStageImage("signed", {
          context: app,
          registry: REGISTRY,
          signing: { publicKeys: [PRIVATE, path.join(app, "both.pem")] },
        }),
    );
    assert.deepEqual(
      errors.map((e) => [e.propertyPath, /is a private key|the file holds a private key/.exec(e.reason)?.[0]]),
      [
        ["signing.publicKeys[0]", "is a private key"],
        ["signing.publicKeys[1]", "the file holds a private key"],
      ],
    );
    for (const e of errors) assert.ok(!e.reason.includes("c2VjcmV0"), e.reason);
    assert.deepEqual(resources, []);
  });

  it("a public key file with comments around the key: only the key block reaches the plan", async () => {
    useStack("production");
    fs.writeFileSync(path.join(app, "commented.pub"), `# release key, rotated 2026-11\n${PEM}# end\n`);
    const image = new MultiStageImage("signed", {
      context: app,
      registry: REGISTRY,
      gitSha: "0123456789ab",
      signing: { publicKeys: [path.join(app, "commented.pub")] },
    });
    const plan = await value(image.plan);
    assert.deepEqual(plan.release?.publicKeys, [PEM.trim()]);
  });

  it("public keys of the wrong type, as another language may send them, are refused by the field check, not a crash", () => {
    useStack("production");
    const errors = inputErrors(
      () =>
        new MultiStageImage("signed", {
          context: app,
          registry: REGISTRY,
          signing: { publicKeys: [7, "release.pub"] } as never,
        }),
    );
    assert.deepEqual(
      errors.map((e) => e.propertyPath),
      ["signing.publicKeys[0]"],
    );
    assert.match(errors[0].reason, /must be a string/);
    assert.deepEqual(resources, []);
  });

  it("environments.<env>.signing: false turns it off there; the key still never reaches the plan", async () => {
    useStack("dev");
    const image = new MultiStageImage("signed", {
      context: app,
      registry: REGISTRY,
      gitSha: "0123456789ab",
      environments: { dev: { target: "final", signing: false } },
      signing: { key: pulumi.secret("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nsecret-key-text") },
    });
    await settle(image.imageUri);
    const plan = await value(image.plan);
    assert.equal(plan.release, undefined);
    assert.ok(!JSON.stringify(plan).includes("secret-key-text"));
  });
});

describe("MultiStageImage with signing on an ECR repository it creates", () => {
  let app: string;
  before(() => {
    app = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-signing-ecr-"));
    fs.writeFileSync(path.join(app, "Dockerfile"), DOCKERFILE);
    fs.writeFileSync(path.join(app, "app.txt"), "hello\n");
  });
  after(() => fs.rmSync(app, { recursive: true, force: true }));

  it("an IMMUTABLE production repository lets cosign's sha256-* signature tags move, so a second signer is accepted", async () => {
    useStack("production");
    const KEY = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nx\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n";
    await settle(
      new MultiStageImage("signed", { context: app, gitSha: "0123456789ab", signing: { key: pulumi.secret(KEY) } })
        .imageUri,
    );
    const [repo] = ofType("aws:ecr/repository:Repository");
    assert.equal(repo.inputs.imageTagMutability, "IMMUTABLE_WITH_EXCLUSION");
    assert.deepEqual(repo.inputs.imageTagMutabilityExclusionFilters, [{ filter: "sha256-*", filterType: "WILDCARD" }]);
    useStack("production");
    await settle(new MultiStageImage("signed", { context: app, gitSha: "0123456789ab" }).imageUri);
    assert.equal(ofType("aws:ecr/repository:Repository")[0].inputs.imageTagMutability, "IMMUTABLE");
  });
});
