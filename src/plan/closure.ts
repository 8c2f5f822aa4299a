/**
 * What a target reads, from the stage graph alone (pure): the Dockerfile reduced to the
 * target's closure, and the context paths the closure's COPY, ADD and bind mounts read.
 * A build given only these cannot be changed by anything else, so an edit elsewhere in
 * the context (another service, a dev-only file, the README) leaves the target as it is.
 */
import { sha256 } from "./digest";
import { type NamedContext, namedContext } from "./contexts";
import {
  type DockerfileModel,
  type Stage,
  type TargetResolution,
  expandOrKeep,
  globalScope,
  stageLabel,
} from "../dockerfile";

/** What a stage's inputs hold for a volatile arg in place of its value's hash. */
export const VOLATILE = "volatile";

/**
 * What one stage of a closure is made from, as far as the Dockerfile and the args tell:
 * the files it reads are added from disk (`targetInputs`).
 */
export interface StageInputSpec {
  /** The stage's label (name, or `#index`). */
  readonly stage: string;
  /** Hash of its lines as written, FROM to its last instruction. */
  readonly text: string;
  /** What it starts from: `image <ref>` (args substituted), `stage <label>`, or `scratch`. */
  readonly base: string;
  /** Stages it copies from or mounts (`COPY --from`, `RUN --mount=from=`). */
  readonly uses: readonly string[];
  /** Images it copies from or mounts. */
  readonly images: readonly string[];
  /** Args it declares, and globals its FROM line uses, with a hash of each value (`volatile` for volatile args). */
  readonly args: Readonly<Record<string, string>>;
  /** Context paths and patterns it reads, or `all` (`COPY . .` and the like). */
  readonly reads: readonly string[] | "all";
  /**
   * The named directory contexts it reads, each with the paths it copies from it (`all` for
   * `COPY --from=name . /x` or `FROM name`). Absent when none.
   */
  readonly contexts?: Readonly<Record<string, readonly string[] | "all">>;
}

/** Why a target reads the whole context. */
export interface WholeContextReason {
  /** e.g. `COPY . .`, `ADD https://…`, `ONBUILD COPY . /app`, `COPY $SRC` (unexpanded). */
  readonly what: string;
  readonly stage: string;
  readonly line: number;
  /** What to change to narrow it. */
  readonly hint: string;
}

/** The part of the Dockerfile and of the context a target reads. */
export interface TargetClosure {
  /**
   * The Dockerfile with every stage outside the closure replaced by `FROM scratch [AS name]`
   * on its FROM line and blank lines after it: stage indices, names and line numbers stay
   * those of the original, so BuildKit's messages point at the user's lines.
   */
  readonly dockerfile: string;
  /**
   * Context paths and patterns the closure reads (args expanded, `./` and trailing `/`
   * removed), sorted; `undefined` when it reads the whole context (see `wholeContext`).
   */
  readonly patterns?: readonly string[];
  /** Set when the whole context is read: the first instruction that makes it so. */
  readonly wholeContext?: WholeContextReason;
  /** Hash of the lines before the first FROM (parser directives, global ARGs). */
  readonly preamble: string;
  /** Each stage of the closure, dependencies first. */
  readonly stages: readonly StageInputSpec[];
}

/** A source as a context-relative pattern: `./src/` → `src`, `.` → `` (everything). */
function normalise(source: string): string {
  let s = source.replace(/\\/g, "/");
  while (s.startsWith("./")) s = s.slice(2);
  s = s.replace(/^\/+/, "").replace(/\/+$/, "");
  return s === "." ? "" : s;
}

/** The closure of `resolution` in the Dockerfile `text` whose model is `model`. */
export function targetClosure(
  text: string,
  model: DockerfileModel,
  resolution: TargetResolution,
  buildArgs: Readonly<Record<string, string | undefined>>,
  volatileArgs: readonly string[] = [],
  contexts: Readonly<Record<string, NamedContext>> = {},
): TargetClosure {
  const inClosure = new Set(resolution.stages.map((s) => s.index));
  const lines = text.split("\n");
  for (const stage of model.stages) {
    if (inClosure.has(stage.index)) continue;
    const placeholder = stage.declaredName ? `FROM scratch AS ${stage.declaredName}` : "FROM scratch";
    // A FROM continued over several lines keeps its line count: the placeholder, then blanks.
    for (let n = stage.line; n <= stage.endLine; n++) lines[n - 1] = n === stage.line ? placeholder : "";
  }
  const dockerfile = lines.join("\n");

  // The values COPY sources expand with: the stage's args as resolved for this target.
  const scope = new Map(globalScope(model, buildArgs));
  for (const usage of resolution.args.args) scope.set(usage.name, usage.value);

  const firstFrom = model.stages[0]?.line ?? 1;
  const preamble = sha256(
    text
      .split("\n")
      .slice(0, firstFrom - 1)
      .join("\n"),
  );
  const original = text.split("\n");
  const volatile = new Set(volatileArgs);
  const patterns = new Set<string>();
  let wholeContext: WholeContextReason | undefined;
  const stages: StageInputSpec[] = [];
  for (const stage of resolution.stages) {
    const own = new Set<string>();
    const whole = wholeContextRead(stage, scope, model, own);
    wholeContext ??= whole;
    for (const p of own) patterns.add(p);
    stages.push(stageInputSpec(stage, { model, resolution, contexts, scope, original, volatile }, whole, own));
  }
  return wholeContext
    ? { dockerfile, wholeContext, preamble, stages }
    : { dockerfile, patterns: [...patterns].sort(), preamble, stages };
}

/** What one stage's inputs are made of, from the stage graph alone (its files are added from disk). */
function stageInputSpec(
  stage: Stage,
  closure: {
    model: DockerfileModel;
    resolution: TargetResolution;
    contexts: Readonly<Record<string, NamedContext>>;
    scope: Map<string, string | undefined>;
    original: readonly string[];
    volatile: ReadonlySet<string>;
  },
  whole: WholeContextReason | undefined,
  own: ReadonlySet<string>,
): StageInputSpec {
  const { model, resolution, contexts, scope, original, volatile } = closure;
  const named = (ref: string): NamedContext | undefined => namedContext(contexts, ref);
  const label = stageLabel(stage);
  const args: Record<string, string> = {};
  for (const usage of resolution.args.args) {
    const declared = usage.declaredIn.includes(label);
    const onFrom = stage.fromVariables.some((v) => v.name === usage.name);
    if (!declared && !onFrom) continue;
    // A volatile arg is there by name only: its values never change the inputs.
    args[usage.name] = volatile.has(usage.name) ? VOLATILE : sha256(usage.value ?? "\0unset");
  }
  const from = stage.dependencies.find((d) => d.via === "FROM");
  const others = stage.dependencies.filter((d) => d.via !== "FROM");
  const baseRef = from?.kind === "image" ? (resolution.args.baseImages.get(stage.index) ?? from.image) : undefined;
  const baseContext = baseRef === undefined ? undefined : named(baseRef);
  // An image context stands for its image (its digest counts like any base's); a directory
  // context for the files the stage reads from it.
  const images = others.flatMap((d) => {
    if (d.kind !== "image") return [];
    const context = named(d.image);
    return context?.kind === "directory" ? [] : [context?.kind === "image" ? context.image : d.image];
  });
  const read = contextReadsOf(stage, contexts, scope, model.escape);
  if (baseContext?.kind === "directory" && baseRef !== undefined) read[baseRef] = "all";
  return {
    stage: label,
    text: sha256(original.slice(stage.line - 1, stage.endLine).join("\n")),
    base:
      from === undefined
        ? "scratch"
        : from.kind === "stage"
          ? `stage ${stageLabel(model.stages[from.stage])}`
          : baseContext?.kind === "directory"
            ? `context ${baseRef}`
            : `image ${baseContext?.kind === "image" ? baseContext.image : baseRef}`,
    uses: [...new Set(others.flatMap((d) => (d.kind === "stage" ? [stageLabel(model.stages[d.stage])] : [])))],
    images: [...new Set(images)],
    args,
    reads: whole ? "all" : [...own].sort(),
    ...(Object.keys(read).length ? { contexts: read } : {}),
  };
}

/** What `stage` copies or mounts from each named directory context: paths, or `all`. */
function contextReadsOf(
  stage: Stage,
  contexts: Readonly<Record<string, NamedContext>>,
  scope: Map<string, string | undefined>,
  escape: string,
): Record<string, string[] | "all"> {
  const reads: Record<string, string[] | "all"> = {};
  for (const read of stage.fromReads) {
    const name = expandOrKeep(read.from, scope, escape);
    if (namedContext(contexts, name)?.kind !== "directory") continue;
    for (const source of read.sources) {
      const pattern = normalise(expandOrKeep(source, scope, escape));
      const sofar = reads[name];
      if (sofar === "all") continue;
      reads[name] = pattern === "" || pattern.includes("$") ? "all" : [...new Set([...(sofar ?? []), pattern])].sort();
    }
  }
  return reads;
}

/** Adds the stage's context patterns to `patterns`, or returns why the whole context is read. */
function wholeContextRead(
  stage: Stage,
  scope: Map<string, string | undefined>,
  model: DockerfileModel,
  patterns: Set<string>,
): WholeContextReason | undefined {
  const label = stageLabel(stage);
  const opaque = stage.opaqueReads[0];
  if (opaque) {
    return {
      what: opaque.what,
      stage: label,
      line: opaque.line,
      hint: opaque.what.startsWith("ADD")
        ? "Its content is only known once downloaded: fetch it in a RUN with a pinned checksum (ADD --checksum=…), or vendor it."
        : "An ONBUILD trigger runs in the stages built from this one; write its instructions there.",
    };
  }
  for (const read of stage.contextReads) {
    for (const source of read.sources) {
      const expanded = expandOrKeep(source, scope, model.escape);
      if (expanded.includes("$")) {
        return {
          what: read.text,
          stage: label,
          line: read.line,
          hint: "Its path depends on a variable the plan cannot resolve (an ENV, or an arg without a value): pass the arg, or write the path.",
        };
      }
      const pattern = normalise(expanded);
      if (pattern === "") {
        return {
          what: read.text,
          stage: label,
          line: read.line,
          hint: "Copy only what this stage needs (COPY package.json package-lock.json ./, then COPY src ./src): an edit anywhere in the context rebuilds it (lint rule copy-whole-context).",
        };
      }
      patterns.add(pattern);
    }
  }
  return undefined;
}
