/** The docker-cli back end under mocks: one dynamic resource fed by the same plan; the real engine runs it in test/e2e. */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { MultiStageImage } from "../../../src";
import { REPO_ROOT } from "../../helpers";
import { ofType, settle, unwrapSecret, useStack, value } from "../mocks";
import { captureLogs } from "../secret-scan";

const TYPE = "pulumi-nodejs:dynamic/multistage:DockerCliImage";

describe("docker-cli back end", () => {
  it("hands the dynamic resource the plan, the tags, the target's inputs, the closure files and secret credentials", async () => {
    const app = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-cli-"));
    fs.cpSync(path.join(REPO_ROOT, "examples", "node-nginx", "app"), app, { recursive: true });
    const make = async (): Promise<Record<string, unknown>> => {
      useStack("production");
      const image = new MultiStageImage("web", {
        context: app,
        backend: "docker-cli",
        gitSha: "0123456789abcdef0123456789abcdef01234567",
        registry: { repository: "127.0.0.1:5055/team/web", username: "ci", password: pulumi.secret("pw-123") },
      });
      await settle(image.imageUri);
      assert.match(await value(image.imageUri), /^127\.0\.0\.1:5055\/team\/web@sha256:[0-9a-f]{64}$/);
      return ofType(TYPE)[0].inputs;
    };
    const first = await make();
    const plan = first.plan as { target: string; tags: string[] };
    assert.equal(plan.target, "web");
    assert.deepEqual(first.references, ["127.0.0.1:5055/team/web:production-0123456789ab"]);
    assert.equal(first.push, true);
    // The provider Pulumi's dynamic-provider host loads: the compiled provider module, by path.
    assert.match(first.__provider as string, /require\(".*\/lib\/backends\/docker-cli-provider\.js"\)\.provider/);
    const registry = unwrapSecret<{ server: string; username: string; password: string }>(first.registry);
    assert.equal(registry.secret, true);
    assert.deepEqual(registry.value, { server: "127.0.0.1:5055", username: "ci", password: "pw-123" });

    // The target's inputs: a file .dockerignore excludes (*.md) leaves the hash as it was; a
    // file the build reads changes it; the closure Dockerfile and its ignore file are written.
    const inputsOf = (i: Record<string, unknown>) => i.inputs as { hash: string; stages: Array<{ stage: string }> };
    assert.match(inputsOf(first).hash, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(
      inputsOf(first).stages.map((s) => s.stage),
      ["build", "web"],
    );
    const closure = first.closureDockerfile as string;
    assert.equal(
      fs.readFileSync(closure, "utf8"),
      (first.plan as { closure: { dockerfile: string } }).closure.dockerfile,
    );
    assert.ok(fs.existsSync(`${closure}.dockerignore`));
    fs.writeFileSync(path.join(app, "NOTES.md"), "ignored\n");
    assert.equal(inputsOf(await make()).hash, inputsOf(first).hash);
    fs.appendFileSync(path.join(app, "src", "app.js"), "\n// edit\n");
    assert.notEqual(inputsOf(await make()).hash, inputsOf(first).hash);
  });
  it("is the default back end: no backend named gives the image resource, and no provider Image", async () => {
    useStack("dev");
    const image = new MultiStageImage("web", {
      context: path.join(REPO_ROOT, "examples", "node-nginx", "app"),
      gitSha: "0123456789abcdef0123456789abcdef01234567",
      registry: { repository: "127.0.0.1:5055/team/web", username: "ci", password: pulumi.secret("pw-123") },
    });
    await settle(image.imageUri);
    assert.equal(ofType(TYPE).length, 1);
    assert.deepEqual(ofType("docker-build:index:Image"), []);
    assert.deepEqual(ofType("docker:index/image:Image"), []);
  });
  it("under a program's own mocks that echo the inputs (no outputs), imageUri is the first tag and nothing throws", async () => {
    pulumi.runtime.setMocks(
      { newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs },
      "project",
      "dev",
      false,
    );
    const image = new MultiStageImage("web", {
      context: path.join(REPO_ROOT, "examples", "node-nginx", "app"),
      gitSha: "0123456789abcdef0123456789abcdef01234567",
      registry: { repository: "127.0.0.1:5055/team/web" },
    });
    assert.equal(await value(image.imageUri), "127.0.0.1:5055/team/web:dev-0123456789ab");
    assert.equal(await value(image.digest), "");
  });

  it("under mocks (no engine) asks no registry for base-image digests: no network from a unit test, no warning", async () => {
    useStack("dev");
    const { lines } = await captureLogs(async () => {
      const image = new MultiStageImage("web", {
        context: path.join(REPO_ROOT, "examples", "node-service", "app"),
        registry: { repository: "127.0.0.1:5055/team/web" },
      });
      await settle(image.imageUri);
    });
    assert.deepEqual(
      lines.filter((l) => /could not be resolved/.test(l)),
      [],
    );
    const inputs = ofType(TYPE)[0].inputs.inputs as { stages: Array<{ images?: Record<string, string> }> };
    assert.ok(JSON.stringify(inputs).includes("node:20"), "the base counts by its reference as written");
  });
});
