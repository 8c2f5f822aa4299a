/**
 * Parse a Dockerfile (with `dockerfile-ast`) into the plain `DockerfileModel`, and
 * report the structural problems BuildKit would refuse or silently get wrong:
 * no FROM, duplicate stage names, references to unknown or later stages.
 */
import { Arg, DockerfileParser, Env, From, Instruction, ModifiableInstruction } from "dockerfile-ast";
import type { Diagnostic } from "./diagnostics";
import { expandOrKeep } from "./expand";
import type { ArgDeclaration, DependencyVia, DockerfileModel, Stage, VariableUse } from "./model";
import { scanVariables } from "./variables";
import { didYouMean } from "./suggest";

/** Result of parsing: the model (as far as it could be built) and what is wrong with it. */
export interface ParseResult {
  model: DockerfileModel;
  diagnostics: Diagnostic[];
}

/** Parse Dockerfile text. `file` is the name used in messages. */
export function parseDockerfile(content: string, file = "Dockerfile"): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const error = (d: Omit<Diagnostic, "severity" | "file">): void => {
    diagnostics.push({ severity: "error", file, ...d });
  };
  const ast = DockerfileParser.parse(content);
  const source = new SourceText(content, ast.getEscapeCharacter());
  const syntax = ast
    .getDirectives()
    .find((d) => d.getName().toLowerCase() === "syntax")
    ?.getValue();
  const globalArgs = ast.getInitialARGs().flatMap(argDeclarations);
  const model: DockerfileModel = { file, globalArgs, stages: [], syntax: syntax ?? undefined };

  const instructions = ast.getInstructions();
  if (instructions.length === 0) {
    error({
      code: "empty-dockerfile",
      message: "the Dockerfile has no instructions.",
      hint: "Add at least one `FROM <image>` line.",
    });
    return { model, diagnostics };
  }
  const froms = ast.getFROMs();
  if (froms.length === 0) {
    error({
      code: "no-from",
      line: line(instructions[0]),
      message: "the Dockerfile has no FROM instruction, so it has no stage to build.",
      hint: "Start each stage with `FROM <image> [AS <name>]`.",
    });
    return { model, diagnostics };
  }
  for (const instruction of instructions) {
    if (line(instruction) >= line(froms[0])) break;
    if (instruction.getKeyword() !== "ARG") {
      error({
        code: "parse-error",
        line: line(instruction),
        message: `${instruction.getKeyword()} appears before the first FROM; only ARG may.`,
        hint: "Move it into a stage, after a FROM line.",
      });
    }
  }

  // Instructions grouped by stage in one pass (dockerfile-ast's getContainingImage
  // scans every stage per call, which made parsing quadratic in the number of stages).
  const stageInstructions: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction instanceof From) stageInstructions.push([instruction]);
    else if (stageInstructions.length > 0) stageInstructions[stageInstructions.length - 1].push(instruction);
  }

  // First pass: stages and their names, so references can be resolved in the second pass.
  const byName = new Map<string, Stage>();
  for (const [index, own] of stageInstructions.entries()) {
    const from = own[0] as From;
    const declaredName = from.getBuildStage() ?? undefined;
    const last = own[own.length - 1];
    const stage: Stage = {
      index,
      name: declaredName?.toLowerCase(),
      declaredName,
      from: from.getImage() ?? "",
      platform: from.getPlatformFlag()?.getValue() ?? undefined,
      line: line(from),
      endLine: last.getRange().end.line + 1,
      args: [],
      variables: [],
      fromVariables: variableUses(from, source),
      envNames: [],
      dependencies: [],
    };
    const earlier = stage.name === undefined ? undefined : byName.get(stage.name);
    if (earlier) {
      error({
        code: "duplicate-stage",
        line: stage.line,
        stage: declaredName,
        message: `stage name "${declaredName}" is already used by the stage at line ${earlier.line}.`,
        hint: "Stage names must be unique (case-insensitive); rename one of them.",
      });
    } else if (stage.name !== undefined) {
      byName.set(stage.name, stage);
    }
    for (const instruction of own.slice(1)) {
      const keyword = instruction.getKeyword();
      if (keyword === "ARG") stage.args.push(...argDeclarations(instruction as Arg));
      if (keyword === "ENV") stage.envNames.push(...(instruction as Env).getProperties().map((p) => p.getName()));
      stage.variables.push(...variableUses(instruction, source));
    }
    model.stages.push(stage);
  }

  // Second pass: dependencies.
  const defaults = new Map<string, string | undefined>(globalArgs.map((a) => [a.name, a.defaultValue]));
  const references = new StageReferences(model, byName, diagnostics);
  for (const stage of model.stages) {
    const base = expandOrKeep(stage.from, defaults);
    if (base.toLowerCase() !== "scratch") references.add(stage, base, stage.from, "FROM", stage.line);
    for (const instruction of stageInstructions[stage.index].slice(1)) {
      for (const [via, reference] of flagReferences(instruction)) {
        references.add(stage, reference, reference, via, line(instruction));
      }
    }
  }
  return { model, diagnostics };
}

function line(instruction: Instruction): number {
  return instruction.getRange().start.line + 1;
}

function argDeclarations(arg: Arg): ArgDeclaration[] {
  return arg.getProperties().map((p) => ({
    name: p.getName(),
    defaultValue: p.getValue() === null ? undefined : (p.getUnescapedValue() ?? undefined),
    line: line(arg),
  }));
}

type Range = ReturnType<Instruction["getRange"]>;

/** The raw text of ranges of the Dockerfile, by line and character as dockerfile-ast reports them. */
class SourceText {
  private readonly lineStarts: number[] = [0];

  constructor(
    private readonly content: string,
    readonly escape: string,
  ) {
    for (let i = 0; i < content.length; i++) {
      const c = content[i];
      if (c === "\r" && content[i + 1] === "\n") i++;
      if (c === "\n" || c === "\r") this.lineStarts.push(i + 1);
    }
  }

  slice(range: Range): string {
    const offset = (p: Range["start"]): number => (this.lineStarts[p.line] ?? this.content.length) + p.character;
    return this.content.slice(offset(range.start), offset(range.end));
  }
}

/** Variables referenced after the keyword (dockerfile-ast splits arguments anew on every call, so the raw text is read once). */
function variableUses(instruction: Instruction, source: SourceText): VariableUse[] {
  const text = source.slice({ start: instruction.getInstructionRange().end, end: instruction.getRange().end });
  const keyword = instruction.getKeyword();
  return scanVariables(text, source.escape).map((v) => ({
    name: v.name,
    line: line(instruction),
    instruction: keyword,
    tolerant: v.modifier === "-" || v.modifier === "+",
    demanded: v.modifier === "?",
  }));
}

/** `COPY --from=x` and `RUN --mount=…,from=x` references of one instruction. */
function flagReferences(instruction: Instruction): Array<[DependencyVia, string]> {
  const keyword = instruction.getKeyword();
  if (keyword !== "COPY" && keyword !== "RUN" && keyword !== "ADD") return [];
  const found: Array<[DependencyVia, string]> = [];
  for (const flag of (instruction as ModifiableInstruction).getFlags()) {
    const name = flag.getName().toLowerCase();
    if (name === "from" && keyword !== "RUN" && flag.getValue()) found.push(["COPY --from", flag.getValue() as string]);
    if (name === "mount" && keyword === "RUN") {
      const from = flag.getOption("from")?.getValue();
      if (from) found.push(["RUN --mount", from]);
    }
  }
  return found;
}

/** True for a reference that cannot be an image name BuildKit would pull by that spelling on purpose. */
function looksLikeStageName(reference: string): boolean {
  return /^[a-z0-9][a-z0-9_.-]*$/i.test(reference) && !reference.includes("/") && !reference.includes(":");
}

/** Resolves references (`FROM x`, `--from=x`) to stages by name or index, in constant time each. */
class StageReferences {
  constructor(
    private readonly model: DockerfileModel,
    private readonly byName: ReadonlyMap<string, Stage>,
    private readonly diagnostics: Diagnostic[],
  ) {}

  add(stage: Stage, reference: string, written: string, via: DependencyVia, atLine: number): void {
    const { model } = this;
    const byIndex = /^\d+$/.test(reference) && via !== "FROM" ? Number(reference) : undefined;
    const target = byIndex !== undefined ? model.stages[byIndex] : this.byName.get(reference.toLowerCase());
    const shown = via === "FROM" ? `FROM ${written}` : `${via}=${written}`;
    const error = (d: Omit<Diagnostic, "severity" | "file" | "stage" | "line">): void => {
      this.diagnostics.push({ severity: "error", file: model.file, stage: stage.declaredName, line: atLine, ...d });
    };

    if (byIndex !== undefined && !target) {
      error({
        code: "unknown-stage",
        message: `${shown} refers to stage index ${byIndex}, but the Dockerfile has only ${model.stages.length} stage(s) (0-${model.stages.length - 1}).`,
        hint: "Use the index or name of an earlier stage.",
      });
      return;
    }
    if (target) {
      if (target.index === stage.index) {
        error({
          code: "self-reference",
          message: `${shown} refers to the stage itself.`,
          hint: "A stage can only use earlier stages; copy from another stage or an image.",
        });
        return;
      }
      if (target.index > stage.index) {
        error({
          code: "forward-reference",
          message: `${shown} refers to stage "${target.declaredName ?? target.index}", which is defined later (line ${target.line}).`,
          hint: `Move stage "${target.declaredName ?? target.index}" above line ${stage.line}.`,
        });
      }
      stage.dependencies.push({ kind: "stage", stage: target.index, via, reference: written, line: atLine });
      return;
    }
    // A bare name close to a stage name is most likely a misspelt stage, not an image to pull.
    if (looksLikeStageName(reference)) {
      const named = model.stages.flatMap((s) => (s.declaredName && s !== stage ? [s.declaredName] : []));
      const suggestion = didYouMean(reference, named);
      if (suggestion) {
        const earlier = model.stages
          .filter((s) => s.declaredName && s.index < stage.index)
          .map((s) => s.declaredName as string);
        error({
          code: "unknown-stage",
          message: `${shown} names no stage of this Dockerfile, so it would be pulled as the image "${reference}".${suggestion}`,
          hint: earlier.length
            ? `Stages defined before line ${atLine}: ${earlier.join(", ")}.`
            : "No named stage is defined before this line.",
        });
        return;
      }
    }
    stage.dependencies.push({ kind: "image", image: reference, via, reference: written, line: atLine });
  }
}
