/**
 * The executor's private configuration (the login, the secret files) lives as long as the
 * executor: an interrupt at any step removes it, not only while a command runs; and the sweep of
 * dead processes' leftovers runs once per process.
 */
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DockerExecutor } from "../../../src/executor";
import { REPO_ROOT } from "../../helpers";

describe("The executor's clean-up is tied to its life", () => {
  it("SIGINT while no command runs (a registry request, say) removes its private configuration", async function () {
    this.timeout(30_000);
    // A process of its own: an executor with a login on disk, then waiting as a registry step would.
    const script = `
      const fs = require("fs");
      const { DockerExecutor } = require("./src/executor");
      const executor = new DockerExecutor({ docker: "/bin/false" });
      fs.writeFileSync(executor.configDir + "/config.json", '{"auths":{"r":{"auth":"c2VjcmV0"}}}');
      console.log(executor.configDir);
      setInterval(() => undefined, 1000);
    `;
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const configDir = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
      child.on("exit", (code) => reject(new Error(`exited early (${code})`)));
    });
    assert.ok(fs.existsSync(path.join(configDir, "config.json")));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_code, signal) => resolve(signal)),
    );
    child.kill("SIGINT");
    assert.equal(await exited, "SIGINT", "it still stops as SIGINT stops it");
    assert.equal(fs.existsSync(configDir), false, "the login went with it");
  });

  it("dispose removes it and stops listening for signals", () => {
    const before = process.listenerCount("SIGINT");
    const executor = new DockerExecutor({ docker: "/bin/false" });
    assert.ok(fs.existsSync(executor.configDir));
    executor.dispose();
    assert.equal(fs.existsSync(executor.configDir), false);
    assert.equal(process.listenerCount("SIGINT"), before);
  });

  it("the sweep of dead processes' configurations runs once per process", () => {
    const stale = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "multistage-docker-config-999999999-"));
    const first = stale();
    new DockerExecutor({ docker: "/bin/false" }).dispose(); // may be this process's first: it sweeps
    const second = stale();
    new DockerExecutor({ docker: "/bin/false" }).dispose();
    assert.equal(fs.existsSync(second), true, "a second executor does not scan the temporary directory again");
    fs.rmSync(first, { recursive: true, force: true });
    fs.rmSync(second, { recursive: true, force: true });
  });
});
