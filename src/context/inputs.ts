/**
 * The inputs of a target, read from disk: the context files its closure copies (after the
 * user's `.dockerignore`, parsed with @balena/dockerignore, Docker's own matching rules),
 * a fingerprint per stage, and the hash of the whole that decides whether the image must
 * be built. Also the Dockerfile-specific ignore file (`<Dockerfile>.dockerignore`) that
 * lets BuildKit, and the providers that hash the context, see only those files.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import ignore from "@balena/dockerignore";
import { MultiStageError } from "../dockerfile";
import { type BuildPlan, type StageInputs, type TargetInputs, imageSettings, sha256 } from "../plan";

/** A dockerignore pattern that matches `file` literally. */
function literal(file: string): string {
  return file.replace(/[\\*?[]/g, "\\$&");
}

/**
 * The user's ignore rules as BuildKit reads them: `<Dockerfile>.dockerignore` beside the
 * Dockerfile when there is one, else the context's `.dockerignore` ("" when neither is).
 */
function userIgnoreText(context: string, dockerfile: string): string {
  for (const file of [`${dockerfile}.dockerignore`, path.join(context, ".dockerignore")])
    if (fs.existsSync(file)) return fs.readFileSync(file, "utf8");
  return "";
}

/**
 * Walk the context: every file `.dockerignore` admits (path → hash of mode and content),
 * and the ignore lines that admit exactly those `wanted` (a directory the patterns cover
 * whole, with nothing ignored inside, is one line).
 */
function walkContext(
  context: string,
  userRules: string,
  wanted: (relative: string) => boolean,
): { files: Map<string, string>; lines: string[] } {
  const userIgnored = ignore().add(userRules);
  const files = new Map<string, string>();
  const walk = (dir: string): { lines: string[]; clean: boolean } => {
    const lines: string[] = [];
    let clean = true;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      const relative = path.relative(context, full).split(path.sep).join("/");
      if (userIgnored.ignores(relative)) {
        clean = false;
        continue;
      }
      if (entry.isDirectory()) {
        const inner = walk(full);
        clean &&= inner.clean;
        // A directory the closure copies whole, with nothing of it ignored: one line.
        if (inner.clean && wanted(relative)) lines.push(`!${literal(relative)}`);
        else lines.push(...inner.lines);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        if (!wanted(relative)) {
          clean = false;
          continue;
        }
        const stat = fs.lstatSync(full);
        const content = entry.isSymbolicLink() ? Buffer.from(fs.readlinkSync(full)) : fs.readFileSync(full);
        const hash = crypto.createHash("sha256");
        // The mode counts by its executable bit, as git records it: checkouts made with another
        // umask (another CI machine) give the same hash.
        const executable = (stat.mode & 0o111) !== 0;
        hash.update(`${executable ? "755" : "644"}\0${entry.isSymbolicLink() ? "link" : "file"}\0`).update(content);
        files.set(relative, `sha256:${hash.digest("hex")}`);
        lines.push(`!${literal(relative)}`);
      }
    }
    return { lines, clean };
  };
  const { lines } = walk(context);
  return { files, lines };
}

/** A matcher for context-relative paths: COPY's rules (a directory admits what it holds). */
function matcher(patterns: readonly string[] | "all"): (relative: string) => boolean {
  if (patterns === "all") return () => true;
  const matches = ignore().add([...patterns]);
  return (relative) => matches.ignores(relative);
}

/**
 * The inputs of `plan`'s target, read from its context now. Needs `plan.closure` (every
 * plan made from a Dockerfile's text has it). `imageDigests` (image ref → digest, from
 * `closureImages` resolved by the engine or the registry) makes a base tag that moved a change.
 */
export function targetInputs(plan: BuildPlan, imageDigests: Readonly<Record<string, string>> = {}): TargetInputs {
  const closure = plan.closure;
  if (!closure)
    throw new Error(`the plan of "${plan.environment}" has no closure (made without the Dockerfile's text)`);
  const userRules = userIgnoreText(plan.context, plan.dockerfile);
  const { files, lines } = walkContext(plan.context, userRules, matcher(closure.patterns ?? "all"));
  const fingerprints = new Map<string, string>();
  const stages: StageInputs[] = closure.stages.map((spec) => {
    const reads = matcher(spec.reads);
    const own: Record<string, string> = {};
    for (const [file, hash] of files) if (reads(file)) own[file] = hash;
    const base = spec.base.startsWith("stage ") ? fingerprints.get(spec.base.slice(6)) : spec.base;
    const contextFiles = Object.entries(spec.contexts ?? {}).map(([name, reads]) => [
      name,
      [...namedContextFiles(plan, name, reads)],
    ]);
    const digests: Record<string, string> = {};
    for (const image of [...(spec.base.startsWith("image ") ? [spec.base.slice(6)] : []), ...spec.images])
      if (imageDigests[image]) digests[image] = imageDigests[image];
    const fingerprint = sha256(
      JSON.stringify([
        spec.text,
        base,
        spec.uses.map((u) => fingerprints.get(u)),
        spec.images,
        Object.entries(spec.args).sort(),
        Object.entries(own),
        // Only when resolved: the same inputs hash as before for callers without an engine.
        ...(Object.keys(digests).length ? [Object.entries(digests).sort()] : []),
        ...(contextFiles.length ? [contextFiles] : []),
      ]),
    );
    fingerprints.set(spec.stage, fingerprint);
    return { ...spec, files: own, digests, fingerprint };
  });
  // What else rebuilds the image: the one rule the image resource's fingerprint reads too.
  const { buildArgs, metadata, rebuilding } = imageSettings(plan);
  const consumed = buildArgs.map(([name, value]) => [name, sha256(value)]);
  const hash = sha256(
    JSON.stringify([
      closure.preamble,
      fingerprints.get(plan.targetStage),
      plan.platforms,
      consumed.sort(),
      ...metadata,
      ...rebuilding,
    ]),
  );
  return {
    hash,
    stages,
    ...(closure.wholeContext ? { wholeContext: closure.wholeContext } : {}),
    files: [...files.keys()].sort(),
    ignoreFile: closure.wholeContext
      ? userRules
      : ["# Written by pulumi-multistage-image: only what the target's stages copy.", "*", ...lines, ""].join("\n"),
  };
}

/**
 * The files a stage reads from the named directory context `name` (path → hash), read now: only
 * those its `COPY --from`/`RUN --mount=from` name, so an edit elsewhere in that directory
 * changes nothing.
 */
function namedContextFiles(plan: BuildPlan, name: string, reads: readonly string[] | "all"): Map<string, string> {
  const context = plan.contexts?.[name];
  if (context?.kind !== "directory") return new Map();
  if (!fs.statSync(context.path, { throwIfNoEntry: false })?.isDirectory())
    throw new MultiStageError([
      {
        severity: "error",
        code: "missing-context",
        property: `contexts.${name}`,
        file: context.path,
        message: "the named context's directory does not exist.",
        hint: "Point it at a directory (relative to the Pulumi program), or remove it.",
      },
    ]);
  return walkContext(context.path, "", matcher(reads)).files;
}

/**
 * Write the closure Dockerfile and its `<Dockerfile>.dockerignore` to a folder of their own
 * (the same path for the same context, Dockerfile, environment and target, so a provider
 * that records the path sees no change) and return the Dockerfile's path.
 */
export function writeClosureFiles(
  plan: BuildPlan,
  inputs: Pick<TargetInputs, "ignoreFile">,
  root = path.join(os.tmpdir(), "pulumi-multistage"),
): string {
  if (!plan.closure) throw new Error(`the plan of "${plan.environment}" has no closure`);
  const key = sha256(JSON.stringify([plan.context, plan.dockerfile, plan.environment, plan.targetStage])).slice(7, 23);
  const dir = path.join(root, key);
  fs.mkdirSync(dir, { recursive: true });
  const dockerfile = path.join(dir, "Dockerfile");
  const write = (file: string, text: string): void => {
    // Rewrite only on change: the providers hash these files, and their times must not move.
    if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text) {
      // Whole or not at all: a run interrupted mid-write leaves no half-written Dockerfile.
      const partial = `${file}.${process.pid}.partial`;
      fs.writeFileSync(partial, text);
      fs.renameSync(partial, file);
    }
  };
  write(dockerfile, plan.closure.dockerfile);
  write(`${dockerfile}.dockerignore`, inputs.ignoreFile);
  return dockerfile;
}
