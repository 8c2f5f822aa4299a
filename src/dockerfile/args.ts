/**
 * Build-arg scoping as Docker defines it:
 * - global ARGs (before the first FROM) are in scope on FROM lines, and inside a
 *   stage only after the stage redeclares them (`ARG NAME`, inheriting the value);
 * - a stage ARG is in scope from its line to the end of its stage; a passed
 *   build arg overrides its default;
 * - automatic platform args and the proxy args need no declaration.
 */
import type { Diagnostic } from "./diagnostics";
import { ExpansionError, expandOrKeep as safeExpand, expandWord } from "./expand";
import { type DockerfileModel, type Stage, stageLabel } from "./model";
import { didYouMean } from "./suggest";
import { scanVariables } from "./variables";

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
 * Args Docker accepts as build args without any ARG declaration: the proxy args (either
 * case) and the BuildKit settings passed as args.
 */
export const PREDEFINED_BUILD_ARGS: readonly string[] = [
  ...["HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY"].flatMap((n) => [n, n.toLowerCase()]),
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

/** The automatic args: the platform ones and `TARGETSTAGE` (the target's name, `default` when unnamed). */
const AUTOMATIC = new Set([...AUTOMATIC_PLATFORM_ARGS, "TARGETSTAGE"]);

/**
 * The scope FROM lines see, as BuildKit builds it: the automatic platform args (for the
 * target `platform`, or the host), then each global ARG in order, passed values first,
 * else its default expanded against the args before it (quotes removed).
 */
export function globalScope(
  model: DockerfileModel,
  buildArgs: Readonly<Record<string, string | undefined>> = {},
  platform?: string,
  diagnostics?: Diagnostic[],
): Map<string, string | undefined> {
  const scope = new Map<string, string | undefined>(
    AUTOMATIC_PLATFORM_ARGS.map((name) => [name, automaticArgValue(name, platform)]),
  );
  for (const arg of model.globalArgs) {
    const value = Object.hasOwn(buildArgs, arg.name)
      ? (buildArgs[arg.name] ?? "")
      : arg.defaultValue !== undefined
        ? expandDefault(model, arg, scope, "global", diagnostics)
        : AUTOMATIC.has(arg.name)
          ? automaticArgValue(arg.name, platform)
          : undefined;
    scope.set(arg.name, value);
  }
  return scope;
}

/**
 * An ARG's default expanded in `scope`, as BuildKit does when the arg is not passed: a
 * `${X:?message}` that fails (or a malformed reference) is an error there, reported here.
 */
function expandDefault(
  model: DockerfileModel,
  arg: { name: string; defaultValue?: string; line: number },
  scope: ReadonlyMap<string, string | undefined>,
  stage: string,
  diagnostics?: Diagnostic[],
): string {
  try {
    return expandWord(arg.defaultValue ?? "", scope, model.escape);
  } catch (err) {
    if (!(err instanceof ExpansionError)) throw err;
    diagnostics?.push({
      severity: "error",
      code: "missing-arg",
      file: model.file,
      line: arg.line,
      ...(stage === "global" ? {} : { stage }),
      arg: arg.name,
      message: `the default of ARG ${arg.name} cannot be expanded: ${err.message.replace(/^failed to process "[^"]*": /, "")}.`,
      hint: `Pass ${arg.name}, or the arg its default requires, in buildArgs.`,
    });
    return safeExpand(arg.defaultValue ?? "", scope, model.escape);
  }
}

/**
 * The base image name of `stage`'s FROM, expanded as BuildKit does; its errors reported: a
 * `${X:?message}` whose arg is unset (BuildKit stops there), and a name that expands to nothing.
 * The fix names where the arg must be declared: before the first FROM, since ARGs inside stages
 * are not visible on FROM lines.
 */
function checkBaseName(
  model: DockerfileModel,
  stage: Stage,
  scope: ReadonlyMap<string, string | undefined>,
  globalDeclared: ReadonlySet<string>,
  diagnostics: Diagnostic[],
  built: boolean,
): string {
  const label = stageLabel(stage);
  const where = built ? "" : ` (stage ${label} is not built for this target, but BuildKit expands every stage's FROM)`;
  const undeclared = stage.fromVariables.filter((v) => !globalDeclared.has(v.name) && !AUTOMATIC.has(v.name));
  const fix = undeclared.length
    ? `Declare ${undeclared.map((v) => v.name).join(", ")} before the first FROM ("ARG ${undeclared[0].name}=<default>" at the top): ARGs inside stages are not visible on FROM lines.`
    : `Pass ${stage.fromVariables.map((v) => v.name).join(", ") || "the args it uses"} in buildArgs, or give ${stage.fromVariables.length > 1 ? "them defaults" : "it a default"} in its ARG before the first FROM.`;
  const report = (message: string): void => {
    diagnostics.push({
      severity: "error",
      code: "missing-image",
      file: model.file,
      line: stage.line,
      stage: label,
      message: `${message}${where}.`,
      hint: fix,
    });
  };
  try {
    const base = expandWord(stage.from, scope, model.escape);
    if (base === "" && stage.from !== "")
      report(`FROM ${stage.from} expands to an empty image name (BuildKit: base name should not be blank)`);
    return base;
  } catch (err) {
    if (!(err instanceof ExpansionError)) throw err;
    report(`FROM ${stage.from} cannot be expanded: ${err.message.replace(/^failed to process "[^"]*": /, "")}`);
    return safeExpand(stage.from, scope, model.escape);
  }
}

/**
 * Resolve the args of the stages in `closure` given the passed `buildArgs`
 * (`undefined` values mean "passed, value not known yet": they count as set).
 */
export function resolveArgs(
  model: DockerfileModel,
  closure: readonly Stage[],
  buildArgs: Readonly<Record<string, string | undefined>>,
  options: { platform?: string; targetStage?: string } = {},
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
  const automaticValue = (name: string): string | undefined =>
    name === "TARGETSTAGE" ? options.targetStage : automaticArgValue(name, options.platform);

  const scopeOfFrom = globalScope(model, buildArgs, options.platform, diagnostics);
  const globalDeclared = new Set(model.globalArgs.map((a) => a.name));
  // A global arg used by the target makes the globals its default reads used too (as BuildKit's outline lists them).
  const globalReads = new Map<string, Set<string>>();
  for (const arg of model.globalArgs) {
    const reads = globalReads.get(arg.name) ?? new Set<string>();
    for (const v of scanVariables(arg.defaultValue ?? "", model.escape))
      if (globalDeclared.has(v.name) && !Object.hasOwn(buildArgs, arg.name)) reads.add(v.name);
    globalReads.set(arg.name, reads);
  }
  const useGlobal = (name: string, by: string): void => {
    const pending = [name];
    const seen = new Set<string>();
    while (pending.length) {
      const next = pending.pop() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      if (next !== name) {
        const u = usage(next, scopeOfFrom.get(next), passed(next));
        addOnce(u, "declaredIn", "global");
        addOnce(u, "usedBy", by);
      }
      pending.push(...(globalReads.get(next) ?? []));
    }
  };

  const baseImages = new Map<number, string>();
  // BuildKit expands every stage's FROM before it picks the target's: a stage this target does
  // not build still fails the build when its base name cannot be expanded or is blank.
  const built = new Set(closure.map((s) => s.index));
  for (const stage of model.stages)
    if (!built.has(stage.index)) checkBaseName(model, stage, scopeOfFrom, globalDeclared, diagnostics, false);
  for (const stage of closure) {
    const label = stageLabel(stage);
    // FROM line: only globals are visible.
    for (const v of stage.fromVariables) {
      if (AUTOMATIC.has(v.name) && !globalDeclared.has(v.name)) continue;
      const value = scopeOfFrom.get(v.name);
      const u = usage(v.name, value, passed(v.name));
      if (globalDeclared.has(v.name)) addOnce(u, "declaredIn", "global");
      addOnce(u, "usedBy", `FROM of ${label}`);
      if (globalDeclared.has(v.name)) useGlobal(v.name, `FROM of ${label}`);
      if (value === undefined && !v.tolerant && !v.demanded) {
        u.required = true;
        // BuildKit expands it to empty and warns (UndefinedArgInFrom); an empty image name fails below.
        diagnostics.push({
          severity: "warning",
          code: "missing-arg",
          file: model.file,
          line: stage.line,
          stage: label,
          arg: v.name,
          message: globalDeclared.has(v.name)
            ? `build arg ${v.name} is used in FROM but has no default and was not passed; it expands to empty.`
            : `FROM uses ${v.name}, which is not declared before the first FROM (ARGs inside stages are not visible on FROM lines); it expands to empty.`,
          hint: globalDeclared.has(v.name)
            ? `Pass a value for ${v.name} in buildArgs, or give it a default: ARG ${v.name}=<value>.`
            : `Add "ARG ${v.name}=<default>" at the top of the Dockerfile, before the first FROM.`,
        });
      }
    }
    if (stage.platform !== undefined) checkPlatform(model, stage, scopeOfFrom, diagnostics);
    for (const v of stage.fromVariables)
      if (v.demanded && scopeOfFrom.get(v.name) === undefined) usage(v.name, undefined, false).required = true;
    baseImages.set(stage.index, checkBaseName(model, stage, scopeOfFrom, globalDeclared, diagnostics, true));

    // Inside the stage: declared args in scope from their line on.
    const scope = new Map<string, { value: string | undefined; line: number }>();
    for (const arg of stage.args) {
      let value: string | undefined;
      if (passed(arg.name)) value = buildArgs[arg.name] ?? "";
      else if (arg.defaultValue !== undefined)
        value = expandDefault(model, arg, new Map([...scope].map(([k, s]) => [k, s.value])), label, diagnostics);
      else if (globalDeclared.has(arg.name)) {
        value = scopeOfFrom.get(arg.name);
        useGlobal(arg.name, label);
      } else if (AUTOMATIC.has(arg.name)) value = automaticValue(arg.name);
      scope.set(arg.name, { value, line: arg.line });
      const u = usage(arg.name, value, passed(arg.name));
      // A redeclaration later in the stage wins, as it does in the build.
      u.value = value;
      if (globalDeclared.has(arg.name)) addOnce(u, "declaredIn", "global");
      addOnce(u, "declaredIn", label);
    }
    const reported = new Set<string>();
    for (const v of stage.variables) {
      const declared = scope.get(v.name);
      if (!declared || declared.line > v.line) continue;
      // An ARG's default is expanded (and its failures reported) above.
      if (v.instruction === "ARG") continue;
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
        // BuildKit builds with it empty; the plan refuses that in production (a policy, with a switch).
        diagnostics.push({
          severity: "warning",
          code: "missing-arg",
          file: model.file,
          line: v.line,
          stage: label,
          arg: v.name,
          message: `build arg ${v.name} (declared at line ${declared.line} without a default${fromGlobal}) is used by ${v.instruction} but was not passed; it expands to empty.`,
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

/** `FROM --platform=…` expanded must be a platform: `os[/arch[/variant]]`, each part non-empty. */
function checkPlatform(
  model: DockerfileModel,
  stage: Stage,
  scope: ReadonlyMap<string, string | undefined>,
  diagnostics: Diagnostic[],
): void {
  const written = stage.platform as string;
  const value = safeExpand(written, scope, model.escape);
  const parts = value.split("/");
  if (parts.length <= 3 && parts.every((p) => /^[A-Za-z0-9_.-]+$/.test(p))) return;
  const unset = scanVariables(written, model.escape)
    .map((v) => v.name)
    .filter((name) => scope.get(name) === undefined);
  const declared = [...scope.keys()].filter((name) => scope.get(name) !== undefined);
  diagnostics.push({
    severity: "error",
    code: "invalid-stage-platform",
    file: model.file,
    line: stage.line,
    stage: stageLabel(stage),
    message: `FROM --platform=${written} expands to "${value}", which is not a platform (os/arch[/variant]).${unset.length ? didYouMean(unset[0], declared) : ""}`,
    hint: unset.length
      ? `${unset.join(", ")} ${unset.length > 1 ? "are" : "is"} not set: declare ${unset.length > 1 ? "them" : "it"} with ARG before the first FROM, or pass ${unset.length > 1 ? "them" : "it"}.`
      : "Write a platform such as linux/amd64, or $BUILDPLATFORM.",
  });
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
