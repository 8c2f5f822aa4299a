/**
 * Run the model over one conformance case and say how it compares with BuildKit:
 * pass, crash (an exception that is not a diagnostic), false error (refused what BuildKit
 * builds), missed error (accepted what BuildKit refuses), or wrong (a fact differs).
 */
import {
  type DockerfileModel,
  expandOrKeep,
  expandWord,
  globalScope,
  parseDockerfile,
  resolveTarget,
  directStageDependencies,
} from "../../src/dockerfile";
import { dumpInstructions, parseSyntax } from "../../src/dockerfile/syntax";
import type { InstructionCase, ParserCase, ShellCase, StageCase } from "./data";

export type Outcome = "pass" | "crash" | "false error" | "missed error" | "wrong";

export interface Result {
  category: string;
  id: string;
  outcome: Outcome;
  /** What differs, for a case that does not pass. */
  detail?: string;
}

const errorsOf = (diagnostics: ReadonlyArray<{ severity: string; message: string; code: string }>): string[] =>
  diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code}: ${d.message}`);

function guarded(category: string, id: string, run: () => Omit<Result, "category" | "id">): Result {
  try {
    return { category, id, ...run() };
  } catch (err) {
    return { category, id, outcome: "crash", detail: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
}

/**
 * A parser test file (BuildKit's parser alone: no FROM needed): it parses without error and
 * its instructions dump as BuildKit's do; a negative one fails to parse.
 */
export function evaluateParser(c: ParserCase): Result {
  return guarded("parser", c.name, () => {
    const tree = parseSyntax(c.dockerfile);
    const errors = [
      ...tree.errors.map((e) => e.message),
      ...tree.nodes.flatMap((n) => (n.error ? [n.error] : [])),
      ...(tree.nodes.length === 0 ? ["file with no instructions"] : []),
    ];
    if (c.result === undefined)
      return errors.length ? { outcome: "pass" } : { outcome: "missed error", detail: "parsed without error" };
    if (errors.length) return { outcome: "false error", detail: errors.join("; ") };
    const dump = dumpInstructions(c.dockerfile);
    const expected = c.result.trimEnd();
    if (dump.trimEnd() === expected) return { outcome: "pass" };
    const ours = dump.trimEnd().split("\n");
    const theirs = expected.split("\n");
    const at = theirs.findIndex((line, i) => ours[i] !== line);
    const i = at < 0 ? theirs.length : at;
    return {
      outcome: "wrong",
      detail: `line ${i + 1}: ours ${JSON.stringify(ours[i])}, BuildKit ${JSON.stringify(theirs[i])}`,
    };
  });
}

/** An instruction BuildKit refuses, after `FROM busybox`. */
export function evaluateInstruction(c: InstructionCase): Result {
  return guarded("instructions", `${c.source}: ${c.instruction.split("\n")[0]}`, () => {
    const errors = errorsOf(parseDockerfile(`FROM busybox\n${c.instruction}\n`).diagnostics);
    return errors.length ? { outcome: "pass" } : { outcome: "missed error", detail: `BuildKit: ${c.expectedError}` };
  });
}

/** One word expanded as BuildKit's shell lexer does. */
export function evaluateShell(c: ShellCase): Result {
  return guarded(`shell: ${c.group}`, `${c.id} ${c.input}`, () => {
    const scope = new Map<string, string | undefined>(Object.entries(c.envs));
    let value: string;
    try {
      value = expandWord(c.input, scope);
    } catch (err) {
      if (!c.error) return { outcome: "false error", detail: (err as Error).message };
      if (c.errorContains && !(err as Error).message.includes(c.errorContains))
        return { outcome: "wrong", detail: `error "${(err as Error).message}" lacks "${c.errorContains}"` };
      return { outcome: "pass" };
    }
    if (c.error) return { outcome: "missed error", detail: `expanded to ${JSON.stringify(value)}` };
    return value === c.expected
      ? { outcome: "pass" }
      : { outcome: "wrong", detail: `ours ${JSON.stringify(value)}, BuildKit ${JSON.stringify(c.expected)}` };
  });
}

/** The facts of a stage case, from the model: parse, then resolve the target as BuildKit would. */
export function evaluateStage(c: StageCase): Result {
  const category = `stages: ${c.id.replace(/\/.*$/, "")}`;
  return guarded(category, c.id, () => {
    const { model, diagnostics } = parseDockerfile(c.dockerfile);
    const parseErrors = errorsOf(diagnostics);
    const e = c.expect;
    if (e.parseError === false && parseErrors.length) return { outcome: "false error", detail: parseErrors.join("; ") };
    const resolution =
      model.stages.length > 0
        ? resolveTarget(model, {
            target: c.options.target,
            buildArgs: c.options.buildArgs,
            platform: c.options.platform,
          })
        : undefined;
    const errors = [...parseErrors, ...(resolution ? errorsOf(resolution.diagnostics) : ["no stages"])];
    if (e.error === true) {
      if (!errors.length) return { outcome: "missed error", detail: `BuildKit: ${e.errorContains ?? "an error"}` };
      if (e.errorMentions && !errors.some((m) => m.includes(e.errorMentions as string)))
        return { outcome: "wrong", detail: `the error does not mention ${e.errorMentions}: ${errors.join("; ")}` };
      return { outcome: "pass" };
    }
    if (e.error === false && errors.length) return { outcome: "false error", detail: errors.join("; ") };
    const wrong = compareFacts(c, model, resolution && resolution.found ? resolution : undefined);
    return wrong.length ? { outcome: "wrong", detail: wrong.join("; ") } : { outcome: "pass" };
  });
}

type Found = Extract<ReturnType<typeof resolveTarget>, { found: true }>;

function compareFacts(c: StageCase, model: DockerfileModel, resolution: Found | undefined): string[] {
  const e = c.expect;
  const wrong: string[] = [];
  const check = (fact: string, ours: unknown, theirs: unknown): void => {
    if (JSON.stringify(ours) !== JSON.stringify(theirs))
      wrong.push(`${fact}: ours ${JSON.stringify(ours)}, BuildKit ${JSON.stringify(theirs)}`);
  };
  if (e.stages !== undefined) check("stages", model.stages.length, e.stages);
  if (e.names)
    check(
      "names",
      model.stages.map((s) => s.name ?? null),
      e.names,
    );
  if (e.lines)
    check(
      "lines",
      model.stages.map((s) => s.line),
      e.lines,
    );
  if (!resolution) {
    if (["target", "closure", "args", "argNames", "baseImage", "fromStage", "dependsOn"].some((k) => k in e))
      wrong.push("the target did not resolve");
    return wrong;
  }
  // The model after FROM expansion (what resolveTarget built the closure from).
  const stages = resolution.stages.concat(resolution.skipped).sort((a, b) => a.index - b.index);
  if (e.target !== undefined) check("target", resolution.target.index, e.target);
  if (e.closure)
    check(
      "closure",
      resolution.stages.map((s) => s.index).sort((a, b) => a - b),
      e.closure,
    );
  for (const [i, deps] of Object.entries(e.dependsOn ?? {}))
    check(`dependsOn[${i}]`, [...new Set(directStageDependencies(stages[Number(i)]))].sort(), deps);
  for (const [i, from] of Object.entries(e.fromStage ?? {})) {
    const dep = stages[Number(i)].dependencies.find((d) => d.via === "FROM");
    check(`fromStage[${i}]`, dep?.kind === "stage" ? dep.stage : null, from);
  }
  // Stages outside the closure: their FROM expanded with the same global scope.
  const scope = globalScope(model, c.options.buildArgs ?? {}, c.options.platform);
  for (const [i, image] of Object.entries(e.baseImage ?? {}))
    check(
      `baseImage[${i}]`,
      resolution.args.baseImages.get(Number(i)) ?? expandOrKeep(model.stages[Number(i)].from, scope, model.escape),
      image,
    );
  const usages = new Map(resolution.args.args.map((u) => [u.name, u]));
  for (const [name, value] of Object.entries(e.args ?? {})) {
    const ours = usages.get(name)?.value ?? null;
    // An unset arg reads as "" where it is used (RUN's shell, an outline); only an env dump tells
    // unset from empty, and there the data says null.
    const same = ours === value || (value === "" && ours === null);
    if (!same) check(`args.${name}`, ours, value);
  }
  if (e.argNames) check("argNames", [...usages.keys()].sort(), [...e.argNames].sort());
  if (e.globalArgs)
    check(
      "globalArgs",
      Object.fromEntries(model.globalArgs.map((a) => [a.name, a.defaultValue ?? null])),
      e.globalArgs,
    );
  for (const [i, args] of Object.entries(e.stageArgs ?? {}))
    check(
      `stageArgs[${i}]`,
      Object.fromEntries(model.stages[Number(i)].args.map((a) => [a.name, a.defaultValue ?? null])),
      args,
    );
  return wrong;
}
