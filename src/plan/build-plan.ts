/**
 * The build plan: the exact inputs one environment's image is built with (context,
 * Dockerfile, target, build args, tags, platform, cache) and the stage graph they
 * select. Pure; every back end hands a plan to its provider, the executor to the
 * Docker CLI, so they can be compared.
 */
import * as path from "path";
import {
  type Diagnostic,
  type DockerfileModel,
  type Stage,
  MultiStageError,
  type ParseResult,
  type StageGraphNode,
  type TargetResolution,
  findStage,
  stageClosure,
  finalStage,
  resolveTarget,
  stageGraph,
  stageLabel,
  didYouMean,
  stageNames,
  throwOnErrors,
} from "../dockerfile";
import {
  DEFAULT_DEV_TARGETS,
  type EnvironmentArgs,
  type EnvironmentKind,
  classifyEnvironment,
  getEnvironmentArgs,
  parseSize,
} from "./environments";
import {
  type AttestationSpec,
  type BuilderSpec,
  type CacheSpec,
  attestationSpec,
  builderSpec,
  cacheTag,
  registryCacheEnabled,
  needsBuilder,
  validatePlatforms,
  validateSsh,
} from "./builder";
import { type BuildSettings, planBuildSettings, planLabels, validateKeyValues } from "./build-settings";
import { planCacheEntries } from "./cache-entries";
import { type NamedContext, contextImage, planNamedContexts } from "./contexts";
import { type OutputsSpec, planOutputs } from "./exports";
import { type ReleaseSpec, attestationStore, planRelease } from "./release";
import { DAEMONLESS_ENGINES, type EngineName, checkEngine } from "./engine";
import { type TargetClosure, targetClosure } from "./closure";
import { isPinnedReference, parseImageReference, repositoryProblem } from "./image-ref";
import { type BuildArgSource, validateBuildArgNames, validateSecretMounts, validateSshMounts } from "./secrets";
import type { BuildPlanOptions } from "./options";
import { type TagSource, checkSharedTags, releaseTags } from "./tags";

/** A stage of the Dockerfile, marked with whether the plan's target builds it. */
export interface PlannedStage extends StageGraphNode {
  built: boolean;
}

/** Everything a builder needs, as plain data. */
export interface BuildPlan {
  environment: string;
  kind: EnvironmentKind;
  /** Absolute build context. */
  context: string;
  /** Absolute Dockerfile path. */
  dockerfile: string;
  /** `--target` to pass; `undefined` builds the final stage (only when it has no name). */
  target?: string;
  /** Label of the stage built (its name, or `#index`). */
  targetStage: string;
  /** True when the final stage is built. */
  isFinalStage: boolean;
  /** Stages BuildKit builds for this target, dependencies first. */
  stages: string[];
  /** Stages it skips. */
  skippedStages: string[];
  /** The whole stage graph, each stage marked `built` or not. */
  graph: PlannedStage[];
  /** Build args passed to the build. */
  buildArgs: Record<string, string>;
  /** Names of args the target actually declares (the ones that can change the image). */
  consumedArgs: string[];
  /** Target platforms; empty builds for the builder's own. Several make one index. */
  platforms: string[];
  /** The BuildKit builder, when not the Docker engine's own. */
  builder?: BuilderSpec;
  /** The registry cache (tags in the image's repository), when on. */
  cache?: CacheSpec;
  /** Attestations: pushed with the image (an index), or signed beside it (`store: "referrers"`). */
  attestations: AttestationSpec;
  /** What happens before the release tags: signing, verification, the release gate. */
  release?: ReleaseSpec;
  /** The daemonless engine that builds and pushes (`podman`, `buildah`); absent: the Docker CLI. */
  engine?: EngineName;
  /** SSH agents forwarded, by id; `paths` empty means `$SSH_AUTH_SOCK`. */
  ssh: Array<{ id: string; paths: string[] }>;
  /** Ids of the build secrets passed to the build (values are handed to the back end apart). */
  secrets: string[];
  /** The test stage built first; the image is pushed only if it builds (production only). */
  testTarget?: string;
  /** Tags to push (tags only, no repository): the unique one first, moving ones last. */
  tags: string[];
  /** `--cache-from`: images, and `type=…` entries (local directories absolute). */
  cacheFrom: string[];
  /** `--cache-to` entries besides the registry cache's. */
  cacheTo: string[];
  /** Where the image goes besides the registry: the local engine, tarballs. */
  outputs: OutputsSpec;
  /** Set for reproducible digests: the epoch every timestamp is rewritten to. */
  reproducible?: { sourceDateEpoch: number };
  /** Named contexts (`--build-context`), by the name the Dockerfile uses. */
  contexts: Record<string, NamedContext>;
  /** Images from outside the Dockerfile the target uses (after arg substitution and named contexts). */
  externalImages: string[];
  /** Build args passed but left out of the inputs hash. */
  volatileArgs: string[];
  /** Labels set on the image: the default OCI ones and `labels`. */
  labels: Record<string, string>;
  /** Of those, the ones naming the release (revision, version), left out of the inputs hash. */
  volatileLabels: string[];
  /** Manifest annotations (`--annotation`; with a builder). */
  annotations: Record<string, string>;
  /** How BuildKit runs the build (network, hosts, cache use, pull, shm, ulimits): not in the inputs hash. */
  settings: BuildSettings;
  /** The largest the image may be in the registry, in bytes (`sizeBudget`), and where it is set. */
  sizeBudget?: { bytes: number; property: string };
  /** Set when this environment promotes another's image instead of building (`promoteFrom`). */
  promotion?: {
    /** The environment whose image is promoted. */
    from: string;
    /** Its repository, when not this image's. */
    repository?: string;
    /** That environment's plan: its inputs find the image. */
    source: BuildPlan;
  };
  /**
   * What the target reads: the Dockerfile reduced to its closure, the context paths it
   * copies (or why it reads the whole context) and each stage's inputs. Absent when the
   * Dockerfile's text is not known (a plan made from a model alone).
   */
  closure?: TargetClosure;
  /** Non-fatal findings (unknown build args, unpinned bases outside production). */
  warnings: Diagnostic[];
}

/** The Dockerfile a context and an optional `dockerfile` argument name, as an absolute path. */
export function resolveDockerfilePath(context: string, dockerfile?: string): string {
  return dockerfile ? path.resolve(dockerfile) : path.resolve(context, "Dockerfile");
}

/**
 * Make the plan for `options.environment` from a parsed Dockerfile, or throw a
 * `MultiStageError` naming every problem (parse errors, unknown target with the
 * closest names, missing args, cycles, the production guard, invalid tags…), each
 * with the input property at fault.
 */
export function planBuild(parsed: ParseResult, options: BuildPlanOptions): BuildPlan {
  const { model } = parsed;
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  const env = options.environment;
  const { key, args: settings } = getEnvironmentArgs(env, options.environments);
  const kind = settings.kind ?? classifyEnvironment(env);
  const image = options.image;
  const buildArgs = mergeBuildArgs(options, key, settings);
  validateBuildArgNames(Object.values(buildArgs), options.allowSecretLikeBuildArgs ?? false, diagnostics);
  const values = Object.fromEntries(Object.entries(buildArgs).map(([n, s]) => [n, s.value]));
  const { platforms, property: platformsProperty } = choosePlatforms(options, key, settings);
  validatePlatforms(platforms, platformsProperty, diagnostics);
  const platform = platforms[0];
  const builder = builderSpec(options.builder, diagnostics);
  validateSsh(options.ssh ?? [], diagnostics);
  const daemonless = options.engine !== undefined && DAEMONLESS_ENGINES.includes(options.engine);
  if (platforms.length > 1 && options.builder === undefined && !daemonless) {
    diagnostics.push({
      severity: "warning",
      code: "invalid-platform",
      property: platformsProperty,
      message: `${platforms.length} platforms need a builder that makes multi-platform indexes; the Docker engine's own builder does only with the containerd image store.`,
      hint: "Set builder to a buildx builder (docker-container, remote or kubernetes driver) or a BuildKit endpoint.",
    });
  }

  const chosen = chooseTarget(model, options, key, settings, kind, diagnostics);
  const resolution = resolveTarget(model, { target: chosen.target, buildArgs: values, platform });
  // BuildKit builds with an unset arg expanded to empty (and warns); production refuses it, a
  // policy of this package, unless the environment allows it.
  const strictArgs = kind === "production" && !settings.allowUnsetBuildArgs;
  diagnostics.push(
    ...resolution.diagnostics.map((d) =>
      withProperty(strictArgs ? unsetArgInProduction(d, key) : d, chosen.property, buildArgs),
    ),
  );
  const tagsFor = (target?: string): string[] =>
    releaseTags(
      target === undefined ? undefined : { env, target, gitSha: options.gitSha, version: options.version },
      {
        tagStrategy: options.tagStrategy,
        fixed: [...sourcesOf(options.tags, "tags"), ...sourcesOf(settings.tags, `environments.${key}.tags`)],
        moving: sourcesOf(options.movingTags, "movingTags"),
        prefix: image?.name,
        immutable: options.immutableTags,
      },
      diagnostics,
    );
  // Other environments of these args push to the same repository unless they share this one's image.
  const promotedWith = (name: string): boolean =>
    settings.promoteFrom === name || options.environments?.[name]?.promoteFrom === key;
  checkSharedTags(
    options.tagStrategy,
    env,
    Object.keys(options.environments ?? {}).filter((name) => name !== key && !promotedWith(name)),
    diagnostics,
  );
  if (!resolution.found) {
    tagsFor(undefined); // the fixed tags are wrong or right whatever the target
    // Not found only with an error diagnostic (unknown target, or no stage at all).
    throw new MultiStageError(diagnostics, `environment "${env}"`);
  }

  const targetLabel = stageLabel(resolution.target);
  const allowNonFinal = image !== undefined || settings.allowNonFinalTarget;
  if (kind === "production" && !resolution.isFinal && !allowNonFinal) {
    diagnostics.push({
      severity: "error",
      code: "non-final-target",
      file: model.file,
      line: resolution.target.line,
      stage: targetLabel,
      property: chosen.property,
      message: `production environment "${env}" would build stage "${targetLabel}", not the final stage "${stageLabel(finalStage(model))}".`,
      hint: `Remove the target for "${env}", or set environments.${key}.allowNonFinalTarget if this is intended.`,
    });
  }
  const hasBuilder = options.builder !== undefined;
  const contexts = planNamedContexts(options.contexts, model, resolution, hasBuilder, diagnostics);
  // The images the build pulls once named contexts apply: an image context's own, none for a directory.
  const externalImages = [
    ...new Set(resolution.externalImages.flatMap((image) => contextImage(contexts, image) ?? [])),
  ];
  validateBaseImages(
    model,
    { ...resolution, externalImages },
    kind === "production" && !settings.allowUnpinnedBaseImages,
    key,
    diagnostics,
  );
  // The test gate builds its stage with the same secrets and SSH: its mounts count too.
  const testTarget = chooseTestStage(model, options, kind, resolution.target.index, diagnostics);
  const gateStage = testTarget === undefined ? undefined : findStage(model, testTarget);
  const inTarget = new Set(resolution.stages.map((s) => s.index));
  const mounted = [
    ...resolution.stages,
    ...(gateStage ? stageClosure(model, gateStage.index).filter((s) => !inTarget.has(s.index)) : []),
  ];
  validateSecretMounts(
    mounted.flatMap((s) => s.secretMounts.map((m) => ({ ...m, stage: stageLabel(s) }))),
    options.secrets ?? [],
    model.file,
    diagnostics,
  );
  validateSshMounts(
    mounted.flatMap((s) => s.sshMounts.map((m) => ({ ...m, stage: stageLabel(s) }))),
    (options.ssh ?? []).map((s) => s.id),
    model.file,
    diagnostics,
  );
  const tags = tagsFor(targetLabel);
  const cache = planCache(
    model,
    options,
    key,
    settings,
    targetLabel,
    platforms,
    new Set(resolution.stages.map((s) => s.index)),
    diagnostics,
  );
  const volatileArgs = [...(options.volatileArgs ?? [])];
  volatileArgs.forEach((name, i) => {
    if (Object.hasOwn(values, name)) return;
    diagnostics.push({
      severity: "warning",
      code: "unknown-arg",
      property: `volatileArgs[${i}]`,
      arg: name,
      message: `volatile arg "${name}" is not a build arg of environment "${env}".`,
      hint: `Pass it in buildArgs (or environments.${key}.buildArgs), or remove it from volatileArgs.`,
    });
  });
  const closure =
    parsed.text === undefined
      ? undefined
      : targetClosure(parsed.text, model, resolution, values, volatileArgs, contexts);
  const promotion = planPromotion(parsed, options, key, settings, kind, targetLabel, diagnostics);
  const budget = settings.sizeBudget === undefined ? undefined : parseSize(settings.sizeBudget);
  const { labels, volatileLabels, annotations } = planMetadata(options, key, settings, targetLabel, diagnostics);
  const buildSettings = planBuildSettings(options, model, hasBuilder, diagnostics);
  const cacheFrom = [
    ...planCacheEntries(options.cacheFrom ?? [], "from", "cacheFrom", hasBuilder, diagnostics),
    ...planCacheEntries(settings.cacheFrom ?? [], "from", `environments.${key}.cacheFrom`, hasBuilder, diagnostics),
  ];
  const outputs = planOutputs(options, platforms, hasBuilder, diagnostics);
  if (options.reproducible && !hasBuilder)
    diagnostics.push(
      needsBuilder("reproducible", "cannot rewrite the image's timestamps", { or: ", or leave reproducible off" }),
    );
  const release = planRelease(options.signing, key, settings, kind, diagnostics);
  const attestArgs = settings.attestations ?? options.attestations;
  const attestations = attestationStore(
    attestationSpec(attestArgs),
    typeof attestArgs === "object" ? attestArgs.store : undefined,
    release,
    settings.attestations !== undefined ? `environments.${key}.attestations` : "attestations",
    diagnostics,
  );
  if (attestations.store === "referrers" && attestations.provenance !== false && !hasBuilder)
    diagnostics.push(
      needsBuilder(
        settings.attestations !== undefined ? `environments.${key}.attestations.provenance` : "attestations.provenance",
        "does not record the build's provenance",
        { or: ", or leave provenance off (the SBOM needs no builder)" },
      ),
    );
  checkEngine(
    {
      engine: options.engine,
      builder: hasBuilder,
      platforms,
      platformsProperty,
      attestationsInIndex: attestations.store === "index",
      attestationsProperty: settings.attestations !== undefined ? `environments.${key}.attestations` : "attestations",
      cacheFrom: [
        ...(options.cacheFrom ?? []).map((entry, i) => ({ entry, property: `cacheFrom[${i}]` })),
        ...(settings.cacheFrom ?? []).map((entry, i) => ({ entry, property: `environments.${key}.cacheFrom[${i}]` })),
      ],
      load: options.load === true,
      stages: mounted,
      file: model.file,
    },
    diagnostics,
  );
  const cacheTo = [
    ...planCacheEntries(options.cacheTo ?? [], "to", "cacheTo", hasBuilder, diagnostics),
    ...planCacheEntries(settings.cacheTo ?? [], "to", `environments.${key}.cacheTo`, hasBuilder, diagnostics),
  ];

  const warnings = throwOnErrors(diagnostics, `environment "${env}"`);
  const built = new Set(resolution.stages.map((s) => s.index));
  const context = path.resolve(options.context);
  return {
    environment: env,
    kind,
    context,
    dockerfile: resolveDockerfilePath(context, options.dockerfile),
    target: resolution.target.declaredName,
    targetStage: targetLabel,
    isFinalStage: resolution.isFinal,
    stages: resolution.stages.map(stageLabel),
    skippedStages: resolution.skipped.map(stageLabel),
    graph: stageGraph(model).map((node) => ({ ...node, built: built.has(node.index) })),
    buildArgs: values,
    consumedArgs: resolution.args.args.map((a) => a.name).filter((n) => Object.hasOwn(values, n)),
    platforms,
    ...(builder ? { builder } : {}),
    ...(cache ? { cache } : {}),
    attestations,
    ...(release ? { release } : {}),
    ...(daemonless ? { engine: options.engine } : {}),
    ssh: (options.ssh ?? []).map((s) => ({ id: s.id, paths: [...(s.paths ?? [])] })),
    secrets: [...(options.secrets ?? [])].sort(),
    ...(testTarget ? { testTarget } : {}),
    tags,
    cacheFrom,
    cacheTo,
    outputs,
    ...(options.reproducible ? { reproducible: { sourceDateEpoch: options.sourceDateEpoch ?? 0 } } : {}),
    externalImages,
    contexts,
    volatileArgs,
    labels,
    volatileLabels,
    annotations,
    settings: buildSettings,
    ...(closure ? { closure } : {}),
    ...(promotion ? { promotion } : {}),
    ...(budget !== undefined ? { sizeBudget: { bytes: budget, property: `environments.${key}.sizeBudget` } } : {}),
    warnings,
  };
}

/** The image's labels and annotations: the common ones, the environment's over them, checked. */
function planMetadata(
  options: BuildPlanOptions,
  key: string,
  settings: EnvironmentArgs,
  targetStage: string,
  diagnostics: Diagnostic[],
): Pick<BuildPlan, "labels" | "volatileLabels" | "annotations"> {
  validateKeyValues(options.labels ?? {}, "labels", diagnostics);
  validateKeyValues(settings.labels ?? {}, `environments.${key}.labels`, diagnostics);
  validateKeyValues(options.annotations ?? {}, "annotations", diagnostics);
  validateKeyValues(settings.annotations ?? {}, `environments.${key}.annotations`, diagnostics);
  const annotations = { ...options.annotations, ...settings.annotations };
  if (Object.keys(annotations).length && options.builder === undefined)
    diagnostics.push(
      needsBuilder(
        settings.annotations ? `environments.${key}.annotations` : "annotations",
        "writes no manifest annotations",
        { or: ", or use labels (in the image config)" },
      ),
    );
  const { labels, volatileLabels } = planLabels({
    labels: { ...options.labels, ...settings.labels },
    defaults: options.defaultLabels ?? true,
    sourceUrl: options.sourceUrl,
    gitSha: options.gitSha,
    version: options.version,
    targetStage,
  });
  return { labels, volatileLabels, annotations };
}

/**
 * The plan of the environment `promoteFrom` names, when set (its own `promoteFrom` is not
 * followed). The source must not be a misspelling of an entry or of a usual environment name,
 * must build the same target, and (for a production environment) must not be a development
 * one and must pass production's guards.
 */
function planPromotion(
  parsed: ParseResult,
  options: BuildPlanOptions,
  key: string,
  settings: EnvironmentArgs,
  kind: EnvironmentKind,
  targetLabel: string,
  diagnostics: Diagnostic[],
): BuildPlan["promotion"] {
  const from = settings.promoteFrom;
  if (from === undefined || options.image) return undefined;
  const property = `environments.${key}.promoteFrom`;
  const refuse = (at: string, message: string, hint: string): undefined => {
    diagnostics.push({ severity: "error", code: "invalid-environment", property: at, message, hint });
    return undefined;
  };
  if (from === options.environment || from === key)
    return refuse(
      property,
      `environment "${options.environment}" cannot promote its own image.`,
      'Name the environment whose tested image this one should take, e.g. promoteFrom: "staging".',
    );
  // A name of no entry is fine (its stack builds with the defaults) unless it is one letter
  // off an entry or a usual environment name: then it is a typo that would find no image.
  const known = Object.keys(options.environments ?? {}).filter((k) => k !== key);
  const close = known.includes(from) ? "" : didYouMean(from, [...new Set([...known, ...USUAL_ENVIRONMENTS])]);
  if (close && !USUAL_ENVIRONMENTS.includes(from))
    return refuse(
      property,
      `"${from}" is not an environment of environments (${known.join(", ") || "none"}), nor a usual environment name.${close}`,
      `Name the environment whose stack pushed the image, or add environments["${from}"] if that is its name.`,
    );
  const repository = settings.promoteRepository;
  if (
    repository !== undefined &&
    (repositoryProblem(repository) || parseImageReference(repository).registry === undefined)
  )
    return refuse(
      `environments.${key}.promoteRepository`,
      `"${repository}" is not a repository (<registry host>/<path>, lower case, no tag).`,
      'Write it as the source image\'s repository, e.g. "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app".',
    );
  const { key: sourceKey, args: sourceSettings } = getEnvironmentArgs(from, options.environments);
  const sourceKind = sourceSettings.kind ?? classifyEnvironment(from);
  if (kind === "production" && sourceKind === "development")
    return refuse(
      property,
      `production environment "${options.environment}" cannot take the image of "${from}", a development environment (its target and build args are for development).`,
      'Promote from an environment that builds what production runs (e.g. staging), or set that environment\'s kind: "staging" if it does.',
    );
  const environments = {
    ...options.environments,
    [sourceKey]: { ...sourceSettings, promoteFrom: undefined, promoteRepository: undefined },
  };
  try {
    const source = planBuild(parsed, { ...options, environment: from, environments });
    if (source.targetStage !== targetLabel)
      return refuse(
        property,
        `"${from}" builds stage "${source.targetStage}", but "${options.environment}" builds stage "${targetLabel}": promoting would ship a different stage under this environment's tags.`,
        `Give both the same target (environments.${sourceKey}.target), or remove promoteFrom.`,
      );
    if (kind === "production" && sourceKind !== "production") {
      // The image production takes must have passed production's guards when it was built.
      // Production's own switches decide, not the source's.
      const guards = {
        kind: "production" as const,
        allowNonFinalTarget: settings.allowNonFinalTarget,
        allowUnpinnedBaseImages: settings.allowUnpinnedBaseImages,
        allowUnsetBuildArgs: settings.allowUnsetBuildArgs,
      };
      planBuild(parsed, {
        ...options,
        environment: from,
        environments: { ...environments, [sourceKey]: { ...environments[sourceKey], ...guards } },
      });
    }
    return { from, ...(repository ? { repository } : {}), source };
  } catch (err) {
    if (!(err instanceof MultiStageError)) throw err;
    diagnostics.push(...err.diagnostics.map((d) => ({ ...d, message: `${property} "${from}": ${d.message}` })));
    return undefined;
  }
}

/** Environment names common enough that a name one letter off them is a typo. */
const USUAL_ENVIRONMENTS = [
  "dev",
  "development",
  "test",
  "qa",
  "uat",
  "stage",
  "staging",
  "preprod",
  "prod",
  "production",
];

/** The platforms of this environment and the property they come from (the environment's win). */
function choosePlatforms(
  options: BuildPlanOptions,
  key: string,
  settings: EnvironmentArgs,
): { platforms: string[]; property: string } {
  if (settings.platforms) return { platforms: [...settings.platforms], property: `environments.${key}.platforms` };
  if (settings.platform) return { platforms: [settings.platform], property: `environments.${key}.platform` };
  if (options.platforms) return { platforms: [...options.platforms], property: "platforms" };
  return { platforms: options.platform ? [options.platform] : [], property: "platform" };
}

/**
 * The registry cache of this build: exported to `cache-<target>-<env>`, read from there and
 * from the caches of other environments whose targets share a stage with this one (production
 * reads what dev's builder stage exported, and the other way round).
 */
function planCache(
  model: DockerfileModel,
  options: BuildPlanOptions,
  key: string,
  settings: EnvironmentArgs,
  targetLabel: string,
  platforms: readonly string[],
  built: ReadonlySet<number>,
  diagnostics: Diagnostic[],
): CacheSpec | undefined {
  const global = options.registryCache;
  if (!registryCacheEnabled(global, settings.registryCache, options.builder !== undefined)) return undefined;
  const property = settings.registryCache !== undefined ? `environments.${key}.registryCache` : "registryCache";
  if (options.builder === undefined) {
    diagnostics.push({
      severity: "warning",
      code: "invalid-cache",
      property,
      message:
        "a registry cache needs a builder that exports caches; the Docker engine's own builder does only with the containerd image store.",
      hint: "Set builder to a buildx builder or a BuildKit endpoint, or turn registryCache off.",
    });
  }
  const settingsOf = typeof global === "object" ? global : {};
  const own = cacheTag(targetLabel, options.environment, platforms);
  const from = [own];
  const others =
    settingsOf.fromEnvironments === false
      ? []
      : (Array.isArray(settingsOf.fromEnvironments)
          ? settingsOf.fromEnvironments
          : Object.keys(options.environments ?? {})
        ).filter((e) => e !== key);
  if (!options.image) {
    for (const other of others) {
      const otherSettings = getEnvironmentArgs(other, options.environments).args;
      const otherKind = otherSettings.kind ?? classifyEnvironment(other);
      const chosen = chooseTarget(model, { ...options, environment: other }, other, otherSettings, otherKind, []);
      const stage = chosen.target === undefined ? finalStage(model) : findStage(model, chosen.target);
      if (!stage) continue;
      // Another platform's layers are no use here: where both name their platforms, a cache is
      // read only when it holds every platform this build makes (the builder's own may be any).
      const otherPlatforms = choosePlatforms(options, other, otherSettings).platforms;
      if (platforms.length && otherPlatforms.length && !platforms.every((p) => otherPlatforms.includes(p))) continue;
      const otherArgs = { ...options.buildArgs, ...otherSettings.buildArgs };
      const closure = resolveTarget(model, { target: chosen.target, buildArgs: otherArgs });
      if (!closure.found || !closure.stages.some((s) => built.has(s.index))) continue;
      const tag = cacheTag(stageLabel(stage), other, otherPlatforms);
      if (!from.includes(tag)) from.push(tag);
    }
  }
  const perPlatform =
    platforms.length > 1
      ? Object.fromEntries(
          platforms.map((p) => {
            const tag = cacheTag(targetLabel, options.environment, [p]);
            return [p, { to: tag, from: [tag, ...from] }];
          }),
        )
      : undefined;
  return { to: own, from, mode: settingsOf.mode ?? "max", ...(perPlatform ? { platforms: perPlatform } : {}) };
}

/** Stage names tried, in order, as the test gate when `testStage` is not given. */
export const DEFAULT_TEST_STAGES: readonly string[] = ["test", "tests", "tester"];

/** The first of `DEFAULT_TEST_STAGES` the Dockerfile has: the gate when `testStage` is not given. */
export function defaultTestStage(model: DockerfileModel): Stage | undefined {
  return DEFAULT_TEST_STAGES.map((name) => findStage(model, name)).find((s) => s !== undefined);
}

/** The test stage to gate a production push on, if any (never the target itself). */
function chooseTestStage(
  model: DockerfileModel,
  options: BuildPlanOptions,
  kind: EnvironmentKind,
  targetIndex: number,
  diagnostics: Diagnostic[],
): string | undefined {
  if (options.testStage === false || kind !== "production" || options.image) return undefined;
  if (options.testStage === true) {
    const stage = defaultTestStage(model);
    if (!stage)
      diagnostics.push({
        severity: "error",
        code: "unknown-target",
        file: model.file,
        property: "testStage",
        message: `is true, which requires a test stage, but the Dockerfile has none named ${DEFAULT_TEST_STAGES.join(", ")}.`,
        hint: `Name the stage that runs the tests (testStage: "<stage>"), or add a stage named test.`,
      });
    return stage && stage.index !== targetIndex ? stage.declaredName : undefined;
  }
  if (options.testStage !== undefined) {
    const stage = findStage(model, options.testStage);
    if (!stage) {
      diagnostics.push({
        severity: "error",
        code: "unknown-target",
        file: model.file,
        property: "testStage",
        message: `test stage "${options.testStage}" is not a stage of this Dockerfile.${didYouMean(options.testStage, stageNames(model))}`,
        hint: `Name one of: ${stageNames(model).join(", ") || "(no named stages)"}, or set testStage: false.`,
      });
      return undefined;
    }
    return stage.index === targetIndex ? undefined : stage.declaredName;
  }
  const stage = defaultTestStage(model);
  return stage && stage.index !== targetIndex ? stage.declaredName : undefined;
}

/** Build args in merge order (common, environment, additional image), each with the property it came from. */
function mergeBuildArgs(
  options: BuildPlanOptions,
  key: string,
  settings: EnvironmentArgs,
): Record<string, BuildArgSource & { value: string }> {
  const merged: Record<string, BuildArgSource & { value: string }> = {};
  const add = (record: Readonly<Record<string, string>> | undefined, prefix: string): void => {
    for (const [name, value] of Object.entries(record ?? {}))
      merged[name] = { name, value, property: `${prefix}.${name}` };
  };
  add(options.buildArgs, "buildArgs");
  add(settings.buildArgs, `environments.${key}.buildArgs`);
  if (options.image) add(options.image.buildArgs, `additionalImages.${options.image.name}.buildArgs`);
  return merged;
}

/** The target to build and the property it comes from; a development environment without one gets a dev stage. */
function chooseTarget(
  model: DockerfileModel,
  options: BuildPlanOptions,
  key: string,
  settings: EnvironmentArgs,
  kind: EnvironmentKind,
  diagnostics: Diagnostic[],
): { target?: string; property?: string } {
  const env = options.environment;
  const image = options.image;
  if (image) {
    if (typeof image.target === "string")
      return { target: image.target, property: `additionalImages.${image.name}.target` };
    const entry = getEnvironmentArgs(env, Object.fromEntries(Object.keys(image.target).map((k) => [k, {}])));
    const target = image.target[entry.key];
    const property = `additionalImages.${image.name}.target.${entry.key}`;
    if (target === undefined) {
      diagnostics.push({
        severity: "error",
        code: "invalid-additional-image",
        property: `additionalImages.${image.name}.target`,
        message: `names no target for environment "${env}" (it has ${Object.keys(image.target).join(", ") || "none"}).`,
        hint: `Add "${env}" to its target map, or give one target for every environment.`,
      });
    }
    return { target, property };
  }
  if (options.target !== undefined) return { target: options.target, property: "target" };
  if (settings.target !== undefined) return { target: settings.target, property: `environments.${key}.target` };
  if (kind !== "development" || model.stages.length === 0) return {};
  const candidates = options.devTargets ?? DEFAULT_DEV_TARGETS;
  const target = candidates.find((c) => findStage(model, c) !== undefined);
  if (target === undefined) {
    diagnostics.push({
      severity: "error",
      code: "unknown-target",
      file: model.file,
      property: `environments.${key}.target`,
      message: `environment "${env}" is a development environment, but no stage is named ${candidates.map((c) => `"${c}"`).join(", ")}.`,
      hint: `Set environments.${key}.target to one of: ${stageNames(model).join(", ") || "(no named stages)"}, or name a stage "dev".`,
    });
  }
  return { target, property: options.devTargets ? "devTargets" : `environments.${key}.target` };
}

/** An unset arg's warning as the production policy's error, saying how to build it empty anyway. */
function unsetArgInProduction(d: Diagnostic, key: string): Diagnostic {
  if (d.code !== "missing-arg" || d.severity !== "warning") return d;
  return {
    ...d,
    severity: "error",
    message: d.message.replace(/; it expands to empty\.$/, "."),
    hint: `${d.hint ?? ""} Or set environments.${key}.allowUnsetBuildArgs to build with it empty, as BuildKit does.`.trim(),
  };
}

/** Which input a resolution diagnostic is about: the target, or the build arg to pass. */
function withProperty(
  d: Diagnostic,
  targetProperty: string | undefined,
  buildArgs: Readonly<Record<string, BuildArgSource>>,
): Diagnostic {
  if (d.code === "unknown-target" && targetProperty) return { ...d, property: targetProperty };
  if (d.code === "missing-arg" && d.arg) return { ...d, property: `buildArgs.${d.arg}` };
  if (d.code === "unknown-arg" && d.arg && buildArgs[d.arg]) return { ...d, property: buildArgs[d.arg].property };
  return d;
}

/** Unpinned (untagged or `latest`) external images: errors under the production guard, warnings elsewhere. */
function validateBaseImages(
  model: DockerfileModel,
  resolution: TargetResolution,
  strict: boolean,
  key: string,
  diagnostics: Diagnostic[],
): void {
  const firstUse = new Map<string, { line: number; stage: string; via: string }>();
  for (const stage of resolution.stages) {
    for (const dep of stage.dependencies) {
      if (dep.kind !== "image") continue;
      const image = dep.via === "FROM" ? (resolution.args.baseImages.get(stage.index) ?? dep.image) : dep.image;
      if (!firstUse.has(image)) firstUse.set(image, { line: dep.line, stage: stageLabel(stage), via: dep.via });
    }
  }
  for (const image of resolution.externalImages) {
    if (isPinnedReference(image)) continue;
    const use = firstUse.get(image);
    const ref = parseImageReference(image);
    diagnostics.push({
      severity: strict ? "error" : "warning",
      code: "unpinned-base",
      file: model.file,
      line: use?.line,
      stage: use?.stage,
      // `COPY --from=nosuch`: BuildKit pulls it as an image; say that it is no stage either.
      message: `${use && use.via !== "FROM" && !ref.registry && !ref.repository.includes("/") ? `${use.via}=${image} names no stage of this Dockerfile, so it is the image "${image}", which` : `image "${image}"`} is ${ref.tag === "latest" ? "tagged latest" : "not tagged"}, so each build may get a different image.`,
      hint: strict
        ? `Pin it to a version or digest (e.g. ${ref.registry ? `${ref.registry}/` : ""}${ref.repository}:1.2.3), or set environments.${key}.allowUnpinnedBaseImages.`
        : "Pin it to a version or digest before it reaches production.",
    });
  }
}

function sourcesOf(tags: readonly string[] | undefined, property: string): TagSource[] {
  return (tags ?? []).map((tag, i) => ({ tag, property: `${property}[${i}]` }));
}
