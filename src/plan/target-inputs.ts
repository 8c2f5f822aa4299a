/**
 * What decides whether a target's image must be built, as data: the inputs read for each
 * stage of its closure and their hash (read from the context by `context/`), and the images
 * the closure starts from, whose digests count too. Pure.
 */
import type { BuildPlan } from "./build-plan";
import type { StageInputSpec, WholeContextReason } from "./closure";

/** One stage's inputs with the files it reads and its fingerprint. */
export interface StageInputs extends StageInputSpec {
  /** Files it reads: context-relative path → hash of content and executable bit. */
  readonly files: Readonly<Record<string, string>>;
  /**
   * The digests of the images it starts from or copies from, where they were resolved
   * (`image ref → sha256:…`): a tag republished with other content changes the inputs.
   */
  readonly digests: Readonly<Record<string, string>>;
  /** Hash of everything above and of the fingerprints of the stages it builds on. */
  readonly fingerprint: string;
}

/** What decides whether a target's image must be built. */
export interface TargetInputs {
  /** `sha256:…` of the target's inputs: closure, args (volatile ones left out), files, platforms. */
  readonly hash: string;
  /** The stages of the closure, dependencies first. */
  readonly stages: readonly StageInputs[];
  /** Set when the closure reads the whole context. */
  readonly wholeContext?: WholeContextReason;
  /** Context files the build can read, sorted. */
  readonly files: readonly string[];
  /**
   * The text of `<Dockerfile>.dockerignore` for the closure Dockerfile: everything ignored
   * but those files (the user's `.dockerignore` as it is, when the whole context is read).
   */
  readonly ignoreFile: string;
}

/** The images `plan`'s closure starts from or copies from (refs with the args substituted), for `targetInputs`' digests. */
export function closureImages(plan: BuildPlan): string[] {
  const images = new Set<string>();
  for (const spec of plan.closure?.stages ?? []) {
    if (spec.base.startsWith("image ")) images.add(spec.base.slice(6));
    for (const image of spec.images) images.add(image);
  }
  return [...images];
}
