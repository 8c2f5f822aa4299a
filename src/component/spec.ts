/**
 * Resolve: the component's args and the stack config become one spec (environment,
 * its kind, the merged environments) plus every problem found in the plain inputs.
 * Done once, before planning.
 */
import * as pulumi from "@pulumi/pulumi";
import { BACKENDS, type BackendSupport, DEFAULT_BACKEND } from "../backends";
import { validateRepositoryArgs } from "../ecr";
import { isLambdaArgs, lambdaProblems } from "../consumers";
import { localSource, readPublicKeys } from "../context";
import {
  BUILD_INPUTS,
  type Diagnostic,
  type EnvironmentArgs,
  cacheImage,
  describeValue,
  type EnvironmentKind,
  MultiStageError,
  type SigningContext,
  environmentKind,
  getEnvironmentArgs,
  isBuilderEndpoint,
  isValidTag,
  mergeEnvironments,
  validEnvironments,
  checkGitSha,
} from "../plan";
import { validateRegistryArgs } from "../registry";
import type { MultiStageImageArgs } from "./args";
import { isSecretConfig } from "./config";
import { validateFields } from "./fields";

/**
 * The component's inputs, resolved against the stack config.
 * @internal
 */
export interface ComponentSpec {
  /** The component's name (resource names derive from it). */
  readonly name: string;
  readonly args: MultiStageImageArgs;
  /** Environment built for. */
  readonly environment: string;
  readonly kind: EnvironmentKind;
  /** The args' environments with the stack config's merged over them. */
  readonly environments: Readonly<Record<string, EnvironmentArgs>>;
  /** Build args whose values come from secret stack config: secret values, like Pulumi secrets. */
  readonly secretBuildArgs: readonly string[];
  /** Whether `signing` has a key, and its public keys read once (PEM text); absent without `signing`. */
  readonly signing?: SigningContext;
  /** Problems in the plain inputs (property paths from the args). */
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * The `multistage:*` stack config the component reads.
 * @internal
 */
export interface ComponentConfig {
  get(key: "environment"): string | undefined;
  getObject<T>(key: "environments"): T | undefined;
}

/**
 * Resolve `args` and `config` (`multistage:environment`, `multistage:environments`) for `stack`.
 * @internal
 */
export function resolveSpec(
  name: string,
  args: MultiStageImageArgs,
  config: ComponentConfig | pulumi.Config,
  stack: string,
): ComponentSpec {
  const diagnostics: Diagnostic[] = [];
  args = withLocalSource(args, diagnostics);
  // Wrong types first, in one walk of the field table: planning with them would fail for no
  // reason the user could see. The checks that say a value better run before it (its path is then
  // not reported again).
  checkContextGiven(args, diagnostics);
  checkBackendName(args, diagnostics);
  checkGitSha(args.gitSha, diagnostics);
  validateFields(args, diagnostics);
  // The registry's and the repository's own checks read their fields: only when they are objects.
  const componentArgsOk = !diagnostics.some((d) => d.property === "registry" || d.property === "repository");
  const environment =
    (typeof args.environment === "string" ? args.environment : undefined) ?? config.get("environment") ?? stack;
  const { fromConfig, environments } = resolveEnvironments(args, config, diagnostics);
  const kind = environmentKind(environment, environments);
  checkEnvironmentName(args, config, environment, environments, kind, diagnostics);
  checkRegistryChoice(args, kind, componentArgsOk, diagnostics);
  checkSecretIds(args, diagnostics);
  const signing = signingContext(args, diagnostics);
  validateBackendSupport(args, environments, diagnostics);
  checkAdditionalImageKeys(name, args, diagnostics);
  const secretBuildArgs = secretConfigBuildArgs(fromConfig);
  return { name, args, environment, kind, environments, secretBuildArgs, ...(signing ? { signing } : {}), diagnostics };
}

/**
 * The environments: the args', with stack config `multistage:environments` merged over them, each
 * field of the right type (the others are reported, and planning goes on without them).
 */
function resolveEnvironments(
  args: MultiStageImageArgs,
  config: ComponentConfig | pulumi.Config,
  diagnostics: Diagnostic[],
): { fromConfig: unknown; environments: Record<string, EnvironmentArgs> } {
  const fromConfig = config.getObject<unknown>("environments");
  // Only fields of the right type are merged: the others are reported, and planning goes on without them.
  const configured = validEnvironments(fromConfig ?? {}, "multistage:environments", diagnostics);
  const environments = mergeEnvironments(
    validEnvironments(args.environments ?? {}, "environments", diagnostics),
    configured,
  );
  // Args that lambdaImageArgs checked are checked again with the stack config's environments:
  // platforms or attestations set there would build an index Lambda refuses.
  if (isLambdaArgs(args))
    diagnostics.push(
      ...lambdaProblems(
        {
          platform: typeof args.platform === "string" ? args.platform : undefined,
          platforms: Array.isArray(args.platforms) ? (args.platforms as unknown[]).map(String) : undefined,
          attestations: args.attestations,
          environments: configured,
        },
        "multistage:environments",
      ),
    );
  return { fromConfig, environments };
}

/** The environment's name goes into every tag: say here when it cannot, and when no entry applies to it. */
function checkEnvironmentName(
  args: MultiStageImageArgs,
  config: ComponentConfig | pulumi.Config,
  environment: string,
  environments: Record<string, EnvironmentArgs>,
  kind: EnvironmentKind,
  diagnostics: Diagnostic[],
): void {
  const entry = getEnvironmentArgs(environment, environments);
  if (!entry.matched && Object.keys(environments).length > 0) {
    diagnostics.push({
      severity: "warning",
      code: "invalid-environment",
      property: "environments",
      message: `no entry applies to environment "${environment}" (entries: ${Object.keys(environments).join(", ")}), so it builds with the defaults for a ${kind} environment.`,
      hint: `Add environments["${environment}"], or set multistage:environment to one of the entries.`,
    });
  }
  if (!environment.trim()) {
    diagnostics.push({
      severity: "error",
      code: "invalid-environment",
      property: "environment",
      message: "is empty.",
      hint: "Name the environment (e.g. dev, staging, production), or leave it to the stack name.",
    });
  } else if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(environment)) {
    // It goes into every tag (`{env}`) and cache tag: say so here, not as a tag error.
    const source =
      args.environment !== undefined ? "environment" : config.get("environment") ? "multistage:environment" : undefined;
    const from = source ?? "the stack name";
    diagnostics.push({
      severity: "error",
      code: "invalid-environment",
      property: source ?? "environment",
      message: `"${environment.length > 40 ? `${environment.slice(0, 40)}…` : environment}" (from ${from}) is not an environment name: it goes into tags, so up to 64 letters, digits, '_', '.' and '-', starting with a letter or digit.`,
      hint: "Set environment (or multistage:environment) to a short name such as dev, staging or production.",
    });
  }
}

/** `registry` (any OCI registry) or `repository` (ECR), each checked; not both. */
function checkRegistryChoice(
  args: MultiStageImageArgs,
  kind: EnvironmentKind,
  componentArgsOk: boolean,
  diagnostics: Diagnostic[],
): void {
  if (args.registry && componentArgsOk) {
    validateRegistryArgs(args.registry, diagnostics);
    if (args.repository) {
      diagnostics.push({
        severity: "error",
        code: "invalid-registry",
        property: "repository",
        message: "is for ECR, but registry names another registry.",
        hint: "Keep one: registry for any OCI registry, repository for ECR.",
      });
    }
  } else {
    if (componentArgsOk)
      validateRepositoryArgs(
        args.repository ?? {},
        kind,
        Array.isArray(args.movingTags) ? args.movingTags : [],
        diagnostics,
      );
  }
}

/** Each build secret's id is one BuildKit accepts. */
function checkSecretIds(args: MultiStageImageArgs, diagnostics: Diagnostic[]): void {
  for (const id of Object.keys(args.secrets ?? {})) {
    if (/^[A-Za-z0-9_.-]+$/.test(id)) continue;
    diagnostics.push({
      severity: "error",
      code: "invalid-secret",
      property: `secrets.${id}`,
      message: `"${id}" is not a secret id BuildKit accepts.`,
      hint: "Use letters, digits, '_', '.' and '-', as in RUN --mount=type=secret,id=NPM_TOKEN.",
    });
  }
}

/** `backend` names one. */
function checkBackendName(args: MultiStageImageArgs, diagnostics: Diagnostic[]): void {
  if (args.backend !== undefined && !Object.hasOwn(BACKENDS, args.backend)) {
    diagnostics.push({
      severity: "error",
      code: "invalid-backend",
      property: "backend",
      message: `${describeValue(args.backend)} is not a back end.`,
      hint: `Use one of ${Object.keys(BACKENDS)
        .map((b) => `"${b}"`)
        .join(", ")}.`,
    });
  }
}

/** Each key of `additionalImages` names resources of its own and can prefix a tag. */
function checkAdditionalImageKeys(name: string, args: MultiStageImageArgs, diagnostics: Diagnostic[]): void {
  for (const key of Object.keys(args.additionalImages ?? {})) {
    if (key === "image" || key.startsWith("image-")) {
      diagnostics.push({
        severity: "error",
        code: "invalid-additional-image",
        property: `additionalImages.${key}`,
        message: `the key "${key}" would name its resource "${name}-${key}", a name the main image's resources use (${name}-image, ${name}-image-test, ${name}-image-<n>).`,
        hint: 'Choose another key, e.g. "migrations" or "debug".',
      });
      continue;
    }
    if (isValidTag(key)) continue;
    diagnostics.push({
      severity: "error",
      code: "invalid-additional-image",
      property: `additionalImages.${key}`,
      message: `the key "${key}" cannot prefix a tag.`,
      hint: "Use letters, digits, _ . and -, starting with a letter or digit.",
    });
  }
}

/** The build args stack config sets as a secret (`pulumi config set --secret multistage:environments`): their values stay secret. */
function secretConfigBuildArgs(fromConfig: unknown): string[] {
  return isRecord(fromConfig) && isSecretConfig("multistage:environments")
    ? [
        ...new Set(
          Object.values(fromConfig).flatMap((e) =>
            isRecord(e) && isRecord(e.buildArgs) ? Object.keys(e.buildArgs) : [],
          ),
        ),
      ]
    : [];
}

/**
 * What the plans need of `signing`, read once for every image: whether a key is given, and the
 * public keys as PEM text (paths read now). A bad path is a problem of its property; keys of the
 * wrong type are left to the field check.
 */
function signingContext(args: MultiStageImageArgs, diagnostics: Diagnostic[]): SigningContext | undefined {
  const signing: unknown = args.signing;
  if (!isRecord(signing)) return undefined;
  const keys = Array.isArray(signing.publicKeys) ? (signing.publicKeys as unknown[]) : [];
  const context = { key: signing.key !== undefined, publicKeys: [] as string[] };
  if (!keys.every((k): k is string => typeof k === "string")) return context;
  try {
    return { ...context, publicKeys: readPublicKeys(keys) };
  } catch (err) {
    if (!(err instanceof MultiStageError)) throw err;
    diagnostics.push(...err.diagnostics);
    return context;
  }
}

/**
 * The args with their files made local (`localSource`): a Git `context` checked out (its commit
 * is `gitSha` unless one is given), `dockerfileInline` written and named by `dockerfile`.
 */
function withLocalSource(args: MultiStageImageArgs, diagnostics: Diagnostic[]): MultiStageImageArgs {
  const text = typeof args.dockerfileInline === "string" ? args.dockerfileInline : undefined;
  const context = typeof args.context === "string" ? args.context : undefined;
  try {
    const source = localSource({ context, dockerfileGiven: args.dockerfile !== undefined, dockerfileInline: text });
    return {
      ...args,
      ...(source.context !== undefined ? { context: source.context, gitSha: args.gitSha ?? source.commit } : {}),
      ...(source.dockerfile !== undefined ? { dockerfile: source.dockerfile } : {}),
    };
  } catch (err) {
    if (!(err instanceof MultiStageError)) throw err;
    diagnostics.push(...err.diagnostics);
    return args;
  }
}

/** Refuse every arg the chosen back end cannot pass to BuildKit, naming the ones that can. */
function validateBackendSupport(
  args: MultiStageImageArgs,
  environments: Readonly<Record<string, EnvironmentArgs>>,
  diagnostics: Diagnostic[],
): void {
  const name = args.backend ?? DEFAULT_BACKEND;
  if (!Object.hasOwn(BACKENDS, name)) return;
  const { supports } = BACKENDS[name];
  const refuse = backendRefusal(name, diagnostics);
  // Each capability the args ask for (at the first property that asks), refused when this back end lacks it.
  const use = (where: string | undefined, what: string, has: (s: BackendSupport) => boolean): void => {
    if (where !== undefined && !has(supports)) refuse(where, what, has);
  };
  const at = (field: string, asks: (value: unknown) => boolean, common = true): string | undefined =>
    usedAt(args, environments, field, asks, common);
  const given = (value: unknown): boolean => value !== undefined;
  use(Object.keys(args.secrets ?? {}).length > 0 ? "secrets" : undefined, "pass build secrets", (s) => s.secrets);
  use((args.ssh ?? []).length > 0 ? "ssh" : undefined, "forward SSH agents", (s) => s.ssh);
  checkBuilderSupport(args, name, supports, refuse, diagnostics);
  const cacheOn =
    (args.registryCache !== undefined && args.registryCache !== false) ||
    Object.values(environments).some((e) => e.registryCache === true);
  use(cacheOn ? "registryCache" : undefined, "export a registry cache", (s) => s.registryCache);
  const several = (p: unknown): boolean => Array.isArray(p) && p.length > 1;
  use(at("platforms", several), "build several platforms into one index", (s) => s.multiPlatform);
  use(at("promoteFrom", given, false), "promote another environment's image", (s) => s.promotion);
  use(at("sizeBudget", given, false), "measure the pushed image against a size budget", (s) => s.sizeBudget);
  // Without registry.username/password the budget is measured with the machine's own login (or
  // anonymously): the pipeline never skips it, and a registry that refuses says what is missing.
  use(
    (args.volatileArgs ?? []).length > 0 ? "volatileArgs" : undefined,
    "keep a build arg's new value from rebuilding the image (its provider diffs every build arg)",
    (s) => s.volatileArgs,
  );
  if (checkDeletePushedImages(args, diagnostics))
    use(
      args.deletePushedImages === true ? "deletePushedImages" : undefined,
      "delete pushed images from the registry",
      (s) => s.deleteImages,
    );
  const attests = (a: unknown): boolean => a === true || (isRecord(a) && !!(a.provenance || a.sbom));
  use(at("attestations", attests), "attach attestations", (s) => s.attestations);
  use(
    args.engine !== undefined && args.engine !== "docker" ? "engine" : undefined,
    `build with ${args.engine} (its provider runs the Docker CLI or BuildKit)`,
    (s) => s.daemonless,
  );
  use(args.signing !== undefined ? "signing" : undefined, "sign images or verify their signatures", (s) => s.release);
  use(at("releaseGate", given, false), "run a release gate before the release tags", (s) => s.release);
  const nonEmpty = (v: unknown): boolean =>
    v !== undefined && v !== false && !(typeof v === "object" && v !== null && !Object.keys(v).length);
  for (const input of BUILD_INPUTS) use(at(input, nonEmpty), `pass ${input}`, (s) => s.inputs.includes(input));
  use(otherCacheEntry(args, environments), "read a cache other than an image", (s) => s.cacheEntries);
}

/** What refuses a capability the back end `name` lacks, naming the back ends that have it. */
function backendRefusal(
  name: string,
  diagnostics: Diagnostic[],
): (property: string, what: string, has: (s: BackendSupport) => boolean) => void {
  return (property, what, has) =>
    void diagnostics.push({
      severity: "error",
      code: "invalid-backend",
      property,
      message: `the ${name} back end cannot ${what}.`,
      hint: `Use backend ${ableBackends(has)}.`,
    });
}

/** The back ends that have a capability, as a hint names them. */
function ableBackends(has: (s: BackendSupport) => boolean): string {
  return Object.entries(BACKENDS)
    .filter(([, b]) => has(b.supports))
    .map(([n]) => `"${n}"`)
    .join(" or ");
}

/** The first property that asks `asks` of `field`: the common arg (unless `common` is false), then each environment's. */
function usedAt(
  args: MultiStageImageArgs,
  environments: Readonly<Record<string, EnvironmentArgs>>,
  field: string,
  asks: (value: unknown) => boolean,
  common = true,
): string | undefined {
  const places: Array<[string, unknown]> = [
    ...(common ? [[field, (args as unknown as Record<string, unknown>)[field]] as [string, unknown]] : []),
    ...Object.entries(environments).map(
      ([k, e]) => [`environments.${k}.${field}`, (e as Record<string, unknown>)[field]] as [string, unknown],
    ),
  ];
  return places.find(([, v]) => asks(v))?.[0];
}

/** `builder` on a back end that takes none, or an endpoint on one that takes buildx builders by name only. */
function checkBuilderSupport(
  args: MultiStageImageArgs,
  name: string,
  supports: BackendSupport,
  refuse: (property: string, what: string, has: (s: BackendSupport) => boolean) => void,
  diagnostics: Diagnostic[],
): void {
  if (args.builder === undefined) return;
  if (supports.builder === "none") refuse("builder", "build on another builder", (s) => s.builder !== "none");
  else if (isBuilderEndpoint(args.builder) && supports.builder === "name")
    diagnostics.push({
      severity: "error",
      code: "invalid-backend",
      property: "builder",
      message: `the ${name} back end selects buildx builders by name only, not by endpoint.`,
      hint: `Register it once (docker buildx create --name farm --driver remote <endpoint>) and pass builder: "farm", or use backend ${ableBackends((s) => s.builder === "any")}.`,
    });
}

/** `deletePushedImages` is a boolean (or absent); false when it is refused as another type. */
function checkDeletePushedImages(args: MultiStageImageArgs, diagnostics: Diagnostic[]): boolean {
  if (args.deletePushedImages === undefined || typeof args.deletePushedImages === "boolean") return true;
  diagnostics.push({
    severity: "error",
    code: "invalid-backend",
    property: "deletePushedImages",
    message: `deletePushedImages must be true or false, got ${JSON.stringify(args.deletePushedImages)}.`,
    hint: "Leave it out to keep pushed images, or set deletePushedImages: true to delete them with their resource.",
  });
  return false;
}

/** The first cache entry known now that is not an image (cacheFrom may be an Output: the back end refuses it when it resolves). */
function otherCacheEntry(
  args: MultiStageImageArgs,
  environments: Readonly<Record<string, EnvironmentArgs>>,
): string | undefined {
  const entries = [
    ...(Array.isArray(args.cacheFrom) ? args.cacheFrom.map((e, i) => [`cacheFrom[${i}]`, e] as const) : []),
    ...Object.entries(environments).flatMap(([k, e]) =>
      (e.cacheFrom ?? []).map((entry, i) => [`environments.${k}.cacheFrom[${i}]`, entry] as const),
    ),
  ];
  return entries.find(([, e]) => typeof e === "string" && cacheImage(e) === undefined)?.[0];
}

/**
 * What the field walk cannot say as well: a missing `context` (the one required arg), said with
 * what it is.
 */
function checkContextGiven(args: MultiStageImageArgs, diagnostics: Diagnostic[]): void {
  if ((args as { context?: unknown }).context === undefined || (args as { context?: unknown }).context === null)
    diagnostics.push({
      severity: "error",
      code: "invalid-argument",
      property: "context",
      message: "is missing: the build context, the folder the Dockerfile's COPY instructions read from.",
      hint: 'Set context, e.g. context: "./app".',
    });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
