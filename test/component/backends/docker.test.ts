/** The docker back end under mocks: one `docker.Image` per tag, and its test gate. */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { MultiStageImage, type MultiStageImageArgs } from "../../../src";
import { REPO_ROOT } from "../../helpers";
import { ofType, settle, useStack } from "../mocks";

const SERVICE = path.join(REPO_ROOT, "examples", "node-service", "app");
const args: MultiStageImageArgs = {
  context: SERVICE,
  backend: "docker",
  gitSha: "0123456789abcdef0123456789abcdef01234567",
};

type DockerBuild = { dockerfile: string; target?: string };
const built = (name: string): DockerBuild | undefined =>
  ofType("docker:index/image:Image").find((r) => r.name === name)?.inputs.build as DockerBuild | undefined;

describe("docker back end", () => {
  it("test gate: builds the test stage of the Dockerfile as written, so its RUNs really run", async () => {
    useStack("production");
    const image = new MultiStageImage("svc", args);
    await settle(image.imageUri);
    const gate = built("svc-image-test");
    assert.ok(gate, "no gate resource");
    assert.equal(gate.target, "tester");
    // In the production closure the test stage is a `FROM scratch AS tester` placeholder:
    // building that target would run no test and never fail.
    assert.equal(gate.dockerfile, path.join(SERVICE, "Dockerfile"));
    assert.match(fs.readFileSync(gate.dockerfile, "utf8"), /FROM builder AS tester\nRUN /);
    const main = built("svc-image");
    assert.ok(main && main.dockerfile !== gate.dockerfile, "the image itself builds the closure Dockerfile");
    assert.match(fs.readFileSync(main.dockerfile, "utf8"), /FROM scratch AS tester/);
  });
});
