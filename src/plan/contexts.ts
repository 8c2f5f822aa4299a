/**
 * Named build contexts (`contexts`, buildx's `--build-context`, Bake's `contexts`, CDK's
 * `buildContexts`): a name the Dockerfile uses in `FROM` or `--from=` served from a directory
 * or an image. An image context keyed by an image's name (`"node:20": "docker-image://mirror/…"`)
 * routes that base image through a mirror or a pull-through cache without editing the
 * Dockerfile. Checked here, directories made absolute. Pure.
 */
import * as path from "path";
import { type Diagnostic, type DockerfileModel, type TargetResolution, excerpt, findStage } from "../dockerfile";
import { needsBuilder } from "./builder";

/** What a named context serves. */
export type NamedContext =
  { readonly kind: "directory"; readonly path: string } | { readonly kind: "image"; readonly image: string };

const IMAGE_SCHEME = "docker-image://";

/** A named context as `--build-context` takes it: `name=/abs/dir` or `name=docker-image://ref`. */
export function buildContextValue(context: NamedContext): string {
  return context.kind === "directory" ? context.path : `${IMAGE_SCHEME}${context.image}`;
}

/**
 * The named contexts of a build, checked: a directory (a path, relative to the program) or an
 * image (`docker-image://ref`); a name no stage has; used by the target's closure (else a
 * warning); a builder set (the Docker engine's own builder takes none).
 */
export function planNamedContexts(
  given: Readonly<Record<string, string>> | undefined,
  model: DockerfileModel,
  resolution: TargetResolution,
  hasBuilder: boolean,
  diagnostics: Diagnostic[],
): Record<string, NamedContext> {
  const contexts: Record<string, NamedContext> = {};
  const entries = Object.entries(given ?? {});
  if (!entries.length) return contexts;
  const problem = (property: string, message: string, hint: string, severity: "error" | "warning" = "error"): void => {
    diagnostics.push({ severity, code: "invalid-argument", property, message, hint });
  };
  if (!hasBuilder) diagnostics.push(needsBuilder("contexts", "takes no named contexts"));
  const used = new Set(
    resolution.stages.flatMap((s) =>
      s.dependencies.flatMap((d) =>
        d.kind !== "image"
          ? []
          : [d.image, ...(d.via === "FROM" ? [resolution.args.baseImages.get(s.index) ?? ""] : [])],
      ),
    ),
  );
  for (const [name, value] of entries) {
    const property = `contexts.${name}`;
    if (!/^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/.test(name)) {
      problem(
        property,
        `"${excerpt(name)}" is not a name a Dockerfile can use.`,
        'Use a stage-like name ("shared") or an image name ("node:20").',
      );
      continue;
    }
    if (findStage(model, name)) {
      problem(
        property,
        `"${name}" is a stage of ${model.file} too: FROM and --from would be ambiguous.`,
        "Rename the context or the stage.",
      );
      continue;
    }
    if (value.startsWith(IMAGE_SCHEME)) {
      const image = value.slice(IMAGE_SCHEME.length);
      if (!/^[^\s,=]+$/.test(image))
        problem(
          property,
          `"${excerpt(value)}" names no image.`,
          'Write "docker-image://registry.example.com/mirror/node:20".',
        );
      else contexts[name] = { kind: "image", image };
    } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || value.trim() === "") {
      problem(
        property,
        `"${excerpt(value)}" is neither a directory nor docker-image://: Git and URL contexts cannot be hashed before the build.`,
        "Give a directory (checked out beside the program) or docker-image://<ref>.",
      );
    } else {
      contexts[name] = { kind: "directory", path: path.resolve(value) };
    }
    if (!used.has(name))
      problem(
        property,
        `no stage of the target uses "${name}" (FROM ${name}, COPY --from=${name} or RUN --mount=from=${name}).`,
        "Remove it, or check its spelling against the Dockerfile.",
        "warning",
      );
  }
  return contexts;
}

/**
 * An image reference as the build sees it once named contexts apply: an image context's image,
 * `undefined` for a directory context (no image), the reference itself otherwise.
 */
export function contextImage(contexts: Readonly<Record<string, NamedContext>>, image: string): string | undefined {
  const context = namedContext(contexts, image);
  if (!context) return image;
  return context.kind === "image" ? context.image : undefined;
}

/** The named context a Dockerfile reference names, if any (a name, not a key of Object's prototype). */
export function namedContext(contexts: Readonly<Record<string, NamedContext>>, name: string): NamedContext | undefined {
  return Object.hasOwn(contexts, name) ? contexts[name] : undefined;
}
