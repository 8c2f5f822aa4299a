/**
 * `multistage build` with the real engine: the go-service example's production plan (test
 * gate, then the closure files), pushed to the real registry; the printed reference is the
 * registry's digest.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { main } from "../../src/cli/main";
import { manifestDigest } from "../../src/executor";
import { REPO_ROOT } from "../../scripts/lib/local";
import { type Engine, requireEngine } from "./engine";

describe("Integration: multistage build with the real engine", function () {
  this.timeout(600_000);
  let engine: Engine;
  before(function () {
    engine = requireEngine(this);
  });

  it("runs the test gate, builds the closure, pushes, and prints the digest-pinned reference", async () => {
    const repositoryPath = `multistage-tests/cli-${Date.now().toString(36)}`;
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
      ],
      {
        out: (t) => (out += t),
        err: (t) => (err += t),
        cwd: path.join(REPO_ROOT, "examples", "go-service", "app"),
        env: {
          ...engine.env,
          MULTISTAGE_GIT_SHA: "c11c000000000000000000000000000000000001",
          MULTISTAGE_REGISTRY_USER: engine.registry.username,
          MULTISTAGE_REGISTRY_PASSWORD: engine.registry.password,
        },
      },
    );
    assert.equal(code, 0, err.slice(-2000));
    assert.match(err, /^production: building production \(builder → production\), inputs sha256:[0-9a-f]{64}$/m);
    assert.match(err, /^test gate: test$/m);
    assert.match(err, /\[test \d\/\d\] RUN --mount=type=cache,target=\/root\/\.cache\/go-build go test/);
    const digest = await manifestDigest(repositoryPath, "production-c11c00000000", engine.registry);
    assert.equal(out.trim(), `${engine.registry.server}/${repositoryPath}@${digest}`);
  });
});
