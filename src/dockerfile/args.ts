/**
 * Build-arg scoping as Docker defines it:
 * - global ARGs (before the first FROM) are in scope on FROM lines, and inside a
 *   stage only after the stage redeclares them (`ARG NAME`, inheriting the value);
 * - a stage ARG is in scope from its line to the end of its stage; a passed
 *   build arg overrides its default;
 * - automatic platform args and the proxy args need no declaration.
 */
import { DefaultVariables } from "dockerfile-ast";
import type { Diagnostic } from "./diagnostics";
import { expandOrKeep as safeExpand } from "./expand";
import { type DockerfileModel, type Stage, stageLabel } from "./model";
import { didYouMean } from "./suggest";

/** Args BuildKit sets itself (`TARGETPLATFORM`, …); usable once declared, never required. */
export const AUTOMATIC_PLATFORM_ARGS: readonly string[] = [
  "TARGETPLATFORM",
  "TARGETOS",
  "TARGETARCH",
  "TARGETVARIANT",
  "BUILDPLATFORM",
  "BUILDOS",
  "BUILDARCH",
  "BUILDVARIANT",
];

/**
 * Args Docker accepts as build args without any ARG declaration: the proxy args
 * (dockerfile-ast's `DefaultVariables`) and the BuildKit settings passed as args.
 */
export const PREDEFINED_BUILD_ARGS: readonly string[] = [
  ...DefaultVariables,
  "BUILDKIT_INLINE_CACHE",
  "BUILDKIT_CONTEXT_KEEP_GIT_DIR",
  "BUILDKIT_MULTI_PLATFORM",
  "SOURCE_DATE_EPOCH",
];

/** How one arg is used by the stages of a target. */
export interface ArgUsage {
  name: string;
  /** Value it will have (passed, or default), `undefined` when unset. */
  value?: string;
  /** True when the value comes from the passed build args. */
  passed: boolean;
  /** Where it is declared: `global` or a stage label. */
  declaredIn: string[];
  /** Stages (labels) that reference it after declaring it, or `FROM` lines that use it. */
  usedBy: string[];
  /** Unset, and referenced without a fallback: the build needs a value. */
  required: boolean;
}

export interface ArgResolution {
  /** Every arg declared by the target's stages (and globals they use), by name. */
  args: ArgUsage[];
  /** Base image of each stage of the closure after substitution, by stage index. */
  baseImages: Map<number, string>;
  diagnostics: Diagnostic[];
}

const AUTOMATIC = new Set(AUTOMATIC_PLATFORM_ARGS);

/**
 * The scope FROM lines see, as BuildKit builds it: the automatic platform args (for the
 * target `platform`, or the host), then each global ARG in order, passed values first,
 * else its default expanded against the args before it (quotes removed).
 */
export function globalScope(
  model: DockerfileModel,
  buildArgs: Readonly<Record<string, string | undefined>> = {},
  platform?: string,
): Map<string, string | undefined> {
  const scope = new Map<string, string | undefined>(
    AUTOMATIC_PLATFORM_ARGS.map((name) => [name, automaticArgValue(name, platform)]),
  );
  for (const arg of model.globalArgs) {
    const value = Object.hasOwn(buildArgs, arg.name)
      ? (buildArgs[arg.name] ?? "")
      : arg.defaultValue !== undefined
        ? safeExpand(arg.defaultValue, scope, model.escape)
        : AUTOMATIC.has(arg.name)
          ? automaticArgValue(arg.name, platform)
          : undefined;
    scope.set(arg.name, value);
  }
  return scope;
}

/**
 * Resolve the args of the stages in `closure` given the passed `buildArgs`
 * (`undefined` values mean "passed, value not known yet": they count as set).
 */
export function resolveArgs(
  model: DockerfileModel,
  closure: readonly Stage[],
  buildArgs: Readonly<Record<string, string | undefined>>,
  options: { platform?: string } = {},
): ArgResolution {
  const diagnostics: Diagnostic[] = [];
  const passed = (name: string): boolean => Object.prototype.hasOwnProperty.call(buildArgs, name);
  const usages = new Map<string, ArgUsage>();
  const usage = (name: string, value: string | undefined, isPassed: boolean): ArgUsage => {
    let u = usages.get(name);
    if (!u) {
      u = { name, value, passed: isPassed, declaredIn: [], usedBy: [], required: false };
      usages.set(name, u);
    }
    return u;
  };
  // Membership in `declaredIn`/`usedBy` by key, so a global used by every stage stays linear.
  const listed = new Set<string>();
  const addOnce = (u: ArgUsage, list: "declaredIn" | "usedBy", item: string): void => {
    const key = `${u.name}\0${list}\0${item}`;
    if (listed.has(key)) return;
    listed.add(key);
    u[list].push(item);
  };
  const automaticValue = (name: string): string | undefined => automaticArgValue(name, options.platform);

  const scopeOfFrom = globalScope(model, buildArgs, options.platform);
  const globalDeclared = new Set(model.globalArgs.map((a) => a.name));

  const baseImages = new Map<number, string>();
  for (const stage of closure) {
    const label = stageLabel(stage);
    // FROM line: only globals are visible.
    for (const v of stage.fromVariables) {
      if (AUTOMATIC.has(v.name) && !globalDeclared.has(v.name)) continue;
      const value = scopeOfFrom.get(v.name);
      const u = usage(v.name, value, passed(v.name));
      if (globalDeclared.has(v.name)) addOnce(u, "declaredIn", "global");
      addOnce(u, "usedBy", `FROM of ${label}`);
      if (value === undefined && !v.tolerant) {
        u.required = true;
        diagnostics.push({
          severity: "error",
          code: "missing-arg",
          file: model.file,
          line: stage.line,
          stage: label,
          arg: v.name,
          message: globalDeclared.has(v.name)
            ? `build arg ${v.name} is used in FROM but has no default and was not passed.`
            : `FROM uses ${v.name}, which is not declared before the first FROM (ARGs inside stages are not visible on FROM lines).`,
          hint: globalDeclared.has(v.name)
            ? `Pass a value for ${v.name} in buildArgs, or give it a default: ARG ${v.name}=<value>.`
            : `Add "ARG ${v.name}=<default>" at the top of the Dockerfile, before the first FROM.`,
        });
      }
    }
    baseImages.set(stage.index, safeExpand(stage.from, scopeOfFrom, model.escape));

    // Inside the stage: declared args in scope from their line on.
    const scope = new Map<string, { value: string | undefined; line: number }>();
    for (const arg of stage.args) {
      let value: string | undefined;
      if (passed(arg.name)) value = buildArgs[arg.name] ?? "";
      else if (arg.defaultValue !== undefined)
        value = safeExpand(arg.defaultValue, new Map([...scope].map(([k, s]) => [k, s.value])), model.escape);
      else if (globalDeclared.has(arg.name)) value = scopeOfFrom.get(arg.name);
      else if (AUTOMATIC.has(arg.name)) value = automaticValue(arg.name);
      scope.set(arg.name, { value, line: arg.line });
      const u = usage(arg.name, value, passed(arg.name));
      if (u.value === undefined) u.value = value;
      addOnce(u, "declaredIn", label);
    }
    const reported = new Set<string>();
    for (const v of stage.variables) {
      const declared = scope.get(v.name);
      if (!declared || declared.line > v.line) continue;
      if (v.instruction === "ARG" && declared.line === v.line) continue;
      if (stage.envNames.includes(v.name)) continue;
      const u = usage(v.name, declared.value, passed(v.name));
      addOnce(u, "usedBy", label);
      if (declared.value === undefined && !v.tolerant && !AUTOMATIC.has(v.name)) {
        u.required = true;
        if (reported.has(v.name)) continue;
        reported.add(v.name);
        const fromGlobal = globalDeclared.has(v.name)
          ? " (it is redeclared from the global ARG, which has no default either)"
          : "";
        diagnostics.push({
          severity: "error",
          code: "missing-arg",
          file: model.file,
          line: v.line,
          stage: label,
          arg: v.name,
          message: `build arg ${v.name} (declared at line ${declared.line} without a default${fromGlobal}) is used by ${v.instruction} but was not passed.`,
          hint: `Pass ${v.name} in buildArgs (or in the environment's buildArgs), or give it a default: ARG ${v.name}=<value>.`,
        });
      }
    }
  }

  // Passed args nobody in the closure declares: Docker warns they were not consumed.
  const declaredAnywhere = new Set<string>([...globalDeclared, ...closure.flatMap((s) => s.args.map((a) => a.name))]);
  const allDeclared = [...new Set([...globalDeclared, ...model.stages.flatMap((s) => s.args.map((a) => a.name))])];
  for (const name of Object.keys(buildArgs)) {
    if (declaredAnywhere.has(name) || PREDEFINED_BUILD_ARGS.includes(name)) continue;
    const elsewhere = model.stages.filter((s) => s.args.some((a) => a.name === name)).map(stageLabel);
    diagnostics.push({
      severity: "warning",
      code: "unknown-arg",
      file: model.file,
      arg: name,
      message: elsewhere.length
        ? `build arg ${name} is only declared by stage(s) ${elsewhere.join(", ")}, which this target does not build; it has no effect.`
        : `build arg ${name} is not declared by any ARG; it has no effect.${didYouMean(name, allDeclared)}`,
      hint: "Remove it, or declare it with ARG in the stage that needs it.",
    });
  }

  return { args: [...usages.values()], baseImages, diagnostics };
}

function automaticArgValue(name: string, platform?: string): string | undefined {
  const target = platform ?? `linux/${process.arch === "x64" ? "amd64" : process.arch}`;
  const [os, arch, variant] = target.split("/");
  const build = `linux/${process.arch === "x64" ? "amd64" : process.arch}`;
  const [bos, barch] = build.split("/");
  const values: Record<string, string | undefined> = {
    TARGETPLATFORM: target,
    TARGETOS: os,
    TARGETARCH: arch,
    TARGETVARIANT: variant ?? "",
    BUILDPLATFORM: build,
    BUILDOS: bos,
    BUILDARCH: barch,
    BUILDVARIANT: "",
  };
  return values[name];
}
