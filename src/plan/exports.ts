/**
 * Where a built image goes besides the registry (pure): `load` into the local Docker engine,
 * and `exports` as buildx writes them, an OCI or Docker tarball, a filesystem tarball or
 * directory (`type=oci,dest=app.tar`). Written when the image is built; an image found in the
 * registry by its inputs is not rebuilt, so nothing is written then.
 */
import type { Diagnostic } from "../dockerfile";
import { needsBuilder } from "./builder";
import { type Attributes, checkEntry, entryText } from "./cache-entries";

/** The exporters `exports` takes, and their attributes. */
const EXPORTERS: Record<string, Attributes> = {
  oci: {
    required: ["dest"],
    optional: ["name", "tar", "compression", "compression-level", "force-compression", "annotation"],
  },
  docker: { required: ["dest"], optional: ["name", "compression", "compression-level", "force-compression"] },
  tar: { required: ["dest"], optional: ["platform-split"] },
  local: { required: ["dest"], optional: ["platform-split"] },
};

/** Where the image goes besides the registry. */
export interface OutputsSpec {
  /** Also load it into the local Docker engine (with a builder; the engine's own builder always does). */
  readonly load: boolean;
  /** `--output` entries, destinations absolute. */
  readonly exports: readonly string[];
}

/**
 * The outputs of a build, checked: known exporters with a destination, a builder for them, one
 * platform for what the Docker engine loads (`load`, `type=docker`).
 */
export function planOutputs(
  given: { readonly load?: boolean; readonly exports?: readonly string[] },
  platforms: readonly string[],
  hasBuilder: boolean,
  diagnostics: Diagnostic[],
): OutputsSpec {
  const problem = (property: string, message: string, hint: string): void => {
    diagnostics.push({ severity: "error", code: "invalid-argument", property, message, hint });
  };
  const several = platforms.length > 1;
  if (given.load && several)
    problem(
      "load",
      `the Docker engine loads one platform, and this build makes ${platforms.length}.`,
      'Load one platform (a stack of its own), or export an OCI tarball (exports: ["type=oci,dest=app.tar"]).',
    );
  const exports: string[] = [];
  (given.exports ?? []).forEach((text, i) => {
    const at = `exports[${i}]`;
    const entry = checkEntry(
      text,
      EXPORTERS,
      { kind: "an exporter", use: "to export" },
      at,
      problem,
      (type) => `type=${type},dest=${type === "local" || type === "tar" ? "out" : "app.tar"}`,
    );
    if (!entry) return;
    if (!hasBuilder) diagnostics.push(needsBuilder(at, "writes no outputs"));
    if (entry.type === "docker" && several)
      problem(at, "a Docker tarball holds one platform.", "Use type=oci for an index of several platforms.");
    exports.push(entryText(entry, ["dest"]));
  });
  return { load: given.load ?? false, exports };
}
