/**
 * Parse a Dockerfile (with BuildKit's syntax rules, `syntax.ts`) into the plain
 * `DockerfileModel`, and report what BuildKit would refuse or silently get wrong: bad
 * instructions (argument counts, flags, ONBUILD triggers), no FROM, duplicate stage names,
 * references to unknown or later stages.
 */
import type { Diagnostic } from "./diagnostics";
import { globalScope } from "./args";
import { expandOrKeep } from "./expand";
import type {
  ArgDeclaration,
  DependencyVia,
  DockerfileModel,
  SecretMount,
  SshMount,
  EntitlementUse,
  Stage,
  VariableUse,
} from "./model";
import { type SyntaxNode, parseSyntax } from "./syntax";
import { scanVariables } from "./variables";
import { didYouMean } from "./suggest";

/** Result of parsing: the model (as far as it could be built) and what is wrong with it. */
export interface ParseResult {
  model: DockerfileModel;
  diagnostics: Diagnostic[];
  /** The text parsed (what a plan reduces to a target's closure). */
  text?: string;
  /** Its instructions as the syntax parser read them (what lint rules look at). */
  instructions: SyntaxNode[];
}

type Report = (d: Omit<Diagnostic, "severity" | "file">) => void;

/** Parse Dockerfile text. `file` is the name used in messages. */
export function parseDockerfile(content: string, file = "Dockerfile"): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const error: Report = (d) => {
    diagnostics.push({ severity: "error", file, ...d });
  };
  const tree = parseSyntax(content);
  const syntax = tree.directives.find((d) => d.name === "syntax")?.value;
  const escape = tree.escape;
  const instructions = tree.nodes;
  const firstFrom = instructions.findIndex((n) => n.keyword === "FROM");
  const globalArgs = (firstFrom < 0 ? instructions : instructions.slice(0, firstFrom))
    .filter((n) => n.keyword === "ARG")
    .flatMap(argDeclarations);
  const model: DockerfileModel = { file, globalArgs, stages: [], syntax, escape };
  for (const { line, message, unterminated } of tree.errors) {
    // The lines it swallows may hold a FROM: say so, it is why stages seem to vanish.
    const from = unterminated?.swallowedFrom;
    error(
      unterminated
        ? {
            code: "unterminated-heredoc",
            line,
            message: `the heredoc <<${unterminated.name} is never closed, so every line after it is part of this instruction${from ? `, including the FROM at line ${from}` : ""}.`,
            hint: `End it with a line that is exactly ${unterminated.name}.`,
          }
        : {
            code: "parse-error",
            line,
            message: `${message}.`,
            hint: "Fix the parser directive at the top of the file.",
          },
    );
  }

  if (instructions.length === 0) {
    error({
      code: "empty-dockerfile",
      message: "the Dockerfile has no instructions.",
      hint: "Add at least one `FROM <image>` line.",
    });
    return { model, diagnostics, text: content, instructions };
  }
  if (firstFrom < 0 && instructions.every((i) => !Object.hasOwn(FLAGS, i.keyword) && !closeInstruction(i.keyword))) {
    // Not a Dockerfile at all (a .env file, /etc/passwd): one error, and none of its text.
    error({
      code: "no-from",
      line: instructions[0].line,
      message: `this is not a Dockerfile: none of its ${instructions.length} ${instructions.length === 1 ? "line starts" : "lines start"} with an instruction (their text is not repeated here).`,
      hint: "Point `dockerfile` at the Dockerfile, not at another file.",
    });
    return { model, diagnostics, text: content, instructions };
  }
  if (firstFrom < 0) {
    checkInstructions(instructions, error);
    error({
      code: "no-from",
      line: instructions[0].line,
      message: "the Dockerfile has no FROM instruction, so it has no stage to build.",
      hint: "Start each stage with `FROM <image> [AS <name>]`.",
    });
    return { model, diagnostics, text: content, instructions };
  }
  for (const instruction of instructions.slice(0, firstFrom)) {
    if (instruction.keyword !== "ARG") {
      error({
        code: "parse-error",
        line: instruction.line,
        message: `${Object.hasOwn(FLAGS, instruction.keyword) ? instruction.keyword : "a line that is no instruction"} appears before the first FROM; only ARG may.`,
        hint: "Move it into a stage, after a FROM line.",
      });
    }
  }

  checkInstructions(instructions, error);

  // Instructions grouped by stage in one pass.
  const stageInstructions: SyntaxNode[][] = [];
  for (const instruction of instructions.slice(firstFrom)) {
    if (instruction.keyword === "FROM") stageInstructions.push([instruction]);
    else stageInstructions[stageInstructions.length - 1].push(instruction);
  }

  // First pass: stages and their names, so references can be resolved in the second pass.
  const byName = new Map<string, Stage>();
  for (const [index, own] of stageInstructions.entries()) {
    const from = own[0];
    const declaredName = from.args.length === 3 && from.args[1].toLowerCase() === "as" ? from.args[2] : undefined;
    const last = own[own.length - 1];
    const stage: Stage = {
      index,
      name: declaredName?.toLowerCase(),
      declaredName,
      from: from.args[0] ?? "",
      platform: flagValue(from, "platform"),
      line: from.line,
      endLine: last.endLine,
      args: [],
      variables: [],
      fromVariables: variableUses(from, escape),
      envNames: [],
      dependencies: [],
      secretMounts: [],
      sshMounts: [],
      entitlements: [],
      contextReads: [],
      opaqueReads: [],
      fromReads: [],
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
      const keyword = instruction.keyword;
      if (keyword === "ARG") stage.args.push(...argDeclarations(instruction));
      if (keyword === "ENV") stage.envNames.push(...instruction.args.filter((_, i) => i % 3 === 0));
      if (keyword === "RUN") {
        stage.secretMounts.push(...secretMounts(instruction));
        stage.sshMounts.push(...sshMounts(instruction));
        stage.entitlements.push(...entitlementUses(instruction));
      }
      readsOf(instruction, stage);
      stage.variables.push(...variableUses(instruction, escape));
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
      const trigger = instruction.trigger;
      for (const [via, reference] of flagReferences(trigger ?? instruction)) {
        if (reference.includes("$")) {
          error({
            code: "variable-in-from-flag",
            line: instruction.line,
            stage: stage.declaredName,
            message: `${via}=${reference}: BuildKit does not expand variables in --from.`,
            hint: `Define an alias stage instead: \`FROM ${reference} AS <alias>\` before this stage, then use --from=<alias>.`,
          });
        } else if (trigger) {
          onbuild.set(stage.index, [...(onbuild.get(stage.index) ?? []), [via, reference]]);
        } else {
          references.add(stage, reference, reference, via, instruction.line);
        }
      }
    }
  }
  return { model, diagnostics, text: content, instructions };
}

/** `ARG a b=c`: one declaration per word; the default as written (quotes kept: expansion removes them). */
function argDeclarations(arg: SyntaxNode): ArgDeclaration[] {
  return arg.args.map((word) => {
    const eq = word.indexOf("=");
    return eq < 0
      ? { name: word, defaultValue: undefined, line: arg.line }
      : { name: word.slice(0, eq), defaultValue: word.slice(eq + 1), line: arg.line };
  });
}

/** Stage names BuildKit accepts. */
const STAGE_NAME = /^[a-z][a-z0-9_.-]*$/i;

/** Instructions BuildKit knows, and the flags each takes. */
const FLAGS: Readonly<Record<string, readonly string[]>> = {
  ADD: ["chown", "chmod", "link", "keep-git-dir", "checksum", "exclude", "unpack"],
  ARG: [],
  CMD: [],
  COPY: ["from", "chown", "chmod", "link", "parents", "exclude"],
  ENTRYPOINT: [],
  ENV: [],
  EXPOSE: [],
  FROM: ["platform"],
  HEALTHCHECK: ["interval", "timeout", "start-period", "start-interval", "retries"],
  LABEL: [],
  MAINTAINER: [],
  ONBUILD: [],
  RUN: ["mount", "network", "security", "device"],
  SHELL: [],
  STOPSIGNAL: [],
  USER: [],
  VOLUME: [],
  WORKDIR: [],
};
const INSTRUCTIONS = Object.keys(FLAGS);

/** ` Did you mean "COPY"?` for a word a typo away from an instruction; "" for any other word. */
function closeInstruction(keyword: string): string {
  return /^[A-Z]{2,12}$/.test(keyword) ? didYouMean(keyword, INSTRUCTIONS) : "";
}
const EXACTLY_ONE = new Set(["MAINTAINER", "WORKDIR", "USER", "STOPSIGNAL"]);
const AT_LEAST_ONE = new Set(["LABEL", "ONBUILD", "HEALTHCHECK", "EXPOSE", "ENV", "ARG", "VOLUME", "SHELL"]);
/** A remote source: a URL or a Git address. */
const REMOTE_SOURCE = /^([a-z][a-z0-9+.-]*:\/\/|git@)/i;

/**
 * What BuildKit refuses in an instruction on its own: an unknown instruction or flag, the
 * wrong number of arguments, a forbidden ONBUILD trigger, a SHELL not in JSON form, a COPY
 * from a URL, a malformed FROM, and what its parser refused (`ENV name` without a value).
 */
function checkInstructions(instructions: readonly SyntaxNode[], error: Report): void {
  for (const instruction of instructions) {
    const { keyword, line } = instruction;
    const refuse = (message: string, hint: string): void =>
      error({ code: "invalid-instruction", line, message: `${message}.`, hint });
    const flags = FLAGS[keyword];
    if (!flags) {
      // The word is quoted only when it is close to an instruction (a typo): any other line may
      // be another file's content (KEY=VALUE, a password), which no message repeats.
      const close = closeInstruction(keyword);
      error({
        code: "unknown-instruction",
        line,
        message: close
          ? `unknown instruction ${keyword}.${close}`
          : `line ${line} does not start with an instruction (its text is not repeated here).`,
        hint: `BuildKit knows ${INSTRUCTIONS.join(", ")}.`,
      });
      continue;
    }
    if (instruction.error) {
      refuse(
        instruction.error,
        `See the ${keyword} reference: https://docs.docker.com/reference/dockerfile/#${keyword.toLowerCase()}`,
      );
      continue;
    }
    for (const flag of instruction.flags) {
      const name = flag.replace(/^--/, "").split("=")[0];
      if (!flags.includes(name.toLowerCase()))
        refuse(
          `unknown flag: --${name}`,
          flags.length ? `${keyword} takes ${flags.map((f) => `--${f}`).join(", ")}.` : `${keyword} takes no flags.`,
        );
    }
    const count = instruction.args.length;
    if (EXACTLY_ONE.has(keyword) && count !== 1)
      refuse(`${keyword} requires exactly one argument`, `Write \`${keyword} <value>\`.`);
    else if (AT_LEAST_ONE.has(keyword) && count === 0)
      refuse(`${keyword} requires at least one argument`, `Give ${keyword} its arguments.`);
    if ((keyword === "COPY" || keyword === "ADD") && count < 2 && instruction.heredocs.length === 0)
      refuse(
        count === 1
          ? `${keyword} requires at least two arguments, but only one was provided. Destination could not be determined`
          : `${keyword} requires at least two arguments`,
        `Write \`${keyword} <source>… <destination>\`.`,
      );
    if (keyword === "COPY") {
      const url = instruction.args.slice(0, -1).find((a) => REMOTE_SOURCE.test(a));
      if (url) refuse(`source can't be a URL for COPY`, `Use ADD ${url} to fetch it, or copy a file of the context.`);
    }
    if (keyword === "SHELL" && count > 0 && !instruction.json)
      refuse("SHELL requires the arguments to be in JSON form", 'Write SHELL ["/bin/sh", "-c"].');
    if (keyword === "FROM" && count > 1 && !(count === 3 && instruction.args[1].toLowerCase() === "as"))
      refuse("FROM requires either one or three arguments", "Write `FROM <image> [AS <name>]`.");
    const trigger = instruction.trigger;
    if (trigger?.keyword === "ONBUILD")
      refuse("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", "Give ONBUILD one trigger instruction.");
    else if (trigger?.keyword === "FROM" || trigger?.keyword === "MAINTAINER")
      refuse(`${trigger.keyword} isn't allowed as an ONBUILD trigger`, "Use another instruction as the trigger.");
    else if (trigger) checkInstructions([trigger], error);
  }
}

/** The value of a flag (`--name=value`), if the instruction has it. */
function flagValue(instruction: SyntaxNode, name: string): string | undefined {
  for (const flag of instruction.flags) {
    const eq = flag.indexOf("=");
    const flagName = (eq < 0 ? flag.slice(2) : flag.slice(2, eq)).toLowerCase();
    if (flagName === name) return eq < 0 ? "" : flag.slice(eq + 1);
  }
  return undefined;
}

/** The `--mount` flags of a RUN, each as its options (`type=secret,id=x` → type, id). */
function mounts(run: SyntaxNode): Array<{ value: string; options: Map<string, string> }> {
  return run.flags
    .filter((f) => /^--mount=/i.test(f))
    .map((f) => {
      const value = f.slice("--mount=".length);
      const options = new Map<string, string>();
      for (const part of value.split(",")) {
        const eq = part.indexOf("=");
        if (eq < 0) options.set(part.trim().toLowerCase(), "true");
        else options.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
      }
      return { value, options };
    });
}

/** Variables referenced after the keyword: its flags, its arguments and its unquoted here-documents. */
function variableUses(instruction: SyntaxNode, escape: string): VariableUse[] {
  const text = [
    ...instruction.flags,
    instruction.rest,
    ...instruction.heredocs.filter((h) => !h.quoted).map((h) => h.content),
  ].join(" ");
  return scanVariables(text, escape).map((v) => ({
    name: v.name,
    line: instruction.line,
    instruction: instruction.keyword,
    tolerant: v.modifier === "-" || v.modifier === "+",
    demanded: v.modifier === "?",
  }));
}

/** The `--mount=type=secret` flags of a RUN: id (else the target's file name) and whether it is required. */
function secretMounts(run: SyntaxNode): SecretMount[] {
  return mounts(run).flatMap(({ options }) => {
    if (options.get("type") !== "secret") return [];
    const target = options.get("target") ?? options.get("dst") ?? options.get("destination");
    const id = options.get("id") ?? (target ? target.split("/").pop() : undefined);
    if (!id) return [];
    const env = options.get("env");
    return [{ id, required: options.get("required") === "true", line: run.line, ...(env ? { env } : {}) }];
  });
}

/** The `--mount=type=ssh` flags of a RUN: id (else `default`) and whether it is required. */
function sshMounts(run: SyntaxNode): SshMount[] {
  return mounts(run).flatMap(({ options }) => {
    if (options.get("type") !== "ssh") return [];
    return [{ id: options.get("id") || "default", required: options.get("required") === "true", line: run.line }];
  });
}

/** The entitlements a RUN's flags need: `--security=insecure`, and `--device` (any value). */
function entitlementUses(run: SyntaxNode): EntitlementUse[] {
  return run.flags.flatMap((flag): EntitlementUse[] => {
    if (/^--security=insecure$/i.test(flag)) return [{ entitlement: "security.insecure", line: run.line }];
    if (/^--device=/i.test(flag)) return [{ entitlement: "device", line: run.line }];
    return [];
  });
}

/** The build-context reads (and unlistable inputs) of one instruction, added to `stage`. */
function readsOf(instruction: SyntaxNode, stage: Stage): void {
  const { keyword, line: at } = instruction;
  if (instruction.trigger) {
    stage.opaqueReads.push({ what: `ONBUILD ${instruction.rest}`.trim(), line: at });
    return;
  }
  if (keyword === "RUN") {
    for (const { value, options } of mounts(instruction)) {
      const from = options.get("from");
      if (from) {
        const source = options.get("source") ?? options.get("src") ?? ".";
        stage.fromReads.push({ from, sources: [source || "."], text: `RUN --mount=${value}`, line: at });
        continue;
      }
      if ((options.get("type") ?? "bind") !== "bind") continue;
      const source = options.get("source") ?? options.get("src") ?? ".";
      stage.contextReads.push({
        instruction: "RUN --mount",
        text: `RUN --mount=${value}`,
        sources: [source || "."],
        line: at,
      });
    }
    return;
  }
  if (keyword !== "COPY" && keyword !== "ADD") return;
  const words = instruction.args;
  // Here-documents (`COPY <<EOF /dest`) are inline: the text after the marker is their body.
  const heredoc = words.findIndex((w) => w.startsWith("<<"));
  const sources = (heredoc >= 0 ? words.slice(0, heredoc) : words.slice(0, -1)).filter((w) => w !== "");
  const from = flagValue(instruction, "from");
  if (from !== undefined) {
    const text = [keyword, ...instruction.flags, instruction.rest].join(" ");
    if (from) stage.fromReads.push({ from, sources, text, line: at });
    return;
  }
  const remote = sources.filter((s) => keyword === "ADD" && REMOTE_SOURCE.test(s));
  for (const url of remote) stage.opaqueReads.push({ what: `ADD ${url}`, line: at });
  const local = sources.filter((s) => !remote.includes(s));
  const text = [keyword, ...instruction.flags, instruction.rest].join(" ");
  if (local.length) stage.contextReads.push({ instruction: keyword, text, sources: local, line: at });
}

/** `COPY --from=x` and `RUN --mount=…,from=x` references of one instruction. */
function flagReferences(instruction: SyntaxNode): Array<[DependencyVia, string]> {
  const { keyword } = instruction;
  if (keyword !== "COPY" && keyword !== "RUN" && keyword !== "ADD") return [];
  const found: Array<[DependencyVia, string]> = [];
  if (keyword !== "RUN") {
    const from = flagValue(instruction, "from");
    if (from) found.push(["COPY --from", from]);
  } else {
    for (const { options } of mounts(instruction)) {
      const from = options.get("from");
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

    // Neither a stage (by name or index) nor something BuildKit could pull (`--from=-1`).
    if (!target && via !== "FROM" && byIndex === undefined && !/^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/.test(reference)) {
      error({
        code: "unknown-stage",
        message: `${shown} names neither a stage of this Dockerfile (by name, or by index 0-${model.stages.length - 1}) nor an image.`,
        hint: "Use the name or index of an earlier stage, or an image reference such as busybox:1.36.",
      });
      return;
    }
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
    // A bare name close to a stage name is most likely a misspelt stage, not an image to pull;
    // one a stage name merely contains (`alpine` beside `alpine-amd64`) is the image it names.
    if (looksLikeStageName(reference)) {
      const lower = reference.toLowerCase();
      const named = model.stages.flatMap((s) =>
        s.declaredName && s !== stage && !s.name?.includes(lower) && !lower.includes(s.name ?? "")
          ? [s.declaredName]
          : [],
      );
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
