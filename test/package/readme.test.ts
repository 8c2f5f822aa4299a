/** Every TypeScript block of the README compiles, as written, against the package. */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
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

/** The property names of an exported interface of a source file, as the compiler sees them (inherited ones too). */
function interfaceKeys(file: string, name: string): string[] {
  const program = ts.createProgram([file], { strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  assert.ok(source, `${file} not found`);
  const declaration = source.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name,
  );
  assert.ok(declaration, `${name} not found in ${file}`);
  return checker.getPropertiesOfType(checker.getTypeAtLocation(declaration)).map((p) => p.name);
}

describe("README arguments table", function () {
  this.timeout(60000);

  it("has one row for every argument of MultiStageImageArgs, and none that is not one", () => {
    const keys = interfaceKeys(path.join(REPO_ROOT, "src", "component", "args.ts"), "MultiStageImageArgs");
    const markdown = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    const section = markdown.slice(markdown.indexOf("### Arguments (`MultiStageImageArgs`)"));
    const rows = section
      .slice(0, section.indexOf("\n#"))
      .split("\n")
      .filter((l) => l.startsWith("| `"));
    const documented = rows.flatMap((row) => [...row.split("|")[1].matchAll(/`(\w+)`/g)].map((m) => m[1]));
    assert.ok(keys.length > 25, `only ${keys.length} keys found`);
    assert.deepEqual(
      keys.filter((k) => !documented.includes(k)),
      [],
      "arguments without a README row",
    );
    assert.deepEqual(
      documented.filter((k) => !keys.includes(k)),
      [],
      "README rows that are not arguments",
    );
  });
});
