/**
 * The registry's auth, and the model's target validation checked against BuildKit:
 * what the model accepts, the engine builds; what it refuses, the engine refuses.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { resolveTarget, stageNames } from "../../src/dockerfile";
import { DockerCommandError, DockerExecutor } from "../../src/executor";
import { manifestDigest } from "../../src/registry";
import { readDockerfile } from "../../src/context";
import { EXAMPLES, exampleSettings, localPlan } from "../../scripts/lib/local";
import { type Engine, requireEngine } from "./engine";

describe("Integration: registry authentication", function () {
  this.timeout(300000);
  let engine: Engine;
  before(function () {
    engine = requireEngine(this);
  });

  it("a wrong password fails with a clear error and pushes nothing", async () => {
    const wrong = new DockerExecutor({ env: engine.env });
    try {
      const plan = { ...localPlan("static-binary", "production"), tags: ["wrong-password"] };
      const repository = `${engine.registry.server}/multistage-tests/auth-check`;
      const built = await wrong.build(plan, repository);
      await assert.rejects(
        wrong.login({ ...engine.registry, password: "not-the-password" }),
        (err: Error) =>
          err instanceof DockerCommandError &&
          /unauthorized|incorrect username or password/i.test(err.message) &&
          !err.message.includes("not-the-password"),
      );
      await assert.rejects(
        wrong.push(built.references),
        /no basic auth credentials|unauthorized|authentication required/i,
      );
      await assert.rejects(manifestDigest("multistage-tests/auth-check", "wrong-password", engine.registry), /404/);
    } finally {
      wrong.dispose();
    }
  });

  it("the registry refuses anonymous reads", async () => {
    await assert.rejects(
      manifestDigest("multistage-tests/node-service", "x", { ...engine.registry, password: "nope" }),
      /401/,
    );
  });
});

describe("Integration: target validation agrees with BuildKit", function () {
  this.timeout(600000);
  let engine: Engine;
  before(function () {
    engine = requireEngine(this);
  });

  for (const name of EXAMPLES) {
    it(`${name}: every stage the model accepts as a target builds (also in another case)`, async () => {
      const { model } = readDockerfile(exampleSettings(name).args);
      const targets = [...stageNames(model), stageNames(model)[0].toUpperCase()];
      for (const target of targets) {
        const resolution = resolveTarget(model, { target });
        assert.ok(resolution.found, `model refused ${target}`);
        const plan = { ...localPlan(name, "staging"), target, tags: ["target-check"] };
        const result = await engine.executor.build(plan, `multistage-tests/targets-${name}`);
        assert.match(result.imageId, /^sha256:/, `${name} --target ${target}`);
      }
    });
  }

  const bad = ["biulder", "nope", "0", "production-", "web server"];
  it(`bad targets (${bad.join(", ")}) are refused by both the model and the engine`, async () => {
    const { model } = readDockerfile(exampleSettings("node-service").args);
    for (const target of bad) {
      const resolution = resolveTarget(model, { target });
      assert.equal(resolution.found, false, `model accepted ${target}`);
      assert.equal(resolution.diagnostics[0].code, "unknown-target");
      const plan = { ...localPlan("node-service", "staging"), target, tags: ["bad-target"] };
      await assert.rejects(engine.executor.build(plan, "multistage-tests/bad-targets"), (err: Error) => {
        assert.match(
          err.message,
          /target stage .* could not be found|failed to reach build target|invalid reference format/,
        );
        return true;
      });
    }
  });

  it("a cycle is refused by both", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-cycle-"));
    fs.writeFileSync(
      path.join(dir, "Dockerfile"),
      "FROM multistage-local/busybox:1 AS a\nCOPY --from=b /x /x\nFROM multistage-local/busybox:1 AS b\nCOPY --from=a /y /y\n",
    );
    const { model, diagnostics } = readDockerfile({ context: dir });
    const resolution = resolveTarget(model, { target: "a" });
    assert.ok([...diagnostics, ...resolution.diagnostics].some((d) => d.code === "cycle"));
    const plan = {
      ...localPlan("static-binary", "staging"),
      context: dir,
      dockerfile: path.join(dir, "Dockerfile"),
      target: "a",
      buildArgs: {},
      tags: ["cycle"],
    };
    await assert.rejects(engine.executor.build(plan, "multistage-tests/cycle"), /circular dependency/);
  });
});
