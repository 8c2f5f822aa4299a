/**
 * Why a target's image will (or will not) be built (pure): the stages whose inputs differ
 * from the last build's, each with what changed in it (a file, an arg, its instructions,
 * its base image) or the stage it builds on that changed.
 */
import { VOLATILE } from "./closure";
import type { StageInputs, TargetInputs } from "./target-inputs";

/** One cause of a rebuild. */
export interface RebuildCause {
  /** The stage whose inputs changed. */
  readonly stage: string;
  readonly kind:
    "new-stage" | "instructions" | "base-image" | "base-stage" | "arg" | "file" | "copied-stage" | "image" | "target";
  /** What changed, e.g. `src/server.js changed`, `arg NODE_ENV changed`, `base image node:20.18 → node:20.19`. */
  readonly detail: string;
}

/** The verdict for one image. */
export interface RebuildReason {
  /** True when the inputs differ from the last build's (or there was none). */
  readonly rebuild: boolean;
  readonly causes: readonly RebuildCause[];
  /** One line for people: `stage "builder": src/server.js changed; stage "production": copies from "builder"`. */
  readonly summary: string;
}

/** The inputs kept from a build to explain the next one (no values: hashes only). */
export type InputsRecord = Pick<TargetInputs, "hash"> & {
  readonly stages: ReadonlyArray<
    Pick<StageInputs, "stage" | "text" | "base" | "uses" | "images" | "args" | "files" | "fingerprint"> &
      Partial<Pick<StageInputs, "digests">>
  >;
};

/** `sha256:0123456789ab` for people. */
function short(digest: string): string {
  return digest.slice(0, 19);
}

/** At most `n` items, then "and N more". */
function some(items: string[], n = 5): string {
  return items.length <= n ? items.join(", ") : `${items.slice(0, n).join(", ")} and ${items.length - n} more`;
}

function keyDiff(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
): {
  added: string[];
  removed: string[];
  changed: string[];
} {
  const added = Object.keys(after).filter((k) => !(k in before));
  const removed = Object.keys(before).filter((k) => !(k in after));
  const changed = Object.keys(after).filter((k) => k in before && before[k] !== after[k]);
  return { added, removed, changed };
}

/** Why `current` must be built, given the `previous` build's inputs (`undefined`: never built). */
export function rebuildReason(previous: InputsRecord | undefined, current: InputsRecord): RebuildReason {
  if (!previous) {
    return { rebuild: true, causes: [], summary: "first build: no earlier build of this image is known" };
  }
  if (previous.hash === current.hash)
    return { rebuild: false, causes: [], summary: "unchanged: the inputs hash is the last build's" };
  const before = new Map(previous.stages.map((s) => [s.stage, s]));
  const changed = new Set<string>();
  const causes: RebuildCause[] = [];
  for (const stage of current.stages) {
    const old = before.get(stage.stage);
    if (old?.fingerprint === stage.fingerprint) continue;
    changed.add(stage.stage);
    const found: StageCause[] = old
      ? stageCauses(old, stage, changed)
      : [{ kind: "new-stage", detail: "now part of the target's closure" }];
    if (!found.length) found.push({ kind: "instructions", detail: "its inputs changed" });
    causes.push(...found.map((c) => ({ stage: stage.stage, ...c })));
  }
  if (causes.length === 0) {
    causes.push({
      stage: current.stages[current.stages.length - 1]?.stage ?? "",
      kind: "target",
      detail: "platforms, global args or the preamble changed",
    });
  }
  const byStage = new Map<string, string[]>();
  for (const c of causes) byStage.set(c.stage, [...(byStage.get(c.stage) ?? []), c.detail]);
  const summary = [...byStage].map(([stage, details]) => `stage "${stage}": ${details.join(", ")}`).join("; ");
  return { rebuild: true, causes, summary };
}

/** One stage of a record. */
type RecordedStage = InputsRecord["stages"][number];

/** A cause of one stage. */
type StageCause = Omit<RebuildCause, "stage">;

/** Why a stage's fingerprint changed, from what it was made of then and now (`changed`: the stages before it that changed). */
function stageCauses(old: RecordedStage, stage: RecordedStage, changed: ReadonlySet<string>): StageCause[] {
  const causes: StageCause[] = [];
  const add = (kind: RebuildCause["kind"], detail: string): void => void causes.push({ kind, detail });
  if (old.text !== stage.text) add("instructions", "its instructions changed");
  if (old.base !== stage.base) {
    if (stage.base.startsWith("image ") && old.base.startsWith("image "))
      add("base-image", `base image ${old.base.slice(6)} → ${stage.base.slice(6)}`);
    else add("base-image", `base ${old.base} → ${stage.base}`);
  } else if (stage.base.startsWith("stage ") && changed.has(stage.base.slice(6))) {
    add("base-stage", `builds on stage "${stage.base.slice(6)}", which changed`);
  }
  // The same tags, other content: a base republished under its tag, or an image copied from.
  const digestsBefore = old.digests ?? {};
  const digestsNow = stage.digests ?? {};
  // Images both builds used (a ref that changed is reported above as a base or image change).
  const refs = (s: { base: string; images: readonly string[] }): string[] => [
    ...(s.base.startsWith("image ") ? [s.base.slice(6)] : []),
    ...s.images,
  ];
  const usedBefore = new Set(refs(old));
  for (const image of refs(stage).filter((i) => usedBefore.has(i))) {
    const [was, now] = [digestsBefore[image], digestsNow[image]];
    if (was === now) continue;
    const baseImage = stage.base === `image ${image}`;
    const what = `${baseImage ? "base image" : "image"} ${image}`;
    const detail = !was
      ? `${what} resolved to ${short(now)}`
      : !now
        ? `${what} could not be resolved (was ${short(was)})`
        : `${what} changed (${short(was)} → ${short(now)})`;
    add(baseImage ? "base-image" : "image", detail);
  }
  const args = keyDiff(old.args, stage.args);
  for (const name of args.changed) {
    const detail =
      stage.args[name] === VOLATILE
        ? "became volatile"
        : old.args[name] === VOLATILE
          ? "is no longer volatile"
          : "changed";
    add("arg", `arg ${name} ${detail}`);
  }
  for (const name of args.added) add("arg", `arg ${name} added`);
  for (const name of args.removed) add("arg", `arg ${name} removed`);
  const files = keyDiff(old.files, stage.files);
  if (files.changed.length) add("file", `${some(files.changed)} changed`);
  if (files.added.length) add("file", `${some(files.added)} added`);
  if (files.removed.length) add("file", `${some(files.removed)} removed`);
  for (const used of stage.uses)
    if (changed.has(used)) add("copied-stage", `copies from stage "${used}", which changed`);
  const images = keyDiff(
    Object.fromEntries(old.images.map((i) => [i, i])),
    Object.fromEntries(stage.images.map((i) => [i, i])),
  );
  if (images.added.length || images.removed.length)
    add("image", `copies from ${some([...images.removed.map((i) => `-${i}`), ...images.added.map((i) => `+${i}`)])}`);
  return causes;
}

/** The record of `inputs` to keep for the next build's reasons. */
export function inputsRecord(inputs: TargetInputs): InputsRecord {
  return {
    hash: inputs.hash,
    stages: inputs.stages.map(({ stage, text, base, uses, images, args, files, digests, fingerprint }) => ({
      stage,
      text,
      base,
      uses,
      images,
      args,
      files,
      digests,
      fingerprint,
    })),
  };
}
