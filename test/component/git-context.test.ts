/** A Git `context`: checked out at the commit its ref names, built as a folder, the commit in the tags and labels. */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { MultiStageImage } from "../../src";
import { type GitServer, startGitServer } from "../git-server";
import { inputErrors, resources, useStack, value } from "./mocks";

const REGISTRY = { repository: "127.0.0.1:5055/team/git", username: "ci", password: pulumi.secret("pw") };

describe("MultiStageImage with a Git context", () => {
  let server: GitServer;
  before(async () => {
    server = await startGitServer({
      "services/api/Dockerfile":
        "FROM scratch AS build\nCOPY a.txt /a.txt\nFROM scratch AS final\nCOPY --from=build /a.txt /a.txt\n",
      "services/api/a.txt": "1\n",
    });
  });
  after(() => server.stop());

  it("builds the folder at the ref's commit; the commit is gitSha, so the tag and the revision label say it", async () => {
    useStack("production");
    const commit = fs.readFileSync(path.join(server.work, ".git", "refs", "heads", "main"), "utf8").trim();
    const image = new MultiStageImage("git", {
      context: `${server.url}#main:services/api`,
      registry: REGISTRY,
    });
    const plan = await value(image.plan);
    assert.equal(fs.readFileSync(path.join(plan.context, "a.txt"), "utf8"), "1\n");
    assert.deepEqual(plan.stages, ["build", "final"]);
    assert.equal(plan.labels["org.opencontainers.image.revision"], commit);
    assert.equal(plan.tags[0], `production-${commit.slice(0, 12)}`);
  });

  it("refuses a URL holding a token, and a ref the repository has not, by context; nothing is created", () => {
    useStack("production");
    const token = inputErrors(
      () =>
        new MultiStageImage("git", {
          context: "https://ci:ghp_s3cret@github.com/example/app.git#main",
          registry: REGISTRY,
        }),
    );
    assert.deepEqual(
      token.map((e) => e.propertyPath),
      ["context"],
    );
    assert.ok(!JSON.stringify(token).includes("ghp_s3cret"), "the token is not repeated");
    const missing = inputErrors(
      () => new MultiStageImage("git", { context: `${server.url}#nosuch`, registry: REGISTRY }),
    );
    assert.match(missing[0].reason, /could not be checked out: .*nosuch/);
    assert.equal(resources.length, 0);
  });
});
