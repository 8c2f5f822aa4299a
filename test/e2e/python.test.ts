/**
 * The component from a Python program, run for real (test/e2e/languages.ts): `python/program.py`
 * with `pulumi` from PyPI and the Python SDK the npm package ships (`pip install
 * ./node_modules/pulumi-multistage-image/sdk/python`), in a virtualenv of its own, run by
 * `python/drive.py` as an inline program of Python's Automation API. And the README's Python
 * example, as written, in a git checkout of the app.
 */
import { strict as assert } from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../helpers";
import { languageSuite, previewExample } from "./languages";

languageSuite({
  name: "Python",
  nestedTypo: true,
  missing() {
    const probe = spawnSync("python3", ["-c", "import venv, ensurepip"], { encoding: "utf8" });
    return probe.status === 0 ? undefined : `python3 with venv and ensurepip is needed: ${probe.stderr || probe.error}`;
  },
  prepare(dir, installed) {
    for (const file of ["program.py", "drive.py"])
      fs.copyFileSync(path.join(REPO_ROOT, "test", "e2e", "python", file), path.join(dir, file));
    execFileSync("python3", ["-m", "venv", "venv"], { cwd: dir });
    const pip = path.join(dir, "venv", "bin", "pip");
    const requirements = path.join(REPO_ROOT, "tools", "sdk-python", "requirements.txt");
    execFileSync(pip, ["install", "-q", "-r", requirements], { cwd: dir, stdio: "ignore" });
    execFileSync(pip, ["install", "-q", path.join(installed, "sdk", "python")], { cwd: dir, stdio: "ignore" });
    return { command: path.join(dir, "venv", "bin", "python"), args: [path.join(dir, "drive.py")] };
  },
  extra(suite) {
    it("the README's Python example, as written, previews (its ./app the node-service app)", () => {
      const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
      const example = /```python\n([\s\S]*?)```/.exec(readme)?.[1];
      assert.ok(example, "the README has a Python example");
      const body = example
        .trimEnd()
        .split("\n")
        .map((l) => `    ${l}`)
        .join("\n");
      const program = suite.program();
      fs.writeFileSync(path.join(program, "readme_program.py"), `def program() -> None:\n${body}\n`);
      const result = previewExample(suite, "readme", suite.driver(), {
        ...suite.env(),
        MULTISTAGE_PY_PROGRAM: "readme_program",
        PYTHONPATH: program,
      });
      assert.equal(result.error, undefined, result.error);
      assert.deepEqual(result.changeSummary, { create: 3 });
    });
  },
});
