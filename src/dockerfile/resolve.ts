/**
 * Target resolution: given a parsed Dockerfile, a target (or none: the final stage)
 * and the build args, work out what BuildKit will build and whether it can.
 */
import { type ArgResolution, globalScope, resolveArgs } from "./args";
import type { Diagnostic } from "./diagnostics";
import { type Scope, expandOrKeep } from "./expand";
import { cycleDiagnostics, stageClosure } from "./graph";
import { type Dependency, type DockerfileModel, type Stage, finalStage, stageLabel } from "./model";
import { didYouMean } from "./suggest";

export interface ResolveOptions {
  /** Stage name to build (`--target`); omitted: the final stage. Matched case-insensitively, as BuildKit does. */
  target?: string;
  /** Build args passed; a value of `undefined` means "passed, value not known yet". */
  buildArgs?: Readonly<Record<string, string | undefined>>;
  /** Target platform (`linux/arm64`), for the automatic TARGET* args. */
  platform?: string;
}

/** A target that names a stage: what BuildKit will build for it. */
export interface TargetResolution {
  found: true;
  /** The stage that will be built. */
  target: Stage;
  /** True when the target is the last stage (what `docker build` without `--target` builds). */
  isFinal: boolean;
  /** Stages BuildKit builds for this target, dependencies first. */
  stages: Stage[];
  /** Stages this target does not need (BuildKit skips them). */
  skipped: Stage[];
  /** Images from outside the Dockerfile this target uses: bases (after arg substitution) and `COPY --from` images. */
  externalImages: string[];
  args: ArgResolution;
  /** Errors and warnings; the resolution is only usable when there is no error. */
  diagnostics: Diagnostic[];
}

/** A target that names no stage; `diagnostics` says which names exist. */
export interface UnknownTarget {
  found: false;
  diagnostics: Diagnostic[];
}

/** Find a stage by name (case-insensitive). */
export function findStage(model: DockerfileModel, name: string): Stage | undefined {
  const lower = name.toLowerCase();
  return model.stages.find((s) => s.name === lower);
}

/** Named stages, as written. */
export function stageNames(model: DockerfileModel): string[] {
  return model.stages.flatMap((s) => (s.declaredName ? [s.declaredName] : []));
}

/**
 * Resolve `options.target` in `model`: `found: false` when it names no stage (or the
 * Dockerfile has none); otherwise the closure, args and images, with every problem
 * found in `diagnostics` (the resolution is only buildable when none is an error).
 */
export function resolveTarget(
  written: DockerfileModel,
  options: ResolveOptions = {},
): TargetResolution | UnknownTarget {
  const diagnostics: Diagnostic[] = [];
  if (written.stages.length === 0) return { found: false, diagnostics };
  // BuildKit expands FROM lines with the passed args and the target platform: the graph follows them.
  const model = withFromDependencies(written, globalScope(written, options.buildArgs ?? {}, options.platform));
  let target: Stage | undefined;
  if (options.target === undefined || options.target === "") {
    target = finalStage(model);
  } else {
    target = findStage(model, options.target);
    if (!target) {
      const names = stageNames(model);
      const unnamed = /^\d+$/.test(options.target) ? " Targets are stage names, not indices;" : "";
      diagnostics.push({
        severity: "error",
        code: "unknown-target",
        file: model.file,
        message: `target "${options.target}" is not a stage of this Dockerfile.${didYouMean(options.target, names)}`,
        hint: `${unnamed} Stages you can target: ${names.length ? names.join(", ") : "(none are named; add AS <name> to a FROM line)"}.`.trim(),
      });
      return { found: false, diagnostics };
    }
  }
  const stages = stageClosure(model, target.index);
  const inClosure = new Set(stages.map((s) => s.index));
  // A cycle through any stage of the closure stops BuildKit from building this target.
  diagnostics.push(...cycleDiagnostics(model).filter((d) => stages.some((s) => stageLabel(s) === d.stage)));
  const args = resolveArgs(model, stages, options.buildArgs ?? {}, {
    platform: options.platform,
    targetStage: target.name ?? "default",
  });
  diagnostics.push(...args.diagnostics);

  const externalImages = new Set<string>();
  for (const stage of stages) {
    for (const dep of stage.dependencies) {
      if (dep.kind !== "image") continue;
      externalImages.add(dep.image);
    }
  }
  return {
    found: true,
    target,
    isFinal: target === finalStage(model),
    stages,
    skipped: model.stages.filter((s) => !inClosure.has(s.index)),
    externalImages: [...externalImages],
    args,
    diagnostics,
  };
}

/**
 * `model` with each stage's FROM dependency taken from its FROM line expanded in `scope`
 * (a stage defined earlier, `scratch`, or an image); stages whose FROM does not change are
 * the same objects.
 */
function withFromDependencies(model: DockerfileModel, scope: Scope): DockerfileModel {
  const byName = new Map<string, Stage>();
  let changed = false;
  const stages = model.stages.map((stage) => {
    const base = expandOrKeep(stage.from, scope, model.escape);
    const named = byName.get(base.toLowerCase());
    if (stage.name !== undefined && !byName.has(stage.name)) byName.set(stage.name, stage);
    const current = stage.dependencies.find((d) => d.via === "FROM");
    const common = { via: "FROM" as const, reference: stage.from, line: stage.line };
    const next: Dependency | undefined =
      base.toLowerCase() === "scratch"
        ? undefined
        : named
          ? { kind: "stage", stage: named.index, ...common }
          : { kind: "image", image: base, ...common };
    // Keep what the parse found when nothing changed (its diagnostics point at it).
    const same =
      current === next ||
      (current?.kind === "stage" && next?.kind === "stage" && current.stage === next.stage) ||
      (current?.kind === "image" && next?.kind === "image" && current.image === next.image) ||
      (current?.kind === "stage" && next?.kind === "image" && current.stage >= stage.index);
    if (same) return stage;
    changed = true;
    return { ...stage, dependencies: [...(next ? [next] : []), ...stage.dependencies.filter((d) => d.via !== "FROM")] };
  });
  return changed ? { ...model, stages } : model;
}
