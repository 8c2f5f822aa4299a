/** `dockerfileInline`: the Dockerfile's text as an arg, built like a file, its problems named by the arg. */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { MultiStageImage } from "../../src";
import { inputErrors, useStack, value } from "./mocks";

const TEXT =
  "FROM scratch AS build\nCOPY app.txt /app.txt\nFROM scratch AS final\nCOPY --from=build /app.txt /app.txt\n";
const REGISTRY = { repository: "127.0.0.1:5055/team/inline", username: "ci", password: pulumi.secret("pw") };

describe("MultiStageImage with dockerfileInline", () => {
  let app: string;
  before(() => {
    app = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-inline-"));
    fs.writeFileSync(path.join(app, "app.txt"), "hello\n");
  });
  after(() => fs.rmSync(app, { recursive: true, force: true }));

  it("plans the inline text: its stages, and a Dockerfile file holding exactly that text", async () => {
    useStack("production");
    const image = new MultiStageImage("inline", {
      context: app,
      dockerfileInline: TEXT,
      registry: REGISTRY,
      gitSha: "0123456789ab",
    });
    const plan = await value(image.plan);
    assert.equal(plan.targetStage, "final");
    assert.deepEqual(plan.stages, ["build", "final"]);
    assert.equal(fs.readFileSync(plan.dockerfile, "utf8"), TEXT);
    // The same text, the same file: a provider recording the path sees no change.
    useStack("production");
    const again = new MultiStageImage("inline", {
      context: app,
      dockerfileInline: TEXT,
      registry: REGISTRY,
      gitSha: "0123456789ab",
    });
    assert.equal((await value(again.plan)).dockerfile, plan.dockerfile);
  });

  it("names dockerfileInline in its problems, and refuses it beside dockerfile; nothing is created", () => {
    useStack("production");
    const errors = inputErrors(
      () =>
        new MultiStageImage("inline", {
          context: app,
          dockerfileInline: "FROM scratch\nCOPPY a /a\n",
          registry: REGISTRY,
        }),
    );
    assert.ok(
      errors.some((e) => e.propertyPath === "dockerfileInline" && /COPPY/.test(e.reason)),
      JSON.stringify(errors),
    );
    const both = inputErrors(
      () =>
        new MultiStageImage("inline", {
          context: app,
          dockerfile: "Dockerfile",
          dockerfileInline: TEXT,
          registry: REGISTRY,
        }),
    );
    assert.deepEqual(
      both.map((e) => e.propertyPath),
      ["dockerfileInline"],
    );
  });
});
