/**
 * `multistage build` with the real engine, through the same publish pipeline as the image
 * resource: the go-service example's production plan (test gate, then the closure files),
 * pushed to the real registry, the printed reference the registry's digest; a second run
 * with the same inputs builds nothing (registry first); a size budget withholds the tags.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../src/cli/main";
import { manifestDigest } from "../../src/registry";
import { REPO_ROOT } from "../../scripts/lib/local";
import { type Engine, requireEngine } from "./engine";

const APP = path.join(REPO_ROOT, "examples", "go-service", "app");
/** A commit whose short SHA (the tag) is `c11c0000000<n>`. */
const sha = (n: number): string => `c11c0000000${n}`.padEnd(40, "0");

describe("Integration: multistage build with the real engine", function () {
  this.timeout(600_000);
  let engine: Engine;
  const repositoryPath = `multistage-tests/cli-${Date.now().toString(36)}`;
  before(function () {
    engine = requireEngine(this);
  });

  const build = async (gitSha: string, ...extra: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = "";
    let err = "";
    const code = await main(
      [
        "build",
        "-e",
        "production",
        "--push",
        "--repository",
        `${engine.registry.server}/${repositoryPath}`,
        "--build-arg",
        "GO_IMAGE=multistage-local/golang:1.26",
        "--build-arg",
        "APP_VERSION=1.0.0",
        ...extra,
      ],
      {
        out: (t) => (out += t),
        err: (t) => (err += t),
        cwd: APP,
        env: {
          ...engine.env,
          MULTISTAGE_GIT_SHA: gitSha,
          MULTISTAGE_REGISTRY_USER: engine.registry.username,
          MULTISTAGE_REGISTRY_PASSWORD: engine.registry.password,
        },
      },
    );
    return { code, out, err };
  };

  let first = "";

  it("runs the test gate, builds the closure, pushes, and prints the digest-pinned reference", async () => {
    const { code, out, err } = await build(sha(1));
    assert.equal(code, 0, err.slice(-2000));
    assert.match(err, /^production: production \(builder → production\), inputs sha256:[0-9a-f]{64}$/m);
    assert.match(err, /^test gate: test$/m);
    assert.match(err, /\[test \d\/\d\] RUN --mount=type=cache,target=\/root\/\.cache\/go-build go test/);
    assert.match(err, /^first build: /m);
    assert.match(err, /^size: \d+\.\d MB$/m);
    const digest = await manifestDigest(repositoryPath, "production-c11c00000001", engine.registry);
    assert.equal(out.trim(), `${engine.registry.server}/${repositoryPath}@${digest}`);
    first = out.trim();
  });

  it("a second run with the same inputs builds nothing: the registry holds them, the new tag goes on that digest", async () => {
    const started = Date.now();
    const { code, out, err } = await build(sha(2));
    assert.equal(code, 0, err.slice(-2000));
    console.log(`      second build --push: ${((Date.now() - started) / 1000).toFixed(1)}s`);
    assert.match(err, /^reused: the registry holds inputs-[0-9a-f]{64} \(same inputs\); nothing built$/m);
    assert.doesNotMatch(err, /\[(test|builder) \d\/\d\]/, "nothing was built, not even the gate");
    assert.equal(out.trim(), first);
    const digest = await manifestDigest(repositoryPath, "production-c11c00000002", engine.registry);
    assert.equal(`${engine.registry.server}/${repositoryPath}@${digest}`, first);
  });

  it("honours environments.<env>.sizeBudget from --config: over it, fails and gives the image no release tag", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-cli-config-"));
    const config = path.join(dir, "multistage.json");
    fs.writeFileSync(config, JSON.stringify({ context: APP, environments: { production: { sizeBudget: "1KB" } } }));
    try {
      const { code, err } = await build(sha(3), "--config", config);
      assert.equal(code, 1, err.slice(-2000));
      assert.match(err, /environments\.production\.sizeBudget: the image is \d+\.\d MB.*over its budget of 0\.0 MB/);
      assert.match(err, /Make those layers smaller, or raise the budget/);
      await assert.rejects(manifestDigest(repositoryPath, "production-c11c00000003", engine.registry), /404/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
