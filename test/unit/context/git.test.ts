/** The source's URL for the default `org.opencontainers.image.source` label: CI first, then the remote, never a credential. */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { detectSourceUrl, sourceUrl } from "../../../src/context";

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
      assert.equal(detectSourceUrl(repo, {}), undefined);
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
