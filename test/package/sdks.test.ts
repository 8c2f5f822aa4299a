/**
 * The SDKs other languages use, generated from the schema the package's provider serves
 * (scripts/gen-sdks.sh, Pulumi's own Go and Python generators) and checked as their users would
 * build them: the Go SDK and a program using it compile against github.com/pulumi/pulumi/sdk/v3;
 * the Python SDK installs into a virtualenv beside `pulumi` from PyPI, imports, and a program
 * using it type-checks with mypy --strict; the SDKs committed in sdk/python and sdk/go (shipped in the
 * npm package) are the generated ones. The programs run for real in test/e2e/python.test.ts (inline
 * Automation API programs need no language host).
 */
import { strict as assert } from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import { REPO_ROOT } from "../helpers";
import { pulumiTools } from "../e2e/workspace";
import { declaredValues, walkSchema, walkTable, withValue } from "../schema-places";

function run(command: string, args: string[], cwd: string): { status: number; output: string } {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, GOFLAGS: "-mod=readonly" } });
  return { status: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
}

function mustRun(command: string, args: string[], cwd: string): string {
  const { status, output } = run(command, args, cwd);
  assert.equal(status, 0, `${command} ${args.join(" ")} failed in ${cwd}:\n${output.slice(-3000)}`);
  return output;
}

/**
 * What Go sends for `value` at `where`: a required field of an object left out arrives as its Go type's
 * zero value (`""`, `0`, `false`), because the SDK's plain struct has it. construct then names the field
 * (schema-walk.test.ts checks each such empty value is refused by its path, never taken as given).
 */
function withGoZeros(where: string, value: unknown, places = walkSchema()): unknown {
  const place = places.get(where);
  // A union is `interface{}` in Go: the value is sent as written, all the way down.
  if (value === null || typeof value !== "object" || !place || place.kinds.size !== 1) return value;
  if (Array.isArray(value)) return value.map((item) => withGoZeros(`${where}[0]`, item, places));
  if (!place.kinds.has("object"))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withGoZeros(`${where}.k`, v, places)]));
  const zero = (field: string): unknown => {
    const kinds = places.get(`${where}.${field}`)?.kinds;
    if (kinds?.size !== 1) return undefined;
    return kinds.has("string") ? "" : kinds?.has("number") ? 0 : kinds?.has("boolean") ? false : undefined;
  };
  const filled: Record<string, unknown> = {};
  for (const field of place.required ?? [])
    if (!(field in value) && zero(field) !== undefined) filled[field] = zero(field);
  for (const [k, v] of Object.entries(value)) filled[k] = withGoZeros(`${where}.${k}`, v, places);
  return filled;
}

/** A secret as Pulumi's wire form carries it: its signature beside the value. */
const SECRET = "4dabf18193072939515e22adb298388d";

/**
 * The values the schema walk shows construct accepts (test/component/provider/schema-walk.test.ts),
 * one per kind at each input place, sent by `send` (a language's probe, given the cases' file, printing
 * `RESULT <json>`: per case what its SDK sent, or its error). Wrong: each case that did not arrive
 * exactly as written, secret exactly where the schema's input is.
 */
function probeTypes(
  send: (casesFile: string) => string,
  arrives: (where: string, value: unknown) => unknown = (_, value) => value,
): {
  cases: Array<{ property: string; value: unknown; where: string }>;
  wrong: string[];
} {
  const fromSchema = walkSchema();
  const fromTable = walkTable();
  const seen = new Set<string>();
  const cases: Array<{ property: string; value: unknown; where: string }> = [];
  for (const [where, place] of fromSchema)
    for (const kind of place.kinds)
      for (const v of declaredValues(fromSchema, fromTable, where, kind)) {
        if (v === null || v === undefined) continue;
        const property = where.split(/\.|\[/)[0];
        const value = withValue(where, v)[property];
        const key = JSON.stringify([property, value]);
        if (!seen.has(key)) cases.push({ property, value, where });
        seen.add(key);
      }
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "multistage-types-")), "type-cases.json");
  fs.writeFileSync(file, JSON.stringify(cases));
  const out = send(file);
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  const line = out.split("\n").find((l) => l.startsWith("RESULT "));
  assert.ok(line, out.slice(-3000));
  const results = JSON.parse(line.slice("RESULT ".length)) as Array<{ sent?: unknown; error?: string }>;
  assert.equal(results.length, cases.length, "one result per case");
  const unwrap = (where: string, sent: unknown): unknown => {
    const wrapped = sent !== null && typeof sent === "object" && SECRET in sent;
    if (wrapped !== (fromSchema.get(where.split(/\.|\[/)[0])?.secret ?? false)) return { secretness: wrapped };
    return wrapped ? (sent as unknown as { value: unknown }).value : sent;
  };
  const wrong = cases
    .map((c, i) => ({ ...c, ...results[i], sent: unwrap(c.where, results[i]?.sent) }))
    .filter(
      (r) =>
        r.error !== undefined ||
        !isDeepStrictEqual(r.sent, arrives(r.property, JSON.parse(JSON.stringify(r.value)) as unknown)),
    )
    .map(
      (r) =>
        `${r.where}: sent ${JSON.stringify(r.sent)} for ${JSON.stringify(r.value)}${r.error ? ` (${r.error})` : ""}`,
    );
  return { cases, wrong };
}

describe("The SDKs for Python and Go, generated from the package's schema", function () {
  this.timeout(1_800_000);
  let work: string;
  let sdks: string;

  before(function () {
    const tools = pulumiTools();
    if (!("bin" in tools)) {
      console.log(`    SKIPPED (package): ${tools.reason}`);
      this.skip();
    }
    work = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-sdks-"));
    sdks = path.join(work, "sdk");
    mustRun("bash", [path.join(REPO_ROOT, "scripts", "gen-sdks.sh"), sdks], REPO_ROOT);
  });

  after(() => work && fs.rmSync(work, { recursive: true, force: true }));

  it("the SDKs the npm package ships (sdk/python, sdk/go) are the ones the schema generates (npm run sdks)", () => {
    const files = (dir: string): string[] =>
      fs
        .readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter(
          (e) => e.isFile() && !/__pycache__|\.pyc$|\.egg-info|\/(build|dist)\//.test(path.join(e.parentPath, e.name)),
        )
        .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
        .sort();
    for (const language of ["python", "go"]) {
      const committed = path.join(REPO_ROOT, "sdk", language);
      const generated = path.join(sdks, language);
      assert.deepEqual(files(committed), files(generated), `sdk/${language}: run npm run sdks`);
      for (const file of files(generated))
        assert.equal(
          fs.readFileSync(path.join(committed, file), "utf8"),
          fs.readFileSync(path.join(generated, file), "utf8"),
          `sdk/${language}/${file} is not what the schema generates: run npm run sdks`,
        );
    }
  });

  describe("Go", () => {
    let module: string;
    before(() => {
      // The SDK's module as it would be published: go.mod and go.sum (committed), the generated package, a program.
      module = path.join(work, "go");
      fs.cpSync(path.join(REPO_ROOT, "tools", "sdk-go"), module, { recursive: true });
      fs.cpSync(path.join(sdks, "go", "multistage"), path.join(module, "multistage"), { recursive: true });
    });

    it("the generated package and a program using it compile and vet against the Pulumi Go SDK", () => {
      mustRun("go", ["build", "./..."], module);
      mustRun("go", ["vet", "./..."], module);
    });

    it("every type the schema declares at each input place, sent from Go with the SDK's types, reaches the component as that value", () => {
      // tools/sdk-go/probe builds each value with the SDK's own types, chosen by each field's Go type
      // from these: the generated package's input types (pulumiTypes.go), written as a user writes them.
      const source = fs.readFileSync(path.join(module, "multistage", "pulumiTypes.go"), "utf8");
      const types = [...source.matchAll(/^type (\w+(?:Args|Array|Map)) (?:struct|\[\]|map)/gm)].map((m) => m[1]);
      assert.ok(types.includes("EnvironmentArgs"), "the generated package's types were not found");
      fs.writeFileSync(
        path.join(module, "probe", "candidates.go"),
        [
          "//go:build probe",
          "",
          "package main",
          "",
          'import "github.com/pulumi-multistage-image/pulumi-multistage-image/sdk/go/multistage"',
          "",
          "func candidates() []any {",
          `\treturn append(pulumiCandidates, ${types.map((t) => `multistage.${t}{}`).join(", ")})`,
          "}",
          "",
        ].join("\n"),
      );
      const { cases, wrong } = probeTypes(
        (file) => mustRun("go", ["run", "-tags", "probe", "./probe", file], module),
        (where, value) => withGoZeros(where, value),
      );
      assert.deepEqual(wrong, []);
      console.log(`      ${cases.length} values at ${walkSchema().size} places sent from Go as written`);
    });

    it("a program that misuses the SDK does not compile (the check can fail)", () => {
      const main = path.join(module, "example", "main.go");
      const good = fs.readFileSync(main, "utf8");
      fs.writeFileSync(main, good.replace('Context: pulumi.String("./app")', "Context: 42"));
      try {
        const { status, output } = run("go", ["build", "-o", os.devNull, "./example"], module);
        assert.notEqual(status, 0);
        assert.match(output, /cannot use 42/);
      } finally {
        fs.writeFileSync(main, good);
      }
    });
  });

  describe("Python", () => {
    let python: string;
    let program: string;
    before(() => {
      const venv = path.join(work, "venv");
      mustRun("python3", ["-m", "venv", venv], work);
      python = path.join(venv, "bin", "python");
      const requirements = path.join(REPO_ROOT, "tools", "sdk-python", "requirements.txt");
      mustRun(python, ["-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", requirements], work);
      mustRun(python, ["-m", "pip", "install", "-q", "--disable-pip-version-check", path.join(sdks, "python")], work);
      program = path.join(work, "program.py");
      fs.copyFileSync(path.join(REPO_ROOT, "tools", "sdk-python", "program.py"), program);
    });

    it("every type the schema declares at each input place, sent from Python, reaches the component as that value", () => {
      const probe = path.join(REPO_ROOT, "tools", "sdk-python", "types_probe.py");
      const { cases, wrong } = probeTypes((file) => mustRun(python, [probe, file], work));
      assert.deepEqual(wrong, []);
      console.log(`      ${cases.length} values at ${walkSchema().size} places sent from Python as written`);
    });

    it("installs beside pulumi from PyPI and imports, with the package's version", () => {
      const version = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).version as string;
      const out = mustRun(
        python,
        [
          "-c",
          "import importlib.metadata as m, pulumi_multistage as p; print(m.version('pulumi_multistage'), p.MultiStageImage.__name__)",
        ],
        work,
      );
      assert.equal(out.trim(), `${version} MultiStageImage`);
    });

    it("a program using it type-checks with mypy --strict", () => {
      mustRun(python, ["-m", "mypy", "--strict", "--no-incremental", program], work);
    });

    it("a program that misuses it fails the type check (the check can fail)", () => {
      const bad = path.join(work, "bad.py");
      fs.writeFileSync(bad, fs.readFileSync(program, "utf8").replace('context="./app"', 'contextt="./app"'));
      const { status, output } = run(python, ["-m", "mypy", "--strict", "--no-incremental", bad], work);
      assert.notEqual(status, 0);
      assert.match(output, /contextt/);
    });
  });

  it("the Go SDK's pinned Pulumi SDK is the CLI's (tools/pulumi)", () => {
    const pin = (file: string, module: string): string | undefined =>
      new RegExp(`${module.replace(/[/.]/g, "\\$&")} (v[0-9.]+)`).exec(fs.readFileSync(file, "utf8"))?.[1];
    const cli = execFileSync("go", ["list", "-m", "-f", "{{.Version}}", "github.com/pulumi/pulumi/sdk/v3"], {
      cwd: path.join(REPO_ROOT, "tools", "pulumi"),
      encoding: "utf8",
      env: { ...process.env, GOFLAGS: "-mod=readonly" },
    }).trim();
    assert.equal(pin(path.join(REPO_ROOT, "tools", "sdk-go", "go.mod"), "github.com/pulumi/pulumi/sdk/v3"), cli);
  });
});
