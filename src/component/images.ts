/**
 * Plan: the one place that deals with inputs not known at construction. When every
 * input the plans need is a plain value, the Dockerfile is read and every image is
 * planned now, so a bad input fails `pulumi preview` before any resource exists.
 * Otherwise the same happens once the inputs resolve. Either way the Dockerfile is
 * read and parsed once per component, for the main image and the additional ones.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  type BuildPlan,
  type BuildPlanOptions,
  type Diagnostic,
  LATE_PLAN_ARGS,
  type LatePlanInputs,
  type ParseResult,
  defaultTestStage,
  MultiStageError,
  formatDiagnostic,
  getEnvironmentArgs,
  isValidTag,
  planBuild,
  redactBuildArgs,
  scrubSecrets,
  secretArgValues,
  toPlanOptions,
  validatePlanArgs,
  isEventual,
} from "../plan";
import { detectGitSha, detectSourceUrl, readDockerfile, sourceDateEpoch } from "../context";
import { BACKENDS, DEFAULT_BACKEND } from "../backends";
import { tagMutability } from "../ecr";
import type { MultiStageImageArgs } from "./args";
import { asResourceError, raiseInputErrors } from "./errors";
import type { ComponentSpec } from "./spec";

/**
 * One image to publish: its plan, and the same plan with secret values redacted.
 * @internal
 */
export interface PlannedImage {
  /** The plan with real build-arg values (secret where any value is): for the back end only. */
  readonly plan: pulumi.Output<BuildPlan>;
  /** The plan with secret values shown as `[secret]`: for outputs, tags and names. */
  readonly publicPlan: pulumi.Output<BuildPlan>;
  /** How many tags, known at construction. */
  readonly tagCount: number;
  /** Some `cacheFrom` reference is a Pulumi secret: back ends keep the cache refs secret. */
  readonly secretCacheRefs: pulumi.Output<boolean>;
  /** A tag holds a secret value (a `{version}` equal to a secret build arg): the tags stay secret. */
  readonly tagsSecret: pulumi.Output<boolean>;
  /** The test stage gating the push, when known at construction (plain inputs). */
  readonly testTarget?: string;
}

/**
 * The main image and the `additionalImages`, by key.
 * @internal
 */
export interface PlannedImages {
  readonly main: PlannedImage;
  readonly additional: Readonly<Record<string, PlannedImage>>;
}

/** The late plan args with every value known, and each additional image's build args. */
type PlanInputs = LatePlanInputs & {
  /** Build args of each additional image. */
  additional: Record<string, Record<string, string>>;
};

/**
 * Plan every image of the component (see the module comment). Throws one
 * `InputPropertiesError` with the spec's problems and every plan's, when any.
 * @internal
 */
export function planImages(spec: ComponentSpec, parent: pulumi.Resource): PlannedImages {
  for (const warning of spec.diagnostics.filter((d) => d.severity === "warning")) {
    pulumi.log.warn(formatDiagnostic(warning), parent);
  }
  // An arg of the wrong type would only fail planning in a way the user cannot place: report it first.
  // So would an environment name that cannot go into a tag (every tag would repeat it).
  const raisedFirst = (d: Diagnostic): boolean =>
    d.severity === "error" &&
    (d.code === "invalid-argument" ||
      (d.code === "invalid-environment" && /environment$/.test(d.property ?? "")) ||
      // A context that could not be had (a Git context not checked out): nothing to read or plan.
      (d.code === "missing-context" && d.property === "context"));
  if (spec.diagnostics.some(raisedFirst)) raiseInputErrors(spec.name, spec.diagnostics);
  // A key that cannot prefix a tag is reported by the spec; planning it would only repeat that for every tag.
  const keys = Object.keys(spec.args.additionalImages ?? {}).filter(isValidTag);
  const secretNames = secretArgNames(spec, parent);
  const secretRefs = secretCacheRefs(spec.args);
  const now = knownInputs(spec.args);
  const images: Array<string | undefined> = [undefined, ...keys];
  // Some inputs are late, but the Dockerfile's path may be known: read it once, now.
  const early = now ? undefined : readEarly(spec);
  const planned = now
    ? planNow(spec, now, images).map((plan) => {
        logWarnings(plan, spec.secretBuildArgs, parent);
        const output = protect(pulumi.output(plan), secretNames, secretRefs);
        return {
          plan: output,
          publicPlan: redacted(output, secretNames, secretRefs),
          secretCacheRefs: secretRefs.apply((r) => r.length > 0),
          tagsSecret: tagsHoldSecrets(output, secretNames, secretRefs),
          tagCount: plan.tags.length,
          ...(plan.testTarget ? { testTarget: plan.testTarget } : {}),
        };
      })
    : planLater(spec, images, secretNames, parent, early).map((plan, i) => {
        // Only the main image has a gate; back ends that create resources need its stage now.
        const gate = i === 0 ? testTargetBeforeInputs(spec, early) : undefined;
        const testTarget = gate?.stage;
        const checked = gate ? plan.apply((p) => sameTestTarget(p, testTarget, parent)) : plan;
        return {
          plan: protect(checked, secretNames, secretRefs),
          publicPlan: redacted(checked, secretNames, secretRefs),
          secretCacheRefs: secretRefs.apply((r) => r.length > 0),
          tagsSecret: tagsHoldSecrets(checked, secretNames, secretRefs),
          tagCount: tagCountBeforeInputs(spec),
          ...(testTarget ? { testTarget } : {}),
        };
      });
  return { main: planned[0], additional: Object.fromEntries(keys.map((key, i) => [key, planned[i + 1]])) };
}

/** Read the Dockerfile once and plan every image now; raise the spec's and every plan's problems together. */
function planNow(spec: ComponentSpec, inputs: PlanInputs, images: Array<string | undefined>): BuildPlan[] {
  const diagnostics = [...spec.diagnostics];
  const plans: BuildPlan[] = [];
  try {
    const parsed = readDockerfile(inputs);
    for (const image of images) {
      try {
        plans.push(planBuild(parsed, planOptions(spec, inputs, image)));
      } catch (err) {
        if (!(err instanceof MultiStageError)) throw err;
        // The Dockerfile's own problems come back from every image: report them once.
        diagnostics.push(...err.diagnostics.filter((d) => !diagnostics.some((e) => sameDiagnostic(d, e))));
      }
    }
  } catch (err) {
    if (!(err instanceof MultiStageError)) throw err;
    diagnostics.push(...err.diagnostics);
  }
  if (plans.length === images.length) diagnostics.push(...tagCollisions(plans, images));
  raiseInputErrors(
    spec.name,
    diagnostics,
    knownSecretValues(spec, [inputs.buildArgs, ...Object.values(inputs.additional)], spec.secretBuildArgs),
  );
  return plans;
}

/** Two images of one component pushed under one tag of the same repository: refused, naming both. */
function tagCollisions(plans: readonly BuildPlan[], images: ReadonlyArray<string | undefined>): Diagnostic[] {
  const owner = new Map<string, string>();
  const found: Diagnostic[] = [];
  plans.forEach((plan, i) => {
    const who = images[i] === undefined ? "the main image" : `additionalImages.${images[i]}`;
    for (const tag of plan.tags) {
      const other = owner.get(tag);
      if (other === undefined) owner.set(tag, who);
      else
        found.push({
          severity: "error",
          code: "invalid-tag",
          property: images[i] === undefined ? "tags" : `additionalImages.${images[i]}`,
          message: `tag "${tag}" would be pushed by both ${other} and ${who}; the later push would take it from the other.`,
          hint: "Rename the fixed tag, or the additional image's key (its tags start with it).",
        });
    }
  });
  return found;
}

/** Plan every image once the inputs resolve (the Dockerfile read once for all); problems become ResourceErrors. */
function planLater(
  spec: ComponentSpec,
  images: Array<string | undefined>,
  secretNames: pulumi.Output<string[]>,
  parent: pulumi.Resource,
  early: ParseResult | undefined,
): pulumi.Output<BuildPlan>[] {
  raiseInputErrors(spec.name, spec.diagnostics);
  const inputs = pulumi.output(laterInputs(spec.args));
  const parsed = early ? pulumi.output(early) : inputs.apply((i) => asResourceError(parent, () => readDockerfile(i)));
  const tagCount = tagCountBeforeInputs(spec);
  return images.map((image) =>
    pulumi.all([parsed, inputs, secretNames]).apply(([p, i, names]) =>
      asResourceError(
        parent,
        () => {
          checkResolved(i);
          const planned = planBuild(p, planOptions(spec, i, image));
          if (planned.tags.length > tagCount) {
            throw new Error(
              `the tag strategy made ${planned.tags.length} tags (${planned.tags.join(", ")}) but only ${tagCount} could be planned before the inputs were known; use a template tagStrategy, or pass context, dockerfile, target and buildArgs as plain values.`,
            );
          }
          logWarnings(planned, names, parent);
          return planned;
        },
        knownSecretValues(spec, [i.buildArgs, ...Object.values(i.additional)], names),
      ),
    ),
  );
}

/**
 * A late arg once it resolves is checked like a plain one was at construction: an Output of a
 * number where a string goes, or of a string where a list goes, is refused by property.
 */
function checkResolved(inputs: PlanInputs): void {
  const problems: Diagnostic[] = [];
  const { context, dockerfile, target, platform, buildArgs, cacheFrom } = inputs;
  validatePlanArgs({ context, dockerfile, target, platform, buildArgs, cacheFrom }, problems);
  if (problems.length) throw new MultiStageError(problems);
}

/**
 * The values of the secret build args among `records` and the environments' build args: Pulumi
 * secrets and secret config (`names`), and secret-like names. Errors quoting them are scrubbed.
 */
function knownSecretValues(
  spec: ComponentSpec,
  records: ReadonlyArray<Readonly<Record<string, string>> | undefined>,
  names: readonly string[],
): string[] {
  const all = [...records, ...Object.values(spec.environments).map((e) => e.buildArgs)];
  return all.flatMap((record) => secretArgValues(record, names));
}

function logWarnings(plan: BuildPlan, secretNames: readonly string[], parent: pulumi.Resource): void {
  // Unknown build args, unpinned bases outside production: shown in `pulumi up`, kept in `plan.warnings`.
  const secrets = secretValues(plan, secretNames);
  for (const warning of plan.warnings) pulumi.log.warn(scrubSecrets(formatDiagnostic(warning), secrets), parent);
}

/** The values of the plan's secret build args: Pulumi secrets, secret config, and secret-like names. */
function secretValues(plan: BuildPlan, secretNames: readonly string[]): string[] {
  // A promoted environment's plan carries its build args (secret config included) too.
  const source = plan.promotion?.source;
  return [...secretArgValues(plan.buildArgs, secretNames), ...(source ? secretValues(source, secretNames) : [])];
}

/** The plan for the back end: a secret as a whole when any build-arg value is, so the provider's inputs are encrypted. */
function protect(
  plan: pulumi.Output<BuildPlan>,
  secretNames: pulumi.Output<string[]>,
  secretRefs: pulumi.Output<string[]>,
): pulumi.Output<BuildPlan> {
  return pulumi
    .all([plan, secretNames, secretRefs])
    .apply(([p, names, refs]) => (secretValues(p, names).length || refs.length ? pulumi.secret(p) : pulumi.output(p)));
}

function sameDiagnostic(a: Diagnostic, b: Diagnostic): boolean {
  return a.code === b.code && a.message === b.message && a.line === b.line && a.property === b.property;
}

/** The plan options of the main image (`image` undefined) or of an additional image. */
function planOptions(spec: ComponentSpec, inputs: PlanInputs, image?: string): BuildPlanOptions {
  const additional = image === undefined ? undefined : spec.args.additionalImages?.[image];
  // Every late arg from the resolved inputs, an Output that resolved to undefined included.
  const late = Object.fromEntries(LATE_PLAN_ARGS.map((key) => [key, inputs[key]])) as LatePlanInputs;
  const detectedGitSha = spec.args.gitSha === undefined ? detectGitSha(late.context) : undefined;
  return toPlanOptions(
    { ...spec.args, ...late },
    {
      environment: spec.environment,
      environments: spec.environments,
      detectedGitSha,
      sourceUrl: spec.args.defaultLabels === false ? undefined : detectSourceUrl(late.context),
      sourceDateEpoch: spec.args.reproducible
        ? sourceDateEpoch(late.context, spec.args.gitSha ?? detectedGitSha)
        : undefined,
      secrets: Object.keys(spec.args.secrets ?? {}),
      ...(spec.signing ? { signing: spec.signing } : {}),
      // Only a repository this component creates is known to be IMMUTABLE.
      immutableTags:
        !spec.args.registry &&
        !spec.args.repository?.existing &&
        tagMutability(spec.args.repository ?? {}, spec.kind) === "IMMUTABLE",
      image:
        image !== undefined && additional
          ? { name: image, target: additional.target, buildArgs: inputs.additional[image] }
          : undefined,
    },
  );
}

/** Every input a plan needs, when all are plain values now. */
function knownInputs(args: MultiStageImageArgs): PlanInputs | undefined {
  const { context, dockerfile, target, platform } = args;
  const buildArgs = knownRecord(args.buildArgs);
  const cacheFrom = args.cacheFrom ?? [];
  if (!isKnown(cacheFrom)) return undefined;
  const additional: Record<string, Record<string, string>> = {};
  for (const [key, image] of Object.entries(args.additionalImages ?? {})) {
    const record = knownRecord(image.buildArgs);
    if (!record) return undefined;
    additional[key] = record;
  }
  if (!isKnown(context) || !isKnown(dockerfile) || !isKnown(target) || !isKnown(platform)) return undefined;
  if (!buildArgs || !cacheFrom.every(isKnown)) return undefined;
  return { context, dockerfile, target, platform, buildArgs, cacheFrom: [...(cacheFrom as string[])], additional };
}

/** The same inputs, to be resolved by `pulumi.output` (which unwraps nested Outputs). */
function laterInputs(args: MultiStageImageArgs): pulumi.Input<PlanInputs> {
  return {
    context: args.context,
    dockerfile: args.dockerfile,
    target: args.target,
    platform: args.platform,
    buildArgs: args.buildArgs ?? {},
    cacheFrom: args.cacheFrom ?? [],
    additional: Object.fromEntries(
      Object.entries(args.additionalImages ?? {}).map(([key, image]) => [key, image.buildArgs ?? {}]),
    ),
  } as pulumi.Input<PlanInputs>;
}

/**
 * The test gate's stage before the inputs are known (some are Outputs), for back ends that
 * create the gate as a resource: `testStage` when named; else the first default test stage of
 * the Dockerfile, when its path is known. When it cannot be known and the back end needs it,
 * the component is refused: a production image is never pushed without its gate.
 */
function testTargetBeforeInputs(spec: ComponentSpec, early: ParseResult | undefined): { stage?: string } | undefined {
  const { args } = spec;
  const backend = args.backend ?? DEFAULT_BACKEND;
  if (spec.kind !== "production" || args.testStage === false || BACKENDS[backend].supports.gateFromPlan)
    return undefined;
  if (typeof args.testStage === "string") return { stage: args.testStage };
  if (early) return { stage: defaultTestStage(early.model)?.declaredName };
  raiseInputErrors(spec.name, [
    {
      severity: "error",
      code: "invalid-backend",
      property: "testStage",
      message: `the ${backend} back end creates the production test gate when the component is constructed, but the Dockerfile cannot be read then (context or dockerfile is an Output).`,
      hint: `Name the stage (testStage: "test"), pass context and dockerfile as plain strings, set testStage: false to build without a gate, or use backend "docker-cli".`,
    },
  ]);
  return {};
}

/**
 * The Dockerfile, read and parsed now when its path is known though other inputs are late;
 * its problems are raised now, before any resource exists.
 */
function readEarly(spec: ComponentSpec): ParseResult | undefined {
  const { context, dockerfile } = spec.args;
  if (!isKnown(context) || !isKnown(dockerfile)) return undefined;
  try {
    return readDockerfile({ context, dockerfile });
  } catch (err) {
    if (!(err instanceof MultiStageError)) throw err;
    raiseInputErrors(spec.name, [...spec.diagnostics, ...err.diagnostics]);
    return undefined;
  }
}

/** The plan, once its inputs resolve, must gate on the stage the gate resource was created for. */
function sameTestTarget(plan: BuildPlan, testTarget: string | undefined, parent: pulumi.Resource): BuildPlan {
  return asResourceError(parent, () => {
    if (plan.testTarget !== testTarget)
      throw new Error(
        `testStage: the test gate was created for ${testTarget ? `stage "${testTarget}"` : "no stage"}, but the resolved inputs gate on ${plan.testTarget ? `"${plan.testTarget}"` : "no stage"}; name the stage in testStage, or set testStage: false.`,
      );
    return plan;
  });
}

/**
 * Each tag of the docker back end is a resource, so their number must be known at
 * construction: when the inputs are not, the strategy's (one tag for a template)
 * plus the fixed and moving tags.
 */
function tagCountBeforeInputs(spec: ComponentSpec): number {
  const { args } = spec;
  const own = getEnvironmentArgs(spec.environment, spec.environments).args.tags ?? [];
  const strategy = Array.isArray(args.tagStrategy)
    ? args.tagStrategy.map((_t, i) => `(strategy ${i})`)
    : ["(strategy)"];
  return new Set([...strategy, ...(args.tags ?? []), ...own, ...(args.movingTags ?? [])]).size;
}

/**
 * Names of build args whose values are Pulumi secrets (a secret record makes all its
 * names secret). They would land in the image history, so they are refused unless
 * `allowSecretLikeBuildArgs`: the returned Output fails then, and so does every plan.
 */
function secretArgNames(spec: ComponentSpec, parent: pulumi.Resource): pulumi.Output<string[]> {
  const { args } = spec;
  // Each record with the property path its names are refused by.
  const records: Array<[string, MultiStageImageArgs["buildArgs"]]> = [
    ["buildArgs", args.buildArgs],
    ...Object.entries(args.additionalImages ?? {}).map(([key, image]): [string, MultiStageImageArgs["buildArgs"]] => [
      `additionalImages.${key}.buildArgs`,
      image.buildArgs,
    ]),
  ];
  type Found = { name: string; property: string };
  const secretIf = (value: pulumi.Input<unknown>, names: () => pulumi.Input<Found[]>): pulumi.Output<Found[]> =>
    pulumi.output(pulumi.isSecret(pulumi.output(value))).apply((secret) => pulumi.output(secret ? names() : []));
  const found = records.map(([property, record]): pulumi.Output<Found[]> => {
    if (record === undefined) return pulumi.output([]);
    if (!isKnown(record))
      return secretIf(record, () =>
        pulumi.output(record).apply((r) => Object.keys(r).map((name) => ({ name, property: `${property}.${name}` }))),
      );
    return pulumi
      .all(
        Object.entries(record).map(([name, value]) =>
          pulumi.Output.isInstance(value)
            ? secretIf(value, () => [{ name, property: `${property}.${name}` }])
            : pulumi.output([] as Found[]),
        ),
      )
      .apply((lists) => lists.flat());
  });
  return pulumi.all(found).apply((lists) => {
    const all = [
      ...lists.flat(),
      ...spec.secretBuildArgs.map((name) => ({ name, property: `multistage:environments.*.buildArgs.${name}` })),
    ];
    if (all.length && !args.allowSecretLikeBuildArgs) {
      throw new pulumi.ResourceError(
        `${all.map((f) => f.property).join(", ")}: build args that hold Pulumi secrets; build arg values are stored in the image history. Use BuildKit secrets (RUN --mount=type=secret), or set allowSecretLikeBuildArgs to accept this.`,
        parent,
      );
    }
    return [...new Set(all.map((f) => f.name))];
  });
}

/**
 * The plan for outputs, tags and names: every secret value redacted, in the build args by
 * name and anywhere else it flowed (an image substituted from it, a warning quoting it).
 * Only then is the result not secret: nothing secret is left in it.
 */
function redacted(
  plan: pulumi.Output<BuildPlan>,
  secretNames: pulumi.Output<string[]>,
  secretRefs: pulumi.Output<string[]>,
): pulumi.Output<BuildPlan> {
  const redact = (p: BuildPlan, names: Set<string>): BuildPlan => ({
    ...p,
    buildArgs: redactBuildArgs(p.buildArgs, names),
    ...(p.promotion ? { promotion: { ...p.promotion, source: redact(p.promotion.source, names) } } : {}),
  });
  return pulumi.unsecret(
    pulumi
      .all([plan, secretNames, secretRefs])
      .apply(([p, names, refs]) => scrubSecrets(redact(p, new Set(names)), [...secretValues(p, names), ...refs])),
  );
}

/** True when a tag of the plan contains the value of a secret build arg or a secret cache ref. */
function tagsHoldSecrets(
  plan: pulumi.Output<BuildPlan>,
  secretNames: pulumi.Output<string[]>,
  secretRefs: pulumi.Output<string[]>,
): pulumi.Output<boolean> {
  return pulumi.unsecret(
    // By the scrub's own rule (the values long enough to search for): a tag it would change.
    pulumi.all([plan, secretNames, secretRefs]).apply(([p, names, refs]) => {
      const scrubbed = scrubSecrets(p.tags, [...secretValues(p, names), ...refs]);
      return scrubbed.some((tag, i) => tag !== p.tags[i]);
    }),
  );
}

/**
 * The `cacheFrom` references given as Pulumi secrets (kept in no plain output; they make the
 * plan a secret and are scrubbed from its public form).
 */
function secretCacheRefs(args: MultiStageImageArgs): pulumi.Output<string[]> {
  const given = args.cacheFrom ?? [];
  if (!isKnown(given)) {
    // One Output for the whole list (another resource's, or another language's): secret as a whole or not at all.
    const list = pulumi.output(given);
    return pulumi
      .output(pulumi.isSecret(list))
      .apply((secret) => (secret ? pulumi.unsecret(list).apply((l) => [...l]) : pulumi.output([] as string[])));
  }
  const refs = given.map((ref) => {
    const output = pulumi.output(ref);
    return pulumi
      .output(pulumi.isSecret(output))
      .apply((secret) => (secret ? pulumi.unsecret(output) : pulumi.output(undefined as string | undefined)));
  });
  return pulumi.all(refs).apply((list) => list.filter((r): r is string => r !== undefined));
}

function isKnown<T>(value: pulumi.Input<T> | undefined): value is T {
  return !isEventual(value);
}

/** A build-args record whose values are all known now, or `undefined`. */
function knownRecord(
  record:
    pulumi.Input<Record<string, pulumi.Input<string>>> | Readonly<Record<string, pulumi.Input<string>>> | undefined,
): Record<string, string> | undefined {
  if (record === undefined) return {};
  if (!isKnown(record)) return undefined;
  const values = Object.values(record);
  return values.every((v) => isKnown(v)) ? (record as Record<string, string>) : undefined;
}
