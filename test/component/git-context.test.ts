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

  it("a token as the URL's user alone, as a plain or a secret value, is refused without being shown; nothing is checked out", async () => {
    useStack("production");
    for (const context of [
      "https://ghs_Tok3nTok3nTok3nTok3nTok3n@github.com/example/app.git#main",
      "git://s3cr3t-t0ken@git.example.com/app.git#main",
    ]) {
      const errors = inputErrors(() => new MultiStageImage("git", { context, registry: REGISTRY }));
      assert.deepEqual(
        errors.map((e) => e.propertyPath),
        ["context"],
      );
      assert.ok(!/Tok3n|s3cr3t-t0ken/.test(JSON.stringify(errors)), JSON.stringify(errors));
    }
    // As a secret (another resource's output, a secret config value): the failure names no token either.
    const image = new MultiStageImage("git", {
      context: pulumi.secret("https://ghs_Tok3nTok3nTok3nTok3nTok3n@github.com/example/app.git#main"),
      registry: REGISTRY,
    } as never);
    const failure = await value(image.plan).then(
      () => undefined,
      (err: unknown) => String(err),
    );
    assert.ok(failure && !failure.includes("Tok3n"), failure);
  });

  it("a checkout is private to the user (0700), and its .git/config holds no credential", async () => {
    useStack("production");
    const image = new MultiStageImage("git", { context: `${server.url}#main:services/api`, registry: REGISTRY });
    const plan = await value(image.plan);
    const checkout = path.dirname(path.dirname(plan.context));
    assert.equal(fs.statSync(checkout).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.dirname(checkout)).mode & 0o777, 0o700);
    assert.doesNotMatch(fs.readFileSync(path.join(checkout, ".git", "config"), "utf8"), /@/);
  });
});
