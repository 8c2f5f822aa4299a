/**
 * The executor's failures carry the step they happened in, so the pipeline decides on it, not on
 * the command's text: a Docker CLI stand-in on this machine fails every command it is given.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DockerCommandError, DockerExecutor, type ExecutorStep } from "../../../src/executor";
import { parseDockerfile } from "../../../src/dockerfile";
import { type BuildPlan, planBuild } from "../../../src/plan";

describe("The executor's failures say their step", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-fake-docker-"));
  const docker = path.join(dir, "docker");
  fs.writeFileSync(docker, '#!/bin/sh\necho "fake docker: $1 failed" >&2\nexit 1\n', { mode: 0o755 });
  const executor = new DockerExecutor({ docker, env: { ...process.env } });
  after(() => {
    executor.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const text = "FROM busybox:1.36 AS test\nRUN true\nFROM busybox:1.36 AS app\nRUN true\n";
  fs.writeFileSync(path.join(dir, "Dockerfile"), text);
  const plan: BuildPlan = planBuild(parseDockerfile(text, path.join(dir, "Dockerfile")), {
    context: dir,
    dockerfile: path.join(dir, "Dockerfile"),
    environment: "production",
    gitSha: "0123456789abcdef0123456789abcdef01234567",
  });

  async function stepOf(run: () => Promise<unknown>): Promise<ExecutorStep> {
    try {
      await run();
    } catch (err) {
      assert.ok(err instanceof DockerCommandError, String(err));
      return err.step;
    }
    assert.fail("the fake docker fails every command");
  }

  it("the plan has a test gate, so testGate builds", () => assert.equal(plan.testTarget, "test"));

  it("login, build, test gate, push, pull, tag and inspect each fail as themselves", async () => {
    assert.equal(
      await stepOf(() => executor.login({ server: "r.example.com", username: "u", password: "p" })),
      "login",
    );
    assert.equal(await stepOf(() => executor.build(plan, "r.example.com/build")), "build");
    assert.equal(await stepOf(() => executor.testGate(plan, "r.example.com/build")), "test gate");
    assert.equal(await stepOf(() => executor.push(["r.example.com/build:1"])), "push");
    assert.equal(await stepOf(() => executor.pull("r.example.com/build:1")), "pull");
    assert.equal(await stepOf(() => executor.tag("a:1", "b:1")), "tag");
    assert.equal(await stepOf(() => executor.inspect("a:1")), "inspect");
  });
});
