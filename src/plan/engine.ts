/**
 * The engine that builds and pushes for the `docker-cli` back end (pure): the Docker CLI, or
 * Podman or Buildah where there is no Docker daemon. What an engine cannot do is refused here by
 * the property that asks for it, before anything is created.
 */
import type { Diagnostic, Stage } from "../dockerfile";

/** Who runs the build: the Docker CLI (BuildKit), or a daemonless engine. */
export type EngineName = "docker" | "podman" | "buildah";

/** The daemonless engines: Buildah's builder, as Podman runs it too. */
export const DAEMONLESS_ENGINES: readonly EngineName[] = ["podman", "buildah"];

/** What a daemonless engine's plan needs to know of the args; each is checked by its property. */
export interface EngineUse {
  readonly engine: EngineName | undefined;
  /** A `builder` is set (a buildx builder or a BuildKit endpoint). */
  readonly builder: boolean;
  /** Several platforms in some environment's plan. */
  readonly platforms: readonly string[];
  /** Where `platforms` came from (`platforms`, `environments.<env>.platforms`). */
  readonly platformsProperty: string;
  /** Attestations stored in the index. */
  readonly attestationsInIndex: boolean;
  readonly attestationsProperty: string;
  /** `cacheFrom` entries, with their property. */
  readonly cacheFrom: ReadonlyArray<{ entry: string; property: string }>;
  readonly load: boolean;
  /** The stages the target builds (their secret mounts). */
  readonly stages: readonly Stage[];
  readonly file: string;
}

/**
 * The refusals of a daemonless engine: BuildKit's builders and what only they do (several
 * platforms in one index, attestations in the index, registry caches, loading into Docker's
 * store), and `RUN --mount=type=secret,env=…`, which Buildah 1.28 does not read.
 */
export function checkEngine(use: EngineUse, diagnostics: Diagnostic[]): void {
  const engine = use.engine;
  if (engine === undefined || !DAEMONLESS_ENGINES.includes(engine)) return;
  const refuse = (property: string, message: string, hint: string, extra: Partial<Diagnostic> = {}): void => {
    diagnostics.push({
      severity: "error",
      code: "invalid-engine",
      property,
      message: `${engine} ${message}`,
      hint,
      ...extra,
    });
  };
  if (use.builder)
    refuse(
      "builder",
      "builds in its own process: it cannot use a buildx builder or a BuildKit endpoint.",
      'Remove builder, or build with engine: "docker".',
    );
  if (use.platforms.length > 1)
    refuse(
      use.platformsProperty,
      `cannot build ${use.platforms.length} platforms into one index here (that takes emulation and a manifest list).`,
      'Give one platform, or build the index with engine: "docker" and a builder.',
    );
  if (use.attestationsInIndex)
    refuse(
      use.attestationsProperty,
      "cannot push BuildKit's attestations in the index.",
      'Attach them beside the image (store: "referrers", with signing.key; provenance needs a BuildKit builder), or turn them off.',
    );
  for (const { entry, property } of use.cacheFrom)
    refuse(
      property,
      `reads no BuildKit cache ("${entry}"); it keeps its own layer cache on the machine.`,
      "Remove the entry: the engine's local layers serve repeated builds.",
    );
  if (use.load)
    refuse(
      "load",
      "keeps the image in its own store, not the Docker engine's.",
      `Remove load; the image is in ${engine}'s local store after the build.`,
    );
  for (const stage of use.stages)
    for (const mount of stage.secretMounts)
      if (mount.env)
        refuse(
          `secrets.${mount.id}`,
          `cannot give the secret "${mount.id}" as the environment variable ${mount.env} (RUN --mount=type=secret,env=…); it mounts secrets as files.`,
          `Read it from the file: RUN --mount=type=secret,id=${mount.id} ${mount.env}="$(cat /run/secrets/${mount.id})" …`,
          { file: use.file, line: mount.line },
        );
}
