/** The source's URL for the default `org.opencontainers.image.source` label: CI first, then the remote, never a credential. */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkoutGitContext, detectSourceUrl, isGitContext, parseGitContext, sourceUrl } from "../../../src/context";
import { type GitServer, startGitServer } from "../../git-server";

describe("the source's URL", () => {
  it("turns remotes into web URLs, without credentials, .git, ports of SSH, queries or fragments", () => {
    const cases: Array<[string, string | undefined]> = [
      ["git@github.com:example/app.git", "https://github.com/example/app"],
      ["ssh://git@gitlab.example.com:2222/group/sub/app.git", "https://gitlab.example.com/group/sub/app"],
      ["https://x-access-token:ghs_secret@github.com/example/app.git", "https://github.com/example/app"],
      ["https://ci:pa55@git.example.com:8443/app/?x=1#y", "https://git.example.com:8443/app"],
      ["http://git.internal/app", "http://git.internal/app"],
      ["/srv/git/app.git", undefined],
      ["file:///srv/git/app.git", undefined],
      ["https://github.com/", undefined],
      ["not a url", undefined],
    ];
    for (const [remote, expected] of cases) assert.equal(sourceUrl(remote), expected, remote);
  });

  it("reads CI's repository first, then the origin remote of the context's checkout", () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-git-"));
    try {
      // Not a checkout (asked once per directory: a remote does not move mid-run).
      assert.equal(detectSourceUrl(os.tmpdir(), {}), undefined);
      execFileSync("git", ["init", "-q", repo]);
      execFileSync("git", ["-C", repo, "remote", "add", "origin", "https://bot:t0ken@github.com/example/app.git"]);
      assert.equal(detectSourceUrl(repo, {}), "https://github.com/example/app");
      assert.equal(
        detectSourceUrl(repo, { GITHUB_SERVER_URL: "https://github.com/", GITHUB_REPOSITORY: "example/ci" }),
        "https://github.com/example/ci",
      );
      assert.equal(
        detectSourceUrl(repo, { CI_PROJECT_URL: "https://gitlab.com/example/gl" }),
        "https://gitlab.com/example/gl",
      );
    } finally {
      fs.rmSync(repo, { recursive: true, force: true });
    }
  });
});

describe("Git build contexts", () => {
  let server: GitServer;
  let root: string;
  before(async () => {
    server = await startGitServer({
      "services/api/Dockerfile": "FROM scratch\nCOPY a.txt /\n",
      "services/api/a.txt": "1\n",
    });
    root = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-checkouts-"));
  });
  after(() => {
    server.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("tells a Git context from a folder, and reads its ref and folder as buildx does", () => {
    for (const yes of [
      "https://github.com/example/app.git#main:services/api",
      "git@github.com:example/app.git",
      "git://h/app.git",
    ])
      assert.ok(isGitContext(yes), yes);
    for (const no of ["./app", "/srv/app", "https://example.com/page", "app.git"]) assert.ok(!isGitContext(no), no);
    assert.deepEqual(parseGitContext("https://h/app.git#v1.2:services/api/"), {
      url: "https://h/app.git",
      ref: "v1.2",
      dir: "services/api",
    });
    assert.deepEqual(parseGitContext("git@h:app.git"), { url: "git@h:app.git" });
  });

  it("checks out the commit a branch or tag names now, over git://, into a folder reused for that commit", () => {
    const first = checkoutGitContext(parseGitContext(`${server.url}#main:services/api`), root);
    assert.equal(fs.readFileSync(path.join(first.directory, "a.txt"), "utf8"), "1\n");
    assert.equal(first.commit, execFileSync("git", ["-C", server.work, "rev-parse", "HEAD"]).toString().trim());
    // The source label finds the repository.
    assert.equal(
      detectSourceUrl(first.directory, {}),
      `https://127.0.0.1${new URL(server.url).pathname.replace(/\.git$/, "")}`,
    );
    server.tag("v1");
    fs.writeFileSync(path.join(server.work, "services/api/a.txt"), "2\n");
    const second = server.commit("second");
    const moved = checkoutGitContext(parseGitContext(`${server.url}#main:services/api`), root);
    assert.equal(moved.commit, second);
    assert.equal(fs.readFileSync(path.join(moved.directory, "a.txt"), "utf8"), "2\n");
    // The tag still names the first commit; its checkout is the one made before.
    const tagged = checkoutGitContext(parseGitContext(`${server.url}#v1:services/api`), root);
    assert.equal(tagged.commit, first.commit);
    assert.equal(tagged.directory, first.directory);
    assert.throws(() => checkoutGitContext(parseGitContext(`${server.url}#nosuch`), root), /has no ref "nosuch"/);
  });
});
