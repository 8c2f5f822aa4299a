/**
 * lambdaImageArgs' guard holds with the stack config merged in: platforms or attestations set in
 * multistage:environments would build an index Lambda refuses, after the push; they are refused
 * by their config path before anything is created.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MultiStageImage, lambdaImageArgs } from "../../src";
import { inputErrors, resources, useStack } from "./mocks";

describe("Lambda's guard and the stack config", () => {
  let app: string;
  before(() => {
    app = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-lambda-"));
    fs.writeFileSync(path.join(app, "Dockerfile"), "FROM scratch AS final\nCOPY app.txt /app.txt\n");
    fs.writeFileSync(path.join(app, "app.txt"), "hello\n");
  });
  after(() => fs.rmSync(app, { recursive: true, force: true }));

  const args = () =>
    lambdaImageArgs({
      context: app,
      platform: "linux/arm64",
      attestations: false,
      registry: { repository: "127.0.0.1:5055/team/fn", username: "ci", password: "pw" },
    });

  it("platforms or attestations from multistage:environments are refused by their config path; nothing is created", () => {
    useStack("production", {
      "multistage:environments": JSON.stringify({
        production: { platforms: ["linux/amd64", "linux/arm64"], attestations: true },
      }),
    });
    const errors = inputErrors(() => new MultiStageImage("fn", args()));
    assert.deepEqual(errors.map((e) => e.propertyPath).sort(), [
      "multistage:environments.production.attestations",
      "multistage:environments.production.platforms",
    ]);
    assert.deepEqual(resources, []);
  });

  it("stack config that keeps one Lambda platform and no index is accepted", () => {
    useStack("production", {
      "multistage:environments": JSON.stringify({ production: { platform: "linux/amd64" } }),
    });
    new MultiStageImage("fn", args());
  });

  it("without lambdaImageArgs the same config is not Lambda's business (an index is a valid image)", () => {
    useStack("production", {
      "multistage:environments": JSON.stringify({ production: { platforms: ["linux/amd64", "linux/arm64"] } }),
    });
    const { [Object.getOwnPropertySymbols(args())[0]]: _brand, ...plain } = args() as unknown as Record<
      string | symbol,
      unknown
    >;
    void _brand;
    // Accepted: a multi-platform index on a builder is a valid image when it is not for Lambda.
    new MultiStageImage("fn", { ...(plain as object), builder: "multistage" } as never);
  });
});
