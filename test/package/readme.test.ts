/** Every TypeScript block of the README compiles, as written, against the package. */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../helpers";

/** The ```ts blocks of a Markdown text, with the line each starts on. */
export function typescriptBlocks(markdown: string): Array<{ line: number; code: string }> {
  const blocks: Array<{ line: number; code: string }> = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i])) continue;
    const start = i + 1;
    while (i + 1 < lines.length && !lines[i + 1].startsWith("```")) i++;
    blocks.push({ line: start + 1, code: lines.slice(start, i + 1).join("\n") });
    i++;
  }
  return blocks;
}

describe("README", function () {
  this.timeout(120000);

  it("has TypeScript blocks, and each compiles against the package", () => {
    const blocks = typescriptBlocks(fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8"));
    assert.ok(blocks.length >= 3, `only ${blocks.length} TypeScript blocks found`);
    const dir = path.join(REPO_ROOT, ".tmp", "readme");
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const files = blocks.map((block) => {
      const file = path.join(dir, `block-line-${block.line}.ts`);
      fs.writeFileSync(file, block.code.includes("import ") ? block.code : `${block.code}\nexport {};\n`);
      return file;
    });
    fs.writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "commonjs",
          strict: true,
          noEmit: true,
          esModuleInterop: true,
          skipLibCheck: true,
          types: ["node"],
          typeRoots: [path.join(REPO_ROOT, "node_modules", "@types")],
          baseUrl: REPO_ROOT,
          paths: {
            "pulumi-multistage-image": ["src/index.ts"],
            "pulumi-multistage-image/dockerfile": ["src/dockerfile/index.ts"],
            "pulumi-multistage-image/executor": ["src/executor/index.ts"],
          },
        },
        files,
      }),
    );
    const tsc = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
    try {
      execFileSync(process.execPath, [tsc, "-p", dir], { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
    } catch (err) {
      const output = (err as { stdout?: string }).stdout ?? String(err);
      assert.fail(`README blocks do not compile (file names give the README line):\n${output}`);
    }
  });
});
