/**
 * The one impure step before planning: check the context and read the Dockerfile
 * (a regular file of bounded size, read once), then plan it.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { type Diagnostic, MultiStageError, type ParseResult, parseDockerfile } from "../dockerfile";
import {
  type BuildPlan,
  type BuildPlanOptions,
  holdsPrivateKey,
  isPemKey,
  publicKeyBlock,
  planBuild,
  resolveDockerfilePath,
} from "../plan";

/** Largest Dockerfile read; anything bigger is not a Dockerfile someone wrote. */
export const MAX_DOCKERFILE_BYTES = 4 * 1024 * 1024;

/** Where the Dockerfile comes from: the context, and the `dockerfile` argument when given. */
export interface DockerfileLocation {
  readonly context: string;
  readonly dockerfile?: string;
}

/**
 * Check the context and read and parse the Dockerfile; throws `MultiStageError`
 * (`missing-context`, `missing-dockerfile`, `invalid-dockerfile`) naming the path and
 * the property to fix. Only regular files are read, so a FIFO or a device cannot hang it.
 */
export function readDockerfile(location: DockerfileLocation): ParseResult {
  const dockerfile = resolveDockerfilePath(location.context, location.dockerfile);
  const inline = isInlineDockerfile(dockerfile);
  const label = inline ? "dockerfileInline" : path.relative(process.cwd(), dockerfile) || dockerfile;
  const property = inline ? "dockerfileInline" : location.dockerfile ? "dockerfile" : "context";
  const fail = (d: Omit<Diagnostic, "severity">): never => {
    throw new MultiStageError([{ severity: "error", ...d }]);
  };
  const context = statOf(location.context);
  if (!context?.isDirectory()) {
    fail({
      code: "missing-context",
      file: location.context,
      property: "context",
      message: context ? "the build context is not a directory." : "the build context does not exist.",
      hint: "Set `context` to the folder the Dockerfile's COPY instructions read from.",
    });
  }
  const stat = statOf(dockerfile);
  if (!stat) {
    fail({
      code: "missing-dockerfile",
      file: label,
      property,
      message: "the Dockerfile does not exist.",
      hint: "Set `dockerfile` to its path (relative to the Pulumi program), or put a Dockerfile in the context.",
    });
  } else if (!stat.isFile()) {
    fail({
      code: "invalid-dockerfile",
      file: label,
      property,
      message: `the Dockerfile is ${stat.isDirectory() ? "a directory" : "not a regular file"}.`,
      hint: "Set `dockerfile` to the path of the Dockerfile itself.",
    });
  } else if (stat.size > MAX_DOCKERFILE_BYTES) {
    fail({
      code: "invalid-dockerfile",
      file: label,
      property,
      message: `the Dockerfile is ${stat.size} bytes, more than the ${MAX_DOCKERFILE_BYTES} read.`,
      hint: "Point `dockerfile` at the Dockerfile, not at another file.",
    });
  }
  const text = fs.readFileSync(dockerfile, "utf8");
  // A binary file: NUL bytes, or mostly bytes that are not UTF-8 (decoded as U+FFFD).
  const invalid = text.split("\uFFFD").length - 1;
  const binary = text.includes("\u0000")
    ? "NUL bytes"
    : invalid > 16 && invalid * 20 > text.length
      ? "bytes that are not UTF-8"
      : "";
  if (binary)
    fail({
      code: "invalid-dockerfile",
      file: label,
      property,
      message: `the Dockerfile is not text (it holds ${binary}); its content is not repeated here.`,
      hint: "Point `dockerfile` at the Dockerfile, not at another file.",
    });
  // A few bytes that are not UTF-8 (a Latin-1 "é"): BuildKit builds them as they are. In a comment
  // they change nothing; in an instruction they would reach the image as bytes this text cannot carry.
  const lines = text.split("\n");
  const at = lines.findIndex((line) => line.includes("\uFFFD") && !/^\s*#/.test(line));
  if (at >= 0)
    fail({
      code: "invalid-dockerfile",
      file: label,
      line: at + 1,
      property,
      message: "holds bytes that are not UTF-8 in an instruction (in a comment they would do no harm).",
      hint: "Save the Dockerfile as UTF-8 (e.g. iconv -f latin1 -t utf-8), as BuildKit's own checks expect.",
    });
  return parseDockerfile(text, label);
}

/** Where inline Dockerfiles are written (`dockerfileInline`), one folder per text. */
const INLINE_ROOT = path.join(os.tmpdir(), "pulumi-multistage", "inline");

/**
 * An inline Dockerfile (`dockerfileInline`, Bake's `dockerfile-inline`) as a file every builder
 * and the test gate can read: written once per text, at a path that is the same on every run
 * (so a provider that records the path sees no change). Diagnostics name it `dockerfileInline`.
 */
export function inlineDockerfile(text: string): string {
  const dir = path.join(INLINE_ROOT, crypto.createHash("sha256").update(text).digest("hex").slice(0, 16));
  const file = path.join(dir, "Dockerfile");
  if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text) {
    fs.mkdirSync(dir, { recursive: true });
    const partial = `${file}.${process.pid}.partial`;
    fs.writeFileSync(partial, text);
    fs.renameSync(partial, file);
  }
  return file;
}

/**
 * The public keys of `signing.publicKeys` as PEM text: text as given, a path read (relative to
 * `base`). A missing file, or one holding no public key, is refused by its property.
 */
export function readPublicKeys(
  keys: readonly string[],
  base = process.cwd(),
  property = "signing.publicKeys",
): string[] {
  const diagnostics: Diagnostic[] = [];
  const privateKey = (i: number, file?: string): void => {
    diagnostics.push({
      severity: "error",
      code: "invalid-key",
      ...(file ? { file } : {}),
      property: `${property}[${i}]`,
      message: `${file ? "the file holds" : "is"} a private key: only public keys are trusted here, and what is given here is kept in the plan and the state.`,
      hint: "Give the public half (cosign.pub, or cosign public-key --key cosign.key); the private key goes only in signing.key, as a secret.",
    });
  };
  const pems = keys.map((key, i) => {
    // Never echoed, never used as a path: a private key pasted into the wrong field.
    if (holdsPrivateKey(key)) {
      privateKey(i);
      return "";
    }
    if (isPemKey(key)) return onlyTheKey(key);
    const file = path.resolve(base, key);
    const stat = statOf(file);
    const text = stat?.isFile() && stat.size < 64 * 1024 ? fs.readFileSync(file, "utf8") : undefined;
    // A file with both halves: refused, so the private one never reaches the plan.
    if (text !== undefined && holdsPrivateKey(text)) {
      privateKey(i, file);
      return "";
    }
    if (text !== undefined && isPemKey(text)) return onlyTheKey(text);
    diagnostics.push({
      severity: "error",
      code: "invalid-key",
      file,
      property: `${property}[${i}]`,
      message: !stat
        ? "the public key file does not exist."
        : "is not a PEM public key (-----BEGIN PUBLIC KEY-----), as cosign generate-key-pair writes it (cosign.pub).",
      hint: "Give the path of the cosign.pub file, relative to the program, or its PEM text.",
    });
    return "";
  });
  if (diagnostics.length) throw new MultiStageError(diagnostics);
  return pems;
}

/** A public key's text as kept: as given when it is the key alone (plans made before stay equal), else its key block alone. */
function onlyTheKey(text: string): string {
  const block = publicKeyBlock(text) ?? text;
  return text.trim() === block ? text : block;
}

/** Whether `file` is one `inlineDockerfile` wrote. */
function isInlineDockerfile(file: string): boolean {
  return path.dirname(path.dirname(file)) === INLINE_ROOT;
}

/** Read the Dockerfile the options point at and plan it; throws `MultiStageError` for every problem. */
export function planBuildFromFiles(options: BuildPlanOptions): BuildPlan {
  return planBuild(readDockerfile(options), options);
}

function statOf(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}
