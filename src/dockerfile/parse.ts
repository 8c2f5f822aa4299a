/**
 * Parse a Dockerfile (with `dockerfile-ast`) into the plain `DockerfileModel`, and
 * report the structural problems BuildKit would refuse or silently get wrong:
 * no FROM, duplicate stage names, references to unknown or later stages.
 */
import { Arg, DockerfileParser, Env, From, Instruction, ModifiableInstruction, Onbuild } from "dockerfile-ast";
import type { Diagnostic } from "./diagnostics";
import { globalScope } from "./args";
import { expandOrKeep } from "./expand";
import type {
  ArgDeclaration,
  DependencyVia,
  DockerfileModel,
  SecretMount,
  SshMount,
  Stage,
  VariableUse,
} from "./model";
import { scanVariables } from "./variables";
import { didYouMean } from "./suggest";

/** Result of parsing: the model (as far as it could be built) and what is wrong with it. */
export interface ParseResult {
  model: DockerfileModel;
  diagnostics: Diagnostic[];
  /** The text parsed (what a plan reduces to a target's closure). */
  text?: string;
}

/** Parse Dockerfile text. `file` is the name used in messages. */
export function parseDockerfile(content: string, file = "Dockerfile"): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const error = (d: Omit<Diagnostic, "severity" | "file">): void => {
    diagnostics.push({ severity: "error", file, ...d });
  };
  const ast = DockerfileParser.parse(content);
  const syntax = ast
    .getDirectives()
    .find((d) => d.getName().toLowerCase() === "syntax")
    ?.getValue();
  const globalArgs = ast.getInitialARGs().flatMap(argDeclarations);
  const escape = ast.getEscapeCharacter();
  const model: DockerfileModel = { file, globalArgs, stages: [], syntax: syntax ?? undefined, escape };
  const source = new SourceText(content, escape);

  const instructions = ast.getInstructions();
  if (instructions.length === 0) {
    error({
      code: "empty-dockerfile",
      message: "the Dockerfile has no instructions.",
      hint: "Add at least one `FROM <image>` line.",
    });
    return { model, diagnostics, text: content };
  }
  const froms = ast.getFROMs();
  if (froms.length === 0) {
    error({
      code: "no-from",
      line: line(instructions[0]),
      message: "the Dockerfile has no FROM instruction, so it has no stage to build.",
      hint: "Start each stage with `FROM <image> [AS <name>]`.",
    });
    return { model, diagnostics, text: content };
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

  checkInstructions(instructions, source, error);

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
      secretMounts: [],
      sshMounts: [],
      contextReads: [],
      opaqueReads: [],
    };
    if (!stage.from) {
      error({
        code: "missing-image",
        line: stage.line,
        message: "FROM names no image.",
        hint: "Write `FROM <image> [AS <name>]`, e.g. `FROM node:20.18 AS build`, or `FROM scratch`.",
      });
    }
    if (declaredName !== undefined && !STAGE_NAME.test(declaredName)) {
      error({
        code: "invalid-stage-name",
        line: stage.line,
        stage: declaredName,
        message: `stage name "${declaredName}" is not one BuildKit accepts.`,
        hint: "Start with a letter, then use letters, digits, '-', '_' and '.'.",
      });
    }
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
      if (keyword === "RUN") {
        stage.secretMounts.push(...secretMounts(instruction as ModifiableInstruction));
        stage.sshMounts.push(...sshMounts(instruction as ModifiableInstruction));
      }
      readsOf(instruction, stage);
      stage.variables.push(...variableUses(instruction, source));
    }
    model.stages.push(stage);
  }

  // Second pass: dependencies.
  // The graph as written: defaults and the host platform; resolveTarget redoes FROM lines with the passed args.
  const defaults = globalScope(model);
  const references = new StageReferences(model, byName, diagnostics);
  const onbuild = new Map<number, Array<[DependencyVia, string]>>();
  for (const stage of model.stages) {
    const base = expandOrKeep(stage.from, defaults, escape);
    if (base.toLowerCase() !== "scratch") references.add(stage, base, stage.from, "FROM", stage.line);
    // An ONBUILD trigger's --from runs in the stages built FROM this one.
    const parent = stage.dependencies.find((d) => d.via === "FROM");
    if (parent?.kind === "stage") {
      for (const [via, reference] of onbuild.get(parent.stage) ?? [])
        references.add(stage, reference, reference, via, stage.line);
    }
    for (const instruction of stageInstructions[stage.index].slice(1)) {
      const trigger = instruction instanceof Onbuild ? instruction.getTriggerInstruction() : null;
      for (const [via, reference] of flagReferences(trigger ?? instruction)) {
        if (reference.includes("$")) {
          error({
            code: "variable-in-from-flag",
            line: line(instruction),
            stage: stage.declaredName,
            message: `${via}=${reference}: BuildKit does not expand variables in --from.`,
            hint: `Define an alias stage instead: \`FROM ${reference} AS <alias>\` before this stage, then use --from=<alias>.`,
          });
        } else if (trigger) {
          onbuild.set(stage.index, [...(onbuild.get(stage.index) ?? []), [via, reference]]);
        } else {
          references.add(stage, reference, reference, via, line(instruction));
        }
      }
    }
  }
  return { model, diagnostics, text: content };
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

/** Stage names BuildKit accepts. */
const STAGE_NAME = /^[a-z][a-z0-9_.-]*$/i;

/** Instructions BuildKit knows. */
const INSTRUCTIONS = new Set([
  "ADD",
  "ARG",
  "CMD",
  "COPY",
  "ENTRYPOINT",
  "ENV",
  "EXPOSE",
  "FROM",
  "HEALTHCHECK",
  "LABEL",
  "MAINTAINER",
  "ONBUILD",
  "RUN",
  "SHELL",
  "STOPSIGNAL",
  "USER",
  "VOLUME",
  "WORKDIR",
]);

const HEREDOC = /<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;

/** Unknown instructions, and heredocs whose terminator never comes (they would swallow the rest of the file). */
function checkInstructions(
  instructions: readonly Instruction[],
  source: SourceText,
  error: (d: Omit<Diagnostic, "severity" | "file">) => void,
): void {
  for (const instruction of instructions) {
    const keyword = instruction.getKeyword();
    if (!INSTRUCTIONS.has(keyword)) {
      const close = didYouMean(keyword, [...INSTRUCTIONS]);
      error({
        code: "unknown-instruction",
        line: line(instruction),
        message: `unknown instruction ${keyword}.${close}`,
        hint: `BuildKit knows ${[...INSTRUCTIONS].join(", ")}.`,
      });
    }
    if (keyword !== "RUN" && keyword !== "COPY" && keyword !== "ADD") continue;
    const range = instruction.getRange();
    const lines = source.lines(range.start.line, range.end.line);
    for (const [, strip, , word] of lines[0].matchAll(HEREDOC)) {
      const closed = lines.slice(1).some((l) => (strip ? l.replace(/^\t+/, "") : l) === word);
      if (closed) continue;
      const swallowed = lines.slice(1).findIndex((l) => /^\s*FROM\s/i.test(l));
      error({
        code: "unterminated-heredoc",
        line: line(instruction),
        message: `the heredoc <<${word} is never closed, so every line after it is part of this ${keyword}${swallowed >= 0 ? `, including the FROM at line ${line(instruction) + swallowed + 1}` : ""}.`,
        hint: `End it with a line that is exactly ${word}.`,
      });
    }
  }
}

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

  /** Lines `from` to `to` (0-based, inclusive), without their line breaks. */
  lines(from: number, to: number): string[] {
    const out: string[] = [];
    for (let l = from; l <= to; l++) {
      const start = this.lineStarts[l] ?? this.content.length;
      const end = this.lineStarts[l + 1] ?? this.content.length;
      out.push(this.content.slice(start, end).replace(/\r?\n$|\r$/, ""));
    }
    return out;
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

/** The `--mount=type=secret` flags of a RUN: id (else the target's file name) and whether it is required. */
function secretMounts(run: ModifiableInstruction): SecretMount[] {
  return run.getFlags().flatMap((flag) => {
    if (flag.getName().toLowerCase() !== "mount" || flag.getOption("type")?.getValue() !== "secret") return [];
    const target = flag.getOption("target")?.getValue() ?? flag.getOption("dst")?.getValue() ?? undefined;
    const id = flag.getOption("id")?.getValue() ?? (target ? target.split("/").pop() : undefined);
    if (!id) return [];
    return [{ id, required: flag.getOption("required")?.getValue() === "true", line: line(run) }];
  });
}

/** The `--mount=type=ssh` flags of a RUN: id (else `default`) and whether it is required. */
function sshMounts(run: ModifiableInstruction): SshMount[] {
  return run.getFlags().flatMap((flag) => {
    if (flag.getName().toLowerCase() !== "mount" || flag.getOption("type")?.getValue() !== "ssh") return [];
    const id = flag.getOption("id")?.getValue() || "default";
    return [{ id, required: flag.getOption("required")?.getValue() === "true", line: line(run) }];
  });
}

/** A remote source of `ADD`: a URL or a Git address. */
const REMOTE_SOURCE = /^([a-z][a-z0-9+.-]*:\/\/|git@)/i;

/** The build-context reads (and unlistable inputs) of one instruction, added to `stage`. */
function readsOf(instruction: Instruction, stage: Stage): void {
  const keyword = instruction.getKeyword();
  const at = line(instruction);
  if (instruction instanceof Onbuild) {
    stage.opaqueReads.push({ what: `ONBUILD ${instruction.getRawArgumentsContent() ?? ""}`.trim(), line: at });
    return;
  }
  if (keyword === "RUN") {
    for (const flag of (instruction as ModifiableInstruction).getFlags()) {
      if (flag.getName().toLowerCase() !== "mount" || flag.getOption("from")) continue;
      const type = flag.getOption("type")?.getValue() ?? "bind";
      if (type !== "bind") continue;
      const source = flag.getOption("source")?.getValue() ?? flag.getOption("src")?.getValue() ?? ".";
      stage.contextReads.push({
        instruction: "RUN --mount",
        text: `RUN --mount=${flag.getValue() ?? ""}`,
        sources: [source || "."],
        line: at,
      });
    }
    return;
  }
  if (keyword !== "COPY" && keyword !== "ADD") return;
  const modifiable = instruction as ModifiableInstruction;
  if (modifiable.getFlags().some((f) => f.getName().toLowerCase() === "from")) return;
  const words = jsonWords(instruction) ?? instruction.getArguments().map((a) => a.getValue());
  // Here-documents (`COPY <<EOF /dest`) are inline: the text after the marker is their body.
  const heredoc = words.findIndex((w) => w.startsWith("<<"));
  const sources = (heredoc >= 0 ? words.slice(0, heredoc) : words.slice(0, -1)).filter((w) => w !== "");
  const remote = sources.filter((s) => keyword === "ADD" && REMOTE_SOURCE.test(s));
  for (const url of remote) stage.opaqueReads.push({ what: `ADD ${url}`, line: at });
  const local = sources.filter((s) => !remote.includes(s));
  const text = `${keyword} ${instruction.getRawArgumentsContent() ?? ""}`.replace(/\s*\\?\n[\s\S]*$/, "");
  if (local.length) stage.contextReads.push({ instruction: keyword, text, sources: local, line: at });
}

/** The words of an instruction in JSON form (`COPY ["a b", "/dest"]`), after its flags; `undefined` otherwise. */
function jsonWords(instruction: Instruction): string[] | undefined {
  const raw = (instruction.getRawArgumentsContent() ?? "").replace(/^(\s*--\S+)*\s*/, "");
  if (!raw.startsWith("[")) return undefined;
  try {
    const words: unknown = JSON.parse(raw);
    return Array.isArray(words) && words.every((w) => typeof w === "string") ? words : undefined;
  } catch {
    return undefined;
  }
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
      if (via === "FROM" && reference !== reference.toLowerCase()) {
        // BuildKit lower-cases stage names where they are declared and where --from and
        // --target name them, but looks a FROM up as written: `FROM BUILD_IMAGE` misses the
        // stage and fails as an image name ("repository name must be lowercase").
        error({
          code: "stage-name-case",
          message: `${shown} names stage "${target.declaredName ?? target.index}" in capitals; BuildKit matches FROM against stage names in lower case only, so it reads this as an image and fails ("repository name must be lowercase").`,
          hint: `Write \`FROM ${reference.toLowerCase()}\` (COPY --from and --target accept any case).`,
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
