/**
 * BuildKit's own Dockerfile-frontend test data, read where it lives (`../shared/conformance/buildkit`,
 * beside this repository; never copied into it). The format is in that directory's README.
 */
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../helpers";

/** Where the data is: `$MULTISTAGE_CONFORMANCE_DATA`, else `../shared/conformance/buildkit`. */
export const DATA_DIR =
  process.env.MULTISTAGE_CONFORMANCE_DATA ?? path.resolve(REPO_ROOT, "..", "shared", "conformance", "buildkit");

export interface ParserCase {
  name: string;
  dockerfile: string;
  /** BuildKit's AST dump, one instruction a line; absent for a case that must fail. */
  result?: string;
}

export interface InstructionCase {
  source: string;
  instruction: string;
  expectedError: string;
}

export interface ShellCase {
  id: string;
  input: string;
  envs: Record<string, string>;
  /** The word after expansion; absent when it must fail. */
  expected?: string;
  error: boolean;
  errorContains?: string;
  /** Its syntax group: quoting, variable, modifier, pattern, positional, special. */
  group: string;
}

export interface StageCase {
  id: string;
  dockerfile: string;
  options: { target?: string; buildArgs?: Record<string, string>; platform?: string };
  expect: {
    error?: boolean;
    errorContains?: string;
    errorMentions?: string;
    parseError?: boolean;
    stages?: number;
    names?: Array<string | null>;
    lines?: number[];
    target?: number;
    closure?: number[];
    dependsOn?: Record<string, number[]>;
    fromStage?: Record<string, number>;
    baseImage?: Record<string, string>;
    args?: Record<string, string | null>;
    argNames?: string[];
    globalArgs?: Record<string, string | null>;
    stageArgs?: Record<string, Record<string, string | null>>;
  };
  note?: string;
}

const read = (...parts: string[]): string => fs.readFileSync(path.join(DATA_DIR, ...parts), "utf8");

export function dataAvailable(): boolean {
  return fs.existsSync(path.join(DATA_DIR, "stage-cases.json"));
}

export function parserCases(): ParserCase[] {
  const cases: ParserCase[] = [];
  for (const [dir, negative] of [
    ["testfiles", false],
    ["testfiles-negative", true],
  ] as const) {
    for (const name of fs.readdirSync(path.join(DATA_DIR, "parser", dir)).sort()) {
      const dockerfile = read("parser", dir, name, "Dockerfile");
      cases.push({
        name: `${dir}/${name}`,
        dockerfile,
        ...(negative ? {} : { result: read("parser", dir, name, "result") }),
      });
    }
  }
  return cases;
}

export function instructionCases(): InstructionCase[] {
  return JSON.parse(read("instructions", "error-cases.json")) as InstructionCase[];
}

/** The environment of every `envVarTest` row. */
const ENV_VAR_TEST_ENV = { PWD: "/home", SHELL: "bash", KOREAN: "한국어", NULL: "" };

export function shellCases(): ShellCase[] {
  const cases: ShellCase[] = [];
  read("shell", "envVarTest")
    .split("\n")
    .forEach((line, i) => {
      if (line.startsWith("#") || !line.trim()) return;
      const [platform, input, expected] = line.split("|").map((s) => s.trim());
      if (platform === "W") return;
      cases.push({
        id: `envVarTest:${i + 1}`,
        input,
        envs: ENV_VAR_TEST_ENV,
        ...(expected === "error" ? { error: true } : { expected, error: false }),
        group: syntaxGroup(input),
      });
    });
  const lex = JSON.parse(read("shell", "lex-cases.json")) as Array<
    Omit<ShellCase, "id" | "group" | "error"> & { source: string; error?: boolean }
  >;
  lex.forEach((c, i) => cases.push({ ...c, id: `lex:${i + 1}`, error: c.error === true, group: syntaxGroup(c.input) }));
  return cases;
}

export function stageCases(): StageCase[] {
  return JSON.parse(read("stage-cases.json")) as StageCase[];
}

/** The syntax a shell case exercises, for the table. */
function syntaxGroup(input: string): string {
  if (/\$\{[A-Za-z_][A-Za-z0-9_]*(#|%|\/)/.test(input)) return "pattern (# ## % %% / //)";
  if (/\$\{?[0-9]/.test(input)) return "positional ($1, ${1})";
  if (/\$\{?[@*#?$!-]/.test(input)) return "special ($@ $# $? …)";
  if (/\$\{[A-Za-z_]*[:?=+-]/.test(input) || /\$\{[^}]*:/.test(input)) return "modifier (:- :+ :? - + ?)";
  if (input.includes("$")) return "variable ($X, ${X})";
  return "quoting and escapes";
}
