/**
 * The args that decide a plan, declared once: the component's `MultiStageImageArgs` derive
 * from `PlanArgs` (the late ones as Pulumi inputs), the plan takes them as `BuildPlanOptions`,
 * and the CLI's `--config` file holds them as JSON. One shape check and one mapping serve all.
 * Pure.
 */
import type { Diagnostic } from "../dockerfile";
import { didYouMean, excerpt } from "../dockerfile";
import type {
  AttestationArgs,
  AttestationStore,
  BuilderEndpointArgs,
  BuilderTlsArgs,
  RegistryCacheArgs,
  SshArgs,
} from "./builder";
import {
  BOOLEAN,
  type BuildColumn,
  type CarryingBackend,
  type FieldSpec,
  type FieldTable,
  type Fields,
  NUMBER,
  STRING,
  STRINGS,
  STRING_MAP,
  allowedValues,
  buildInput,
  buildSetting,
  checkField,
  listFlag,
  switchFlag,
  valueFlag,
  NO_CREDENTIALS,
  credentialFree,
  describeValue,
  isEventual,
  late,
  object,
} from "./fields";
import { type EnvironmentArgs, type EnvironmentKind, type ReleaseGateArgs, parseSize } from "./environments";
import type { SigningContext } from "./release";
import type { TagStrategy } from "./tags";
import type { EngineName } from "./engine";

/** The network `RUN` instructions get (`--network`). */
export type NetworkMode = "default" | "host" | "none";
/** `--network`'s values. */
export const NETWORK_MODES: Record<NetworkMode, true> = { default: true, host: true, none: true };

/** The args of `MultiStageImage` that decide the plan, with every value known. */
export interface PlanArgs {
  /**
   * Build context directory (relative to the Pulumi program), or a Git repository as buildx
   * writes it (`https://…/app.git#ref:dir`, `git@…`, `git://…`): checked out at the commit its ref
   * names now (with the machine's Git credentials; a URL holding a token is refused), built as a
   * folder by every back end, and that commit is `gitSha` unless one is given.
   */
  readonly context: string;
  /** Dockerfile path (relative to the Pulumi program). @default `<context>/Dockerfile` */
  readonly dockerfile?: string;
  /**
   * The Dockerfile's text, instead of a file (Bake's `dockerfile-inline`, docker-build's
   * `dockerfile.inline`): written to a file of its own that every builder and the test gate read; diagnostics
   * name it `dockerfileInline`. Not with `dockerfile`.
   * @example "FROM nginx:1.27-alpine\nCOPY site /usr/share/nginx/html\n"
   */
  readonly dockerfileInline?: string;
  /**
   * Per-environment settings, keyed by environment name (`dev`, `staging`, `production`…): each
   * setting below combines with the common arg of the same name as that arg says. Stack config
   * `multistage:environments` is merged over these by the same rules. Plain values (they decide the target).
   * @default {}
   * @example
   * {
   *   dev: { target: "builder", buildArgs: { NODE_ENV: "development" } },
   *   production: { buildArgs: { NODE_ENV: "production" }, platform: "linux/amd64" },
   * }
   */
  readonly environments?: Readonly<Record<string, EnvironmentArgs>>;
  /**
   * Stage to build in every environment, overriding the environment defaults.
   * @default the environment's `target`; else, in development, the first of `devTargets` the Dockerfile has; else the final stage
   */
  readonly target?: string;
  /**
   * Named build contexts (buildx's `--build-context`, Bake's `contexts`): a name the Dockerfile
   * uses in `FROM` or `--from=`, served from a directory (a path) or an image
   * (`docker-image://ref`). Keyed by an image's name, an image context routes that base image
   * through a mirror or a pull-through cache without editing the Dockerfile; its digest counts in
   * the inputs like any base's. A directory context counts by the files the closure copies from it.
   * Needs a `builder`.
   * @example { shared: "../libs/shared", "node:20": "docker-image://123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/node:20" }
   */
  readonly contexts?: Readonly<Record<string, string>>;
  /**
   * Stage names tried, in order, for development environments with no configured target.
   * @default ["dev", "development", "develop", "builder", "build"]
   */
  readonly devTargets?: readonly string[];
  /**
   * Build args for every environment. Values land in the image history and the state, so
   * secrets are refused (pass them as `secrets`).
   * @default {}
   */
  readonly buildArgs?: Readonly<Record<string, string>>;
  /**
   * Build args passed to the build but left out of the inputs hash that decides whether the
   * image is rebuilt: a build number, a timestamp, a short-lived token. A change of their
   * value alone rebuilds nothing; the next build for another reason gets the new value.
   * @example ["BUILD_NUMBER"]
   */
  readonly volatileArgs?: readonly string[];
  /**
   * The test gate: in production, this stage is built first (its RUNs run the tests) and the
   * image is pushed only if it builds; a failure stops `pulumi up` with the test output and pushes nothing.
   * `false` turns it off; `true` requires the default one (refused when the Dockerfile has no
   * `test`, `tests` or `tester` stage). Plain value: it decides the resources.
   * @default the first of `test`, `tests`, `tester` the Dockerfile has
   * @example "unit-tests"
   */
  readonly testStage?: string | boolean;
  /** Target platform, e.g. `linux/arm64`. @example "linux/arm64" */
  readonly platform?: string;
  /**
   * Target platforms: one push makes one index with an image per platform, and `imageUri` pins
   * the index. Needs a `builder` (the Docker engine's own builder makes one platform at a time).
   * @example ["linux/amd64", "linux/arm64"]
   */
  readonly platforms?: readonly string[];
  /**
   * The BuildKit builder: the name of a buildx builder (`docker buildx ls`; `docker-container`,
   * `remote` or `kubernetes` driver), or a BuildKit endpoint (`tcp://…`, `unix://…`, with TLS
   * files) for a shared build farm, for which a `remote` builder is registered (the
   * `docker-cli` back end; `docker-build` takes names).
   * @default the Docker engine's own builder
   * @example "ci-farm"
   * @example { endpoint: "tcp://buildkit.internal:1234", tls: { caCert: "ca.pem", cert: "cert.pem", key: "key.pem" } }
   */
  readonly builder?: string | BuilderEndpointArgs;
  /**
   * The registry cache: each build exports its layers (`mode=max`: every stage's) to
   * `<repository>:cache-<target>-<env>` (an OCI image manifest, the shape ECR accepts) and
   * reads its own and, where they share stages, other environments' caches first. A created
   * ECR repository that is IMMUTABLE lets `cache-*` tags move.
   * @default true when `builder` is set
   * @example { mode: "max", fromEnvironments: ["dev"] }
   */
  readonly registryCache?: boolean | RegistryCacheArgs;
  /**
   * Provenance and an SPDX SBOM. `true` is provenance mode max plus an SBOM. `store: "referrers"`
   * (the default when the environment signs) attaches them beside the image as signed in-toto
   * attestations, so the image stays one manifest; `"index"` (the default otherwise) has BuildKit
   * push them with it, which makes an index that some ECS and Lambda setups refuse. `docker-cli` only.
   * @default false
   */
  readonly attestations?: boolean | AttestationArgs;
  /**
   * SSH agents forwarded for `RUN --mount=type=ssh` (private Git dependencies): the agent at
   * `$SSH_AUTH_SOCK`, or key files. Nothing of them reaches the image or the state. A required
   * mount without its forwarding is refused before anything is created.
   * @example [{ id: "default" }]
   * @example [{ id: "github", paths: ["/home/ci/.ssh/id_ed25519"] }]
   */
  readonly ssh?: readonly SshArgs[];
  /**
   * How the release's unique tags are made: a template with `{env}`, `{target}`, `{gitSha}`,
   * `{gitShortSha}`, `{version}`, `{inputsHash}` (12 hex digits of the target's inputs hash); a
   * list of such templates (a tag each: the form every Pulumi language can pass); or, in
   * TypeScript, a function of those values returning tags. Into an IMMUTABLE repository (what the
   * component creates for production), a template without `{gitSha}`, `{gitShortSha}`, `{version}`
   * or `{inputsHash}` is refused: it would tag every release the same. With more than one
   * environment, a template without `{env}` or `{inputsHash}` is refused (two environments would
   * push one tag for different images), unless the other environment promotes this one's image.
   * Tags starting with `cache-` are the registry cache's, refused here, in `tags` and in `movingTags`.
   * @default "{env}-{gitShortSha}" (or "{env}-{inputsHash}" when the commit is unknown)
   * @example "v{version}-{gitShortSha}"
   * @example ["{env}-{gitShortSha}", "build-{target}"]
   * @example (c) => [`${c.env}-${c.gitSha?.slice(0, 7)}`, `build-${c.target}`]
   */
  readonly tagStrategy?: TagStrategy;
  /** Extra fixed tags for every environment. @default [] */
  readonly tags?: readonly string[];
  /**
   * Tags moved on every release, e.g. `["latest"]`. Never the only reference; refused on
   * IMMUTABLE repositories.
   * @default []
   */
  readonly movingTags?: readonly string[];
  /**
   * Commit of the source: `{gitSha}` and `{gitShortSha}` in the tag templates, and the revision label.
   * @default CI variables, then `git rev-parse HEAD` in the context
   */
  readonly gitSha?: string;
  /** Release version: `{version}` in the tag templates, and the version label. */
  readonly version?: string;
  /**
   * Caches to read (`--cache-from`), as buildx and Bake write them: an image (the repository's
   * previous release), or an entry `type=local,src=…`, `type=gha,scope=…`,
   * `type=s3,bucket=…,region=…`, `type=registry,ref=…` (all but images and registry entries need a
   * `builder`). Credentials stay in the environment (`AWS_*`, `ACTIONS_RUNTIME_TOKEN`): an entry
   * holding one is refused.
   * @default []
   * @example ["type=local,src=/var/cache/buildkit/app"]
   */
  readonly cacheFrom?: readonly string[];
  /**
   * Caches to export (`--cache-to`), besides the registry cache: `type=local,dest=…,mode=max`,
   * `type=gha,scope=…`, `type=s3,bucket=…,region=…`, `type=registry,ref=…`, `type=inline`. Needs a
   * `builder`. Exported with the image's build, not the test gate's. Plain values.
   * @example ["type=local,dest=/var/cache/buildkit/app,mode=max"]
   */
  readonly cacheTo?: readonly string[];
  /**
   * Also load the image into the local Docker engine (`--load`), for a test run beside the push.
   * The Docker engine's own builder always does; with a builder, one platform only.
   * @default false
   */
  readonly load?: boolean;
  /**
   * Outputs besides the registry, as buildx writes them: an OCI or Docker tarball
   * (`type=oci,dest=app.tar`, `type=docker,dest=app.tar`) for an air-gapped hand-off, the
   * filesystem (`type=tar,dest=fs.tar`, `type=local,dest=out`). Written when the image is built
   * (an image found in the registry by its inputs is not rebuilt, so nothing is written then).
   * Needs a `builder`. Plain values.
   * @example ["type=oci,dest=dist/app.oci.tar"]
   */
  readonly exports?: readonly string[];
  /**
   * What builds and pushes for the `docker-cli` back end: the Docker CLI (`docker`, with BuildKit),
   * or a daemonless engine, `podman` or `buildah`, for hosts without a Docker daemon (rootless
   * runners, RHEL/Fedora fleets, pods without a socket; see the README's "No Docker daemon"). The same pipeline runs above it (registry
   * first, the test gate, the closure, push, confirm, size, tags, promotion, refresh). A daemonless
   * engine refuses what only BuildKit's builders do: `builder`, several `platforms`, attestations
   * in the index, BuildKit caches, `load`, `RUN --mount=type=secret,env=…`.
   * @default "docker"
   */
  readonly engine?: EngineName;
  /**
   * Reproducible digests: the build runs with `SOURCE_DATE_EPOCH` (the commit's time, or 0 when
   * the commit is unknown) and BuildKit rewrites every file's and the config's timestamps to it,
   * so the same inputs at the same commit give the same digest on any builder with the same base
   * images, caches or not (`test/integration/reproducible.test.ts` builds the seed apps'
   * production images on two fresh BuildKit daemons and gets one digest each). What a `RUN`
   * writes is the Dockerfile's: npm's clock-named logs or Go's build cache differ from build to
   * build. Needs a `builder` (the Docker engine's own cannot rewrite timestamps); attestations
   * carry their own build times, so turn them off for a reproducible digest.
   * @default false
   */
  readonly reproducible?: boolean;
  /**
   * Accept build args whose names look like secrets (`*_TOKEN`, `*PASSWORD*`…) or whose
   * values are Pulumi secrets; their values end up in the image history, and show as
   * `[secret]` in outputs.
   * @default false
   */
  readonly allowSecretLikeBuildArgs?: boolean;
  /**
   * Labels set on the image (`LABEL`s in its config, what registries and scanners read), over the
   * default ones (`defaultLabels`). Their values land in the image, so secrets are refused. They
   * change the inputs hash (a label is part of the image), except the default revision and
   * version, which name the release: their new value alone rebuilds nothing.
   * @default the OCI labels of `defaultLabels`
   * @example { "org.opencontainers.image.description": "The checkout API", "com.example.team": "payments" }
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Fill the OCI labels from what the component knows: `org.opencontainers.image.source` (the
   * Git remote, or CI's repository URL, without credentials), `.revision` (the commit), `.version`
   * (`version`), and `dev.multistage.target` (the stage built). `revision` and `version` name the
   * release, not the content: their new value alone rebuilds nothing, so an image found by its
   * inputs keeps the ones of the build that made it. `labels` override any of them.
   * @default true
   */
  readonly defaultLabels?: boolean;
  /**
   * OCI annotations on the image manifest (`--annotation`). Needs a `builder` (BuildKit's
   * exporter writes them). Part of the inputs hash.
   * @example { "org.opencontainers.image.description": "The checkout API" }
   */
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * The network `RUN` instructions get: `"none"` for builds that must not reach the network,
   * `"host"` (needs the builder's `network.host` entitlement). Changes how the build runs, not the inputs hash.
   * @default the builder's own ("default")
   */
  readonly network?: NetworkMode;
  /**
   * Extra `/etc/hosts` entries for `RUN`: `name:ip`, or `name:host-gateway` for the builder's host.
   * @example ["registry.internal:10.0.0.5"]
   */
  readonly addHosts?: readonly string[];
  /**
   * Build every stage without the build cache when the image is built (registry first still
   * applies: an image with these inputs in the registry is not rebuilt). @default false
   */
  readonly noCache?: boolean;
  /** Stages built without the cache (`--no-cache-filter`), the others from it. @example ["deps"] */
  readonly noCacheFilter?: readonly string[];
  /** Pull every base image afresh, even when the builder holds it. @default false */
  readonly pull?: boolean;
  /**
   * `/dev/shm`'s size for `RUN` (bytes, or `"64MB"`): browsers and test runners need more.
   * @default the builder's
   */
  readonly shmSize?: number | string;
  /**
   * `RUN`'s resource limits, `name=soft[:hard]`.
   * @default the builder's
   * @example ["nofile=65535:65535"]
   */
  readonly ulimits?: readonly string[];
  /**
   * Privileged entitlements the build may use (buildx's `--allow`, Bake's `entitlements`):
   * `"security.insecure"` for `RUN --security=insecure`, `"device"` for `RUN --device`. The
   * builder must grant them too (buildkitd's `--allow-insecure-entitlement`). A RUN that needs
   * one that is not here is refused by its line before anything is created.
   * @example ["security.insecure"]
   */
  readonly allow?: ReadonlyArray<"security.insecure" | "device">;
}

/** The late plan args, resolved: every key present (a value or `undefined`). */
export type LatePlanInputs = { [K in LatePlanArg]: PlanArgs[K] };

/** Another target of the same Dockerfile published beside the main image (`additionalImages.<name>`). */
export interface AdditionalImageOptions {
  /** The key in `additionalImages`: used in property paths and as the tag prefix. */
  readonly name: string;
  /** Stage to build: one name for every environment, or a name per environment. */
  readonly target: string | Readonly<Record<string, string>>;
  /** Build args merged over the common and the environment's ones. */
  readonly buildArgs?: Readonly<Record<string, string>>;
}

/** What a plan is made from: the plan args, plus what the caller decides (environment, secret ids, image). */
export interface BuildPlanOptions extends PlanArgs {
  /** Environment (stack) name. */
  readonly environment: string;
  /** Ids of the build secrets given (`RUN --mount=type=secret,id=…`); their values never enter a plan. */
  readonly secrets?: readonly string[];
  /** Plan an additional image of the Dockerfile instead of the main one. */
  readonly image?: AdditionalImageOptions;
  /** The repository refuses to move a tag (an IMMUTABLE ECR repository): release tags must differ per release. */
  readonly immutableTags?: boolean;
  /** Where the source is (`https://…`), for the default `org.opencontainers.image.source` label. */
  readonly sourceUrl?: string;
  /** The commit's time in seconds (`git show -s --format=%ct`), for `reproducible`. */
  readonly sourceDateEpoch?: number;
  /** Whether the component signs (its key's value never enters a plan) and the public keys it trusts. */
  readonly signing?: SigningContext;
}

/** What the caller of `toPlanOptions` decides beside the args. */
export interface PlanContext {
  readonly environment: string;
  /** The environments to plan with, when not the args' own (the component merges stack config over them). */
  readonly environments?: Readonly<Record<string, EnvironmentArgs>>;
  /** The commit found in the context or CI, used when the args name none. */
  readonly detectedGitSha?: string;
  /** The source's URL found in CI or the Git remote (`detectSourceUrl`). */
  readonly sourceUrl?: string;
  /** The commit's time (`commitTime`), for `reproducible`. */
  readonly sourceDateEpoch?: number;
  readonly secrets?: readonly string[];
  readonly image?: AdditionalImageOptions;
  readonly immutableTags?: boolean;
  readonly signing?: SigningContext;
}

/**
 * The one mapping from args to plan options, for the component and the CLI: the plan args
 * (and nothing else) of `args`, with the caller's environment, secret ids and image.
 */
export function toPlanOptions(args: PlanArgs, context: PlanContext): BuildPlanOptions {
  const picked: Record<string, unknown> = {};
  for (const key of PLAN_ARG_KEYS) if (args[key] !== undefined) picked[key] = args[key];
  const { detectedGitSha, ...given } = context;
  return {
    ...(picked as Partial<PlanArgs>),
    ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)),
    context: args.context,
    environment: context.environment,
    gitSha: args.gitSha ?? detectedGitSha,
  };
}

/**
 * Check the type of every plan arg in `args` that is set and known now (`isLate` tells the
 * ones a program passed as Outputs, checked by the plan once they resolve). `unknownFields`
 * also refuses keys that are not plan args, naming the closest (for the CLI's `--config`,
 * whose other fields it lists in `extraFields`). Environments get their own field-by-field check.
 * @returns true when every checked arg has the right shape
 */
export function validatePlanArgs(
  args: object,
  diagnostics: Diagnostic[],
  options: {
    isLate?: (value: unknown) => boolean;
    unknownFields?: boolean;
    extraFields?: readonly string[];
    skip?: readonly string[];
  } = {},
): boolean {
  const before = diagnostics.length;
  const known: readonly string[] = [...PLAN_ARG_KEYS, ...(options.extraFields ?? [])];
  for (const [key, value] of Object.entries(args) as Array<[string, unknown]>) {
    if (!Object.hasOwn(PLAN_FIELDS, key)) {
      if (!options.unknownFields || known.includes(key)) continue;
      diagnostics.push({
        severity: "error",
        code: "invalid-argument",
        property: key,
        message: `is not an argument that decides the plan.${didYouMean(key, known)}`,
        hint: `The plan arguments: ${known.join(", ")}.`,
      });
      continue;
    }
    if (value === undefined || options.skip?.includes(key) || options.isLate?.(value)) continue;
    if (key === "environments") validEnvironments(value, key, diagnostics);
    else checkFields(key, value, diagnostics);
  }
  return diagnostics.length === before;
}

/**
 * The one message for a value of the wrong type: `<property>: must be <expected>, got <value>`.
 * @internal
 */
export function wrongType(
  property: string,
  expected: string,
  value: unknown,
  code: "invalid-argument" | "invalid-environment" = "invalid-argument",
  see = "MultiStageImageArgs",
): Diagnostic {
  return {
    severity: "error",
    code,
    property,
    message: `must be ${expected}, got ${describeValue(value)}.`,
    hint: `Fix its type; see ${see}.`,
  };
}

/** Checks beyond the shape: an object arg's fields and allowed values (`PLAN_FIELDS`), and a commit that is one. */
function checkFields(key: string, value: unknown, diagnostics: Diagnostic[]): void {
  checkField(value, PLAN_FIELDS[key as keyof PlanArgs], key, diagnostics, {
    code: "invalid-argument",
    see: "MultiStageImageArgs",
  });
  if (key === "gitSha") checkGitSha(value, diagnostics);
}

/** `gitSha`, when it is a string, is a commit: it goes into the release tags. */
export function checkGitSha(value: unknown, diagnostics: Diagnostic[]): void {
  if (typeof value === "string" && !isCommit(value))
    diagnostics.push({
      severity: "error",
      code: "invalid-argument",
      property: "gitSha",
      message: `"${excerpt(value)}" is not a commit (7 to 64 hexadecimal digits); it goes into the release tags.`,
      hint: "Pass the commit's SHA (e.g. process.env.GITHUB_SHA), or leave gitSha out to read it from CI or git.",
    });
}

/** A commit as `{gitSha}` takes it: 7 to 64 hexadecimal digits (the one test for gitSha, CI variables, the CLI's). */
export function isCommit(value: string): boolean {
  return /^[0-9a-f]{7,64}$/i.test(value);
}

const KINDS: readonly EnvironmentKind[] = ["development", "staging", "production"];

/** Environments come from code and from YAML config: check their shape field by field, keeping the valid fields. */
export function validEnvironments(
  value: unknown,
  property: string,
  diagnostics: Diagnostic[],
): Record<string, EnvironmentArgs> {
  const valid: Record<string, Record<string, unknown>> = {};
  const problem = (path: string, message: string, hint: string): void => {
    diagnostics.push({ severity: "error", code: "invalid-environment", property: path, message, hint });
  };
  const wrong = (path: string, expected: string, got: unknown): void => {
    diagnostics.push(wrongType(path, expected, got, "invalid-environment", "EnvironmentArgs"));
  };
  // An Output decides the plan too late: said as the field walk says it, not read as a map.
  const eventual = (v: unknown, path: string): boolean =>
    isEventual(v) &&
    !checkField(v, { type: "any" }, path, diagnostics, { code: "invalid-environment", see: "EnvironmentArgs" });
  if (eventual(value, property)) return {};
  if (!isRecord(value)) {
    wrong(property, "a map of environment names to settings", value);
    return {};
  }
  for (const [env, settings] of Object.entries(value)) {
    valid[env] = {};
    if (eventual(settings, `${property}.${env}`)) continue;
    if (!isRecord(settings)) {
      wrong(`${property}.${env}`, "an object of settings", settings);
      continue;
    }
    for (const [field, v] of Object.entries(settings)) {
      const path = `${property}.${env}.${field}`;
      const spec = (ENVIRONMENT_SPEC.fields as FieldTable)[field];
      if (!spec) {
        const fields = Object.keys(ENVIRONMENT_SPEC.fields);
        problem(path, `is not a setting.${didYouMean(field, fields)}`, `Use ${fields.join(", ")}.`);
      } else if (field === "kind" && typeof v === "string" && !KINDS.includes(v as EnvironmentKind)) {
        problem(
          path,
          `must be one of ${KINDS.join(", ")}, got ${describeValue(v)}.`,
          "Or leave it out to infer it from the name.",
        );
      } else if (checkField(v, spec, path, diagnostics, { code: "invalid-environment", see: "EnvironmentArgs" })) {
        // Only a field that passes its entry (its type, its form, no credential where its values are kept) is kept.
        valid[env][field] = v;
      }
    }
  }
  return valid as Record<string, EnvironmentArgs>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const BUILDER_TLS = object<BuilderTlsArgs>("BuilderTlsArgs", {
  caCert: STRING,
  cert: STRING,
  key: STRING,
  serverName: STRING,
});
/** The fixes said when a kept field holds a credential (see `credentialFree`). */
export const BUILD_ARG_FIX =
  "Build args are kept in the image's history and the state: pass it as a secret (secrets: { NAME: … }, read with RUN --mount=type=secret,id=NAME), e.g. a package index's URL with its token.";
const LABEL_FIX = "Labels and annotations are in the image for anyone who pulls it: leave the credential out.";
const GATE_FIX =
  "The gate runs with this process's environment: read the token from a variable in the command (e.g. $SCANNER_TOKEN) instead of writing it there.";
const GIT_FIX =
  "Leave it out of the URL and let Git find it: a credential helper (git config credential.helper), or an SSH URL and agent.";
const MODE = allowedValues<RegistryCacheArgs["mode"] & string>({ min: true, max: true });

/** A size: bytes, or a number with a unit. */
const SIZE: FieldSpec = {
  type: "oneOf",
  options: [NUMBER, STRING],
  expected: 'a size: bytes, or "120MB", "1.5GB", "800kB"',
  form: (value) => parseSize(value as string | number) !== undefined,
};

const ATTESTATIONS: FieldSpec = {
  type: "oneOf",
  expected: "true, false, or { provenance?, sbom?, store? }",
  options: [
    BOOLEAN,
    object<AttestationArgs>("AttestationArgs", {
      provenance: { type: "oneOf", options: [BOOLEAN, MODE] },
      sbom: BOOLEAN,
      store: allowedValues<AttestationStore>({ index: true, referrers: true }),
    }),
  ],
};

/** Each environment setting, declared once (`validEnvironments` checks their types, stack config included). */
export const ENVIRONMENT_SPEC = object<EnvironmentArgs>("EnvironmentArgs", {
  kind: allowedValues<EnvironmentKind>({ development: true, staging: true, production: true }),
  target: { ...STRING, combines: "yields" },
  buildArgs: { ...credentialFree(STRING_MAP, BUILD_ARG_FIX), combines: "merged" },
  tags: { ...STRINGS, combines: "added" },
  platform: { ...STRING, combines: "replaces" },
  platforms: { ...STRINGS, combines: "replaces" },
  registryCache: { ...BOOLEAN, combines: "replaces" },
  allowNonFinalTarget: BOOLEAN,
  allowUnpinnedBaseImages: BOOLEAN,
  allowUnsetBuildArgs: BOOLEAN,
  promoteFrom: STRING,
  promoteRepository: credentialFree(STRING),
  sizeBudget: SIZE,
  labels: { ...credentialFree(STRING_MAP, LABEL_FIX), combines: "merged" },
  annotations: { ...credentialFree(STRING_MAP, LABEL_FIX), combines: "merged" },
  cacheFrom: { ...credentialFree(STRINGS), combines: "added" },
  cacheTo: { ...credentialFree(STRINGS), combines: "added" },
  attestations: { ...ATTESTATIONS, combines: "replaces" },
  signing: { ...BOOLEAN, combines: "switches" },
  releaseGate: object<ReleaseGateArgs>(
    "ReleaseGateArgs",
    { command: credentialFree(STRING, GATE_FIX), timeoutSeconds: NUMBER },
    { expected: "{ command, timeoutSeconds? }" },
  ),
});

/**
 * Merge per-environment settings: `override` (e.g. stack config) over `base` (e.g. code),
 * field by field, each as its entry `combines` (build args and labels merge by name, tags and
 * caches add up, the others are replaced).
 */
export function mergeEnvironments(
  base: Readonly<Record<string, EnvironmentArgs>>,
  override: Readonly<Record<string, EnvironmentArgs>>,
): Record<string, EnvironmentArgs> {
  const merged: Record<string, EnvironmentArgs> = { ...base };
  for (const [name, settings] of Object.entries(override)) {
    const current: Record<string, unknown> = { ...merged[name] };
    for (const [field, value] of Object.entries(settings) as Array<[string, unknown]>) {
      const rule = (ENVIRONMENT_SPEC.fields as FieldTable)[field]?.combines;
      const before = current[field];
      if (rule === "merged" && isRecord(before) && isRecord(value)) current[field] = { ...before, ...value };
      else if (rule === "added" && Array.isArray(before) && Array.isArray(value))
        current[field] = [...new Set([...before, ...value])];
      else current[field] = value;
    }
    merged[name] = current as EnvironmentArgs;
  }
  return merged;
}

/** Every plan arg, declared once: its type, allowed values and nested fields (see `fields.ts`). */
export const PLAN_FIELDS = {
  context: late(credentialFree(STRING, GIT_FIX)),
  dockerfile: late(STRING),
  dockerfileInline: STRING,
  environments: { type: "map", of: ENVIRONMENT_SPEC },
  target: late(STRING),
  contexts: buildInput(credentialFree(STRING_MAP), ["docker-build"]),
  devTargets: STRINGS,
  buildArgs: late(credentialFree(STRING_MAP, BUILD_ARG_FIX)),
  volatileArgs: STRINGS,
  testStage: { type: "oneOf", options: [STRING, BOOLEAN], expected: "a stage name, true or false" },
  platform: late(STRING),
  platforms: STRINGS,
  builder: {
    type: "oneOf",
    credentialFree: NO_CREDENTIALS,
    expected: "a builder name, or { endpoint, tls? }",
    options: [
      STRING,
      object<BuilderEndpointArgs>(
        "BuilderEndpointArgs",
        { endpoint: STRING, tls: BUILDER_TLS },
        { required: ["endpoint"] },
      ),
    ],
  },
  registryCache: {
    type: "oneOf",
    expected: "true, false, or { mode?, fromEnvironments? }",
    options: [
      BOOLEAN,
      object<RegistryCacheArgs>("RegistryCacheArgs", {
        mode: MODE,
        fromEnvironments: { type: "oneOf", options: [STRINGS, BOOLEAN] },
      }),
    ],
  },
  attestations: ATTESTATIONS,
  ssh: {
    type: "list",
    of: object<SshArgs>("SshArgs", { id: STRING, paths: STRINGS }, { required: ["id"] }),
    expected: "a list of { id, paths? }",
  },
  tagStrategy: {
    type: "oneOf",
    options: [STRING, STRINGS, { type: "function" }],
    expected: "a template string, a list of templates, or a function returning tags",
  },
  tags: STRINGS,
  movingTags: STRINGS,
  gitSha: STRING,
  version: STRING,
  cacheFrom: late(credentialFree(STRINGS)),
  cacheTo: buildInput(credentialFree(STRINGS), ["docker-build"]),
  // docker builds in the local engine, so the image is loaded there anyway.
  load: buildInput(BOOLEAN, ["docker-build", "docker"]),
  exports: buildInput(credentialFree(STRINGS), ["docker-build"]),
  reproducible: buildInput(BOOLEAN, []),
  engine: allowedValues<EngineName>({ docker: true, podman: true, buildah: true }),
  allowSecretLikeBuildArgs: BOOLEAN,
  // Labels: the engine's builder would take them, but the docker provider's build block has none.
  labels: buildInput(credentialFree(STRING_MAP, LABEL_FIX), ["docker-build"]),
  defaultLabels: BOOLEAN,
  // docker-build's Image has annotations only on an exporter, which replaces its push.
  annotations: buildInput(credentialFree(STRING_MAP, LABEL_FIX), []),
  network: buildSetting(allowedValues<NetworkMode>(NETWORK_MODES), valueFlag<NetworkMode>("--network", "network"), [
    "docker-build",
    "docker",
  ]),
  addHosts: buildSetting(
    STRINGS,
    listFlag("--add-host", "extra-hosts", {
      // Bake: a map of name to address (the plan checked `name:ip`; an IPv6 address keeps its colons).
      bakeValue: (hosts) =>
        hosts.length ? Object.fromEntries(hosts.map((h) => /^([^:]+):(.*)$/.exec(h)?.slice(1) ?? [h, ""])) : undefined,
    }),
    ["docker-build", "docker"],
  ),
  noCache: buildSetting(BOOLEAN, switchFlag("--no-cache", "no-cache"), ["docker-build"]),
  // The Docker engine's own builder (20.10) has no --no-cache-filter, and takes --shm-size and
  // --ulimit but leaves RUN with its defaults (measured): refused without a builder rather than dropped.
  noCacheFilter: buildSetting(
    STRINGS,
    listFlag("--no-cache-filter", "no-cache-filter", {
      buildxOnly: true,
      needsBuilder: { why: "has no --no-cache-filter", or: ", or use noCache: true to rebuild every stage" },
    }),
    [],
  ),
  pull: buildSetting(BOOLEAN, switchFlag("--pull", "pull"), ["docker-build"]),
  shmSize: buildSetting(
    SIZE,
    valueFlag<number>("--shm-size", "shm-size", {
      // Bytes; a size that is none was refused by the plan (planBuildSettings).
      settle: (given) => {
        const bytes = given === undefined ? undefined : parseSize(given as string | number);
        return bytes !== undefined && bytes > 0 ? bytes : undefined;
      },
      needsBuilder: { why: "leaves /dev/shm at its default" },
    }),
    [],
  ),
  allow: buildSetting(
    { type: "list", of: allowedValues<"security.insecure" | "device">({ "security.insecure": true, device: true }) },
    listFlag("--allow", "entitlements", {
      buildxOnly: true,
      needsBuilder: {
        why: "takes no --allow (its daemon's builder.entitlements setting decides)",
        or: ", or leave allow out and grant the entitlement in the daemon's configuration",
      },
    }),
    [],
  ),
  ulimits: buildSetting(
    STRINGS,
    listFlag("--ulimit", "ulimits", { needsBuilder: { why: "leaves RUN's limits at their defaults" } }),
    [],
  ),
} satisfies Fields<PlanArgs>;

/** The names of the plan args: the list the CLI's `--config` reads. */
export const PLAN_ARG_KEYS = Object.keys(PLAN_FIELDS) as ReadonlyArray<keyof PlanArgs>;

type PlanFields = typeof PLAN_FIELDS;
/** The same table, each entry as a `FieldSpec` (its columns read by name). */
const PLAN_TABLE: Fields<PlanArgs> = PLAN_FIELDS;

/** The plan args that are build settings (their entry has a `build` column). */
export type BuildSettingName = {
  [K in keyof PlanFields]: PlanFields[K] extends { build: BuildColumn<unknown> } ? K : never;
}[keyof PlanFields];

/** The plan args handed to BuildKit as given (their entry says which back ends carry them). */
export type BuildInput = {
  [K in keyof PlanFields]: PlanFields[K] extends { carriedBy: readonly CarryingBackend[] } ? K : never;
}[keyof PlanFields];

/** The plan args a program may pass as Outputs (known only once they resolve): their entry is `late`. */
export type LatePlanArg = {
  [K in keyof PlanFields]: PlanFields[K] extends { late: true } ? K : never;
}[keyof PlanFields];

/** The late plan args, in the table's order. */
export const LATE_PLAN_ARGS = PLAN_ARG_KEYS.filter((name) => PLAN_TABLE[name].late) as LatePlanArg[];

/** The build settings' columns, in the table's order. */
export const BUILD_SETTINGS = PLAN_ARG_KEYS.flatMap((name) => {
  const build = PLAN_TABLE[name].build;
  return build ? [[name as BuildSettingName, build] as const] : [];
});

/** The build inputs, in the table's order, with the back ends besides `docker-cli` that carry each. */
export const BUILD_INPUTS = PLAN_ARG_KEYS.flatMap((name) => {
  const carriedBy = PLAN_TABLE[name].carriedBy;
  return carriedBy ? [name as BuildInput] : [];
});

/** The build inputs the back end `backend` carries. */
export function inputsCarriedBy(backend: CarryingBackend): BuildInput[] {
  return BUILD_INPUTS.filter((name) => PLAN_TABLE[name].carriedBy?.includes(backend));
}
