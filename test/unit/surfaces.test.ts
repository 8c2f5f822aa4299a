/**
 * Each folder of `src/` is a layer whose `index.ts` is its whole surface: a module of another
 * folder imports the folder (`../publish`), never a file inside it (`../publish/drift`), so what
 * a layer offers is what its index names, and nothing else is reached past it.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { REPO_ROOT } from "../helpers";

/** Every `.ts` file under `dir`, with its path relative to `src/`. */
function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

/** The imports of `file` that reach into another folder past its index. */
export function importsPastIndex(file: string, text: string, src: string): string[] {
  const found: string[] = [];
  const folder = path.dirname(file);
  for (const [, spec] of text.matchAll(/(?:from|import|require\()\s*\(?\s*"(\.[^"]+)"/g)) {
    const target = path.resolve(folder, spec);
    const relative = path.relative(src, target).split(path.sep);
    const sameFolder =
      path.resolve(src, relative[0]) === path.resolve(src, path.relative(src, folder).split(path.sep)[0]);
    // `../publish` (the folder, its index) is the surface; `../publish/drift` is past it.
    if (!sameFolder && relative.length > 1 && relative[1] !== "index") found.push(spec);
  }
  return found;
}

describe("Each src/ folder's index.ts is its whole surface", () => {
  const src = path.join(REPO_ROOT, "src");

  it("no module imports a file of another folder, only the folder", () => {
    const found = sources(src).flatMap((file) =>
      importsPastIndex(file, fs.readFileSync(file, "utf8"), src).map(
        (spec) => `${path.relative(src, file)} imports ${spec}`,
      ),
    );
    assert.deepEqual(found, []);
  });

  it("the check sees a deep import (it can fail)", () => {
    const file = path.join(src, "backends", "x.ts");
    assert.deepEqual(
      importsPastIndex(file, 'import { a } from "../publish/drift";\nimport { b } from "./select";', src),
      ["../publish/drift"],
    );
    assert.deepEqual(
      importsPastIndex(file, 'import { a } from "../publish";\nimport { c } from "../publish/index";', src),
      [],
    );
  });
});

/** One import of a module of src/: the file it reaches, and the names it takes as values (not types). */
interface Edge {
  from: string;
  to: string;
  values: string[];
}

/** The imports between src/ modules (relative paths, resolved to files), type-only ones included. */
export function importGraph(src: string): Edge[] {
  const resolve = (from: string, spec: string): string | undefined => {
    const base = path.resolve(path.dirname(from), spec);
    return [`${base}.ts`, path.join(base, "index.ts")].find((f) => fs.existsSync(f));
  };
  return sources(src).flatMap((file) => {
    const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
    const edges: Edge[] = [];
    for (const statement of source.statements) {
      const isImport = ts.isImportDeclaration(statement);
      if (!isImport && !ts.isExportDeclaration(statement)) continue;
      const spec = statement.moduleSpecifier;
      if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith(".")) continue;
      const to = resolve(file, spec.text);
      if (!to) continue;
      const values: string[] = [];
      if (isImport) {
        const clause = statement.importClause;
        if (clause && !clause.isTypeOnly) {
          if (clause.name) values.push("default");
          const bindings = clause.namedBindings;
          if (bindings && ts.isNamespaceImport(bindings)) values.push("*");
          if (bindings && ts.isNamedImports(bindings))
            for (const e of bindings.elements) if (!e.isTypeOnly) values.push((e.propertyName ?? e.name).text);
        }
      } else if (!statement.isTypeOnly) {
        const clause = statement.exportClause;
        if (!clause) values.push("*");
        else if (ts.isNamedExports(clause))
          for (const e of clause.elements) if (!e.isTypeOnly) values.push((e.propertyName ?? e.name).text);
      }
      edges.push({ from: file, to, values });
    }
    return edges;
  });
}

/** The cycles of the graph (Tarjan's strongly connected components of more than one file, or a file importing itself). */
export function importCycles(edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (next.get(v) ?? []).includes(v)) cycles.push(component.sort());
  };
  for (const v of new Set(edges.flatMap((e) => [e.from, e.to]))) if (!index.has(v)) visit(v);
  return cycles;
}

/** Every layer below the component, which it wires (and the CLI uses). */
const BELOW_COMPONENT = [
  "dockerfile",
  "plan",
  "context",
  "registry",
  "executor",
  "publish",
  "host",
  "backends",
  "ecr",
  "consumers",
  "lint",
];

/**
 * STYLE.md's layer table: the folders each folder may import, as written there. What a folder
 * may import, it may also import what those may (a layer lower in the table); `src/index.ts`,
 * the package's surface, may import any.
 */
export const LAYERS: Record<string, readonly string[]> = {
  dockerfile: [],
  plan: ["dockerfile"],
  context: ["plan", "dockerfile"],
  registry: ["plan"],
  executor: ["plan", "registry"],
  // "host interfaces": the registry's client and credentials, and the builder's (its typed errors
  // and output parsers; publish never constructs one, see HOST_VALUES).
  publish: ["plan", "context", "registry", "executor"],
  // Not in STYLE.md's table: the real host, assembled from the layers above it for whoever runs
  // the pipeline (the image resource's provider in backends/, the CLI), so publish/ makes none.
  host: ["publish", "executor", "registry", "plan"],
  backends: ["plan", "publish", "host"],
  ecr: ["plan", "registry"],
  consumers: ["plan"],
  lint: ["dockerfile", "plan"],
  component: BELOW_COMPONENT,
  provider: ["component"],
  // Everything but component/ and provider/.
  cli: BELOW_COMPONENT,
};

/** What publish/ may take from executor/ as values: typed errors and the build output's parsers, never a builder. */
export const HOST_VALUES: readonly string[] = ["DockerCommandError", "failedStep", "parseStepLine", "PREDICATE_TYPES"];

/** The imports of the graph the layer table does not allow, and publish's values beyond the host interfaces. */
export function layerViolations(edges: readonly Edge[], src: string): string[] {
  const folderOf = (file: string): string => path.relative(src, file).split(path.sep)[0].replace(/\.ts$/, "");
  const allowed = (folder: string, seen = new Set<string>()): Set<string> => {
    for (const f of LAYERS[folder] ?? [])
      if (!seen.has(f)) {
        seen.add(f);
        allowed(f, seen);
      }
    return seen;
  };
  const wrong: string[] = [];
  for (const e of edges) {
    const [from, to] = [folderOf(e.from), folderOf(e.to)];
    const where = `${path.relative(src, e.from)} imports ${path.relative(src, e.to)}`;
    if (from === to || from === "index") continue;
    if (!(from in LAYERS)) wrong.push(`${where}: ${from}/ is not in the layer table`);
    else if (!allowed(from).has(to)) wrong.push(`${where}: ${from}/ may not import ${to}/`);
    else if (from === "publish" && to === "executor")
      for (const name of e.values.filter((v) => !HOST_VALUES.includes(v)))
        wrong.push(`${where}: ${name} (publish/ is given its builder by a host, never makes one)`);
  }
  return wrong;
}

describe("The import graph of src/", () => {
  const src = path.join(REPO_ROOT, "src");
  const edges = importGraph(src);

  it("has no import cycle, type-only imports included", () => {
    assert.ok(edges.length > 200, `${edges.length} imports read`);
    assert.deepEqual(
      importCycles(edges).map((c) => c.map((f) => path.relative(src, f))),
      [],
    );
  });

  it("obeys STYLE.md's layer table: imports only point down it, and publish/ makes no builder", () => {
    assert.deepEqual(layerViolations(edges, src), []);
  });

  it("the checks see a cycle, an import up the table and a builder made in publish/ (they can fail)", () => {
    const f = (name: string): string => path.join(src, name);
    const edge = (from: string, to: string, values: string[] = []): Edge => ({ from: f(from), to: f(to), values });
    assert.deepEqual(
      importCycles([
        edge("plan/a.ts", "plan/b.ts"),
        edge("plan/b.ts", "plan/c.ts"),
        edge("plan/c.ts", "plan/a.ts"),
      ]).map((c) => c.length),
      [3],
    );
    assert.deepEqual(importCycles([edge("plan/a.ts", "plan/b.ts")]), []);
    assert.deepEqual(layerViolations([edge("plan/a.ts", "registry/index.ts")], src), [
      "plan/a.ts imports registry/index.ts: plan/ may not import registry/",
    ]);
    assert.deepEqual(layerViolations([edge("publish/a.ts", "executor/index.ts", ["DockerExecutor"])], src), [
      "publish/a.ts imports executor/index.ts: DockerExecutor (publish/ is given its builder by a host, never makes one)",
    ]);
    assert.deepEqual(layerViolations([edge("cli/a.ts", "dockerfile/index.ts")], src), []);
  });
});

/** The functions of a source longer than `max` lines: named declarations, methods, and functions bound to a name. */
export function longFunctions(file: string, text: string, max: number): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    const parent = node.parent;
    const name =
      (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name
        ? node.name.getText(source)
        : (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) &&
            (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent))
          ? parent.name.getText(source)
          : undefined;
    if (name && (node as ts.FunctionLikeDeclaration).body) {
      const lines =
        source.getLineAndCharacterOfPosition(node.end).line -
        source.getLineAndCharacterOfPosition(node.getStart(source)).line +
        1;
      if (lines > max) found.push(`${name} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe("Functions of src/ read in one screen", () => {
  const src = path.join(REPO_ROOT, "src");
  // The Dockerfile parser and the lint rules follow BuildKit's own shape (one switch per instruction).
  const EXEMPT = ["dockerfile", "lint"];

  it("no function is over 80 lines outside the Dockerfile parser and the lint rules", () => {
    const long = sources(src)
      .filter((file) => !EXEMPT.includes(path.relative(src, file).split(path.sep)[0]))
      .flatMap((file) =>
        longFunctions(file, fs.readFileSync(file, "utf8"), 80).map((f) => `${path.relative(src, file)}: ${f}`),
      );
    assert.deepEqual(long, []);
  });

  it("the check sees a long function, method and arrow function (it can fail)", () => {
    const body = Array.from({ length: 81 }, (_, i) => `  const v${i} = ${i};`).join("\n");
    const text = `function a() {\n${body}\n}\nclass C { m() {\n${body}\n} }\nconst f = () => {\n${body}\n};\nfunction short() { return 1; }\n`;
    assert.deepEqual(longFunctions("x.ts", text, 80), ["a (83 lines)", "m (83 lines)", "f (83 lines)"]);
  });
});
