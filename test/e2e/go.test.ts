/**
 * The component from a Go program, run for real (test/e2e/languages.ts): `go/main.go` in a module
 * of its own whose go.mod takes the Go SDK the npm package ships by a replace of its module path
 * with `./node_modules/pulumi-multistage-image/sdk/go`, built with the committed go.sum
 * (-mod=readonly) and run as an inline program of Go's Automation API (`UpsertStackInlineSource`).
 * A misspelt nested arg is a compile error in Go (the SDK's types), so that case is the others'.
 * And the README's Go example, as written, in a git checkout of the app.
 */
import { strict as assert } from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../helpers";
import { languageSuite, previewExample } from "./languages";

languageSuite({
  name: "Go",
  nestedTypo: false,
  missing() {
    const probe = spawnSync("go", ["version"], { encoding: "utf8" });
    return probe.status === 0 ? undefined : `the Go toolchain is needed: ${probe.stderr || probe.error}`;
  },
  prepare(dir, installed) {
    for (const file of ["main.go", "go.mod", "go.sum"])
      fs.copyFileSync(path.join(REPO_ROOT, "test", "e2e", "go", file), path.join(dir, file));
    // The user's module beside its node_modules, where the replace finds the SDK.
    fs.mkdirSync(path.join(dir, "node_modules"));
    fs.symlinkSync(installed, path.join(dir, "node_modules", "pulumi-multistage-image"));
    const binary = path.join(dir, "go-service");
    execFileSync("go", ["build", "-o", binary, "."], {
      cwd: dir,
      env: { ...process.env, GOFLAGS: "-mod=readonly" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    return { command: binary, args: [] };
  },
  extra(suite) {
    it("the README's Go example, as written, previews (its ./app the node-service app)", () => {
      const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
      const example = /```go\n([\s\S]*?)```/.exec(readme)?.[1];
      assert.ok(example, "the README has a Go example");
      const program = suite.program();
      fs.writeFileSync(
        path.join(program, "readme.go"),
        [
          "package main",
          "",
          'import (\n\t"github.com/pulumi-multistage-image/pulumi-multistage-image/sdk/go/multistage"\n\t"github.com/pulumi/pulumi/sdk/v3/go/pulumi"\n)',
          "",
          "func init() { program = readmeProgram }",
          "",
          "func readmeProgram(ctx *pulumi.Context) error {",
          example.trimEnd(),
          "\t_ = app",
          "\treturn err",
          "}",
          "",
        ].join("\n"),
      );
      const binary = path.join(program, "go-service-readme");
      try {
        execFileSync("go", ["build", "-o", binary, "."], {
          cwd: program,
          env: { ...process.env, GOFLAGS: "-mod=readonly" },
          stdio: ["ignore", "ignore", "pipe"],
        });
      } finally {
        fs.rmSync(path.join(program, "readme.go"));
      }
      const result = previewExample(suite, "readme-go", { command: binary, args: [] }, suite.env());
      assert.equal(result.error, undefined, result.error);
      assert.deepEqual(result.changeSummary, { create: 3 });
    });
  },
});
