/** `signing` through the component: public keys read by path, per-environment opt-out, the key kept secret. */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { MultiStageImage } from "../../src";
import { inputErrors, resources, settle, useStack, value } from "./mocks";

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
