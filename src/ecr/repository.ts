/**
 * The ECR repository (Pulumi layer): validate the repository args, then create (or
 * adopt) the repository with its lifecycle, pull and replication policies.
 */
// The ecr module alone: the package index loads every AWS service (about 0.35 s on each run).
import * as ecr from "@pulumi/aws/ecr";
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import * as pulumi from "@pulumi/pulumi";
import {
  BOOLEAN,
  CACHE_TAG_FILTER,
  type Diagnostic,
  type EnvironmentKind,
  type FieldSpec,
  NUMBER,
  STRING,
  STRINGS,
  STRING_MAP,
  allowedValues,
  checkField,
  credentialFree,
  late,
  object,
} from "../plan";
import {
  DEFAULT_LIFECYCLE,
  SIGNATURE_TAG_FILTER,
  type LifecyclePolicyArgs,
  type PullAccessArgs,
  isValidRepositoryName,
  lifecyclePolicyDocument,
  parseRepositoryUrl,
  pullPolicyDocument,
  validateLifecyclePolicy,
  validatePullAccess,
} from "./policies";

/** How the ECR repository is created or found. */
export interface RepositoryArgs {
  /**
   * Use an existing repository instead of creating one: its name (this account and region)
   * or its full URL (any account). Nothing is created or changed on it.
   * @example "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shared/app"
   */
  readonly existing?: pulumi.Input<string>;
  /** Name of the repository to create. @default derived from the component name */
  readonly name?: pulumi.Input<string>;
  /** Tag mutability. @default "IMMUTABLE" in production, "MUTABLE" elsewhere */
  readonly imageTagMutability?: "MUTABLE" | "IMMUTABLE";
  /** Scan images for vulnerabilities when pushed. @default true */
  readonly scanOnPush?: boolean;
  /** `"AES256"` or a KMS key. @default "AES256" */
  readonly encryption?: "AES256" | { readonly kmsKeyArn: pulumi.Input<string> };
  /** Delete the repository even when it holds images. @default true for development, never in production */
  readonly forceDelete?: boolean;
  /** Lifecycle rules: your own, `true` for the defaults, or `false` for none. @default `DEFAULT_LIFECYCLE[kind]` */
  readonly lifecyclePolicy?: LifecyclePolicyArgs | boolean;
  /** Accounts and IAM principals (EKS node roles, ECS task execution roles) allowed to pull. */
  readonly pullAccess?: PullAccessArgs;
  /** AWS tags on the repository. */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Replicate pushed images to other regions (and accounts). Creates the registry's
   * `ecr.ReplicationConfiguration`, scoped to this repository's name; ECR allows one
   * per registry and region, so use this from one component per account only.
   * @example [{ region: "eu-west-1" }]
   */
  readonly replicateTo?: ReadonlyArray<{ readonly region: string; readonly registryId?: pulumi.Input<string> }>;
}

/** Every field of `RepositoryArgs`, declared once (see `plan/fields.ts`). */
export const REPOSITORY_SPEC: FieldSpec = object<RepositoryArgs>(
  "RepositoryArgs",
  {
    existing: late(STRING),
    name: late(STRING),
    imageTagMutability: allowedValues<NonNullable<RepositoryArgs["imageTagMutability"]>>({
      MUTABLE: true,
      IMMUTABLE: true,
    }),
    scanOnPush: BOOLEAN,
    encryption: {
      type: "oneOf",
      options: [
        allowedValues<"AES256">({ AES256: true }),
        object<{ kmsKeyArn: unknown }>("RepositoryEncryption", { kmsKeyArn: late(STRING) }),
      ],
    },
    forceDelete: BOOLEAN,
    lifecyclePolicy: {
      type: "oneOf",
      options: [
        BOOLEAN,
        object<LifecyclePolicyArgs>("LifecyclePolicyArgs", {
          expireUntaggedAfterDays: NUMBER,
          keepLastTagged: NUMBER,
          taggedPatterns: STRINGS,
          keepLast: NUMBER,
        }),
      ],
    },
    pullAccess: object<PullAccessArgs>("PullAccessArgs", { accounts: STRINGS, principals: STRINGS }),
    // AWS tags are shown to anyone who may describe the repository, and kept in the state.
    tags: credentialFree(
      STRING_MAP,
      "AWS tags are visible to anyone who may describe the repository: leave the credential out.",
    ),
    replicateTo: {
      type: "list",
      of: object<{ region: unknown; registryId: unknown }>("RepositoryReplicateTo", {
        region: STRING,
        registryId: late(STRING),
      }),
    },
  },
  { code: "invalid-repository", see: "RepositoryArgs" },
);

/**
 * What `createRepository` made.
 * @internal
 */
export interface Repository {
  readonly repositoryUrl: pulumi.Output<string>;
  /** The created repository, when one was created. */
  readonly repository?: ecr.Repository;
  readonly lifecyclePolicy?: ecr.LifecyclePolicy;
  readonly repositoryPolicy?: ecr.RepositoryPolicy;
  readonly replication?: ecr.ReplicationConfiguration;
}

/**
 * The tag mutability a repository gets in an environment of `kind`.
 * @internal
 */
export function tagMutability(args: RepositoryArgs, kind: EnvironmentKind): "MUTABLE" | "IMMUTABLE" {
  return args.imageTagMutability ?? (kind === "production" ? "IMMUTABLE" : "MUTABLE");
}

/**
 * Add an `invalid-repository` (or policy) diagnostic, at `repository.…`, for every problem of `args`.
 * @internal
 */
export function validateRepositoryArgs(
  args: RepositoryArgs,
  kind: EnvironmentKind,
  movingTags: readonly string[],
  diagnostics: Diagnostic[],
): void {
  const problem = (property: string, message: string, hint: string): void => {
    diagnostics.push({ severity: "error", code: "invalid-repository", property, message, hint });
  };
  // The types first, as REPOSITORY_SPEC declares them: the checks below read the values.
  if (
    !checkField(args, REPOSITORY_SPEC, "repository", diagnostics, { code: "invalid-repository", see: "RepositoryArgs" })
  )
    return;
  if (kind === "production" && args.forceDelete) {
    problem(
      "repository.forceDelete",
      "is not allowed in production: it would delete every released image with the stack.",
      "Remove forceDelete for production stacks.",
    );
  }
  if (tagMutability(args, kind) === "IMMUTABLE" && movingTags.length > 0) {
    problem(
      "movingTags",
      `${movingTags.join(", ")} must be re-pushed on every release, which an IMMUTABLE repository refuses.`,
      'Drop movingTags, or set repository.imageTagMutability to "MUTABLE".',
    );
  }
  if (typeof args.name === "string" && !isValidRepositoryName(args.name)) {
    problem(
      "repository.name",
      `"${args.name}" is not a valid ECR repository name.`,
      "Use 2-256 lowercase letters and digits, with . _ - / between them.",
    );
  }
  (args.replicateTo ?? []).forEach((r, i) => {
    if (typeof r.region !== "string" || !/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(r.region))
      problem(
        `repository.replicateTo[${i}].region`,
        typeof r.region === "string"
          ? `"${r.region}" is not an AWS region name.`
          : "is missing: a replica needs its region.",
        'Use e.g. "eu-west-1".',
      );
    if (typeof r.registryId === "string" && !/^\d{12}$/.test(r.registryId)) {
      problem(
        `repository.replicateTo[${i}].registryId`,
        `"${r.registryId}" is not an AWS account ID.`,
        "Use 12 digits, or omit it for this account.",
      );
    }
  });
  if (args.existing !== undefined && (args.replicateTo?.length || args.pullAccess || args.lifecyclePolicy)) {
    problem(
      "repository.existing",
      "adopts a repository as it is: lifecyclePolicy, pullAccess and replicateTo apply only to a repository this component creates.",
      "Remove them, or let the component create the repository.",
    );
  }
  if (typeof args.lifecyclePolicy === "object")
    validateLifecyclePolicy(args.lifecyclePolicy, "repository.lifecyclePolicy", diagnostics);
  if (args.pullAccess) validatePullAccess(args.pullAccess, "repository.pullAccess", diagnostics);
}

/**
 * The tag mutability a created repository gets. An IMMUTABLE repository keeps every release tag
 * immutable and lets only the tags that must move do so: the registry cache re-pushes its
 * cache-* tags on every build, and cosign (v2, the one pinned) appends each new signature or
 * attestation by re-putting sha256-<digest>.sig / .att (sigstore/cosign#3024), so a second
 * signer needs sha256-*.
 * @internal
 */
export function repositoryTagMutability(
  args: RepositoryArgs,
  kind: EnvironmentKind,
  registryCache: boolean,
  signs: boolean,
): {
  imageTagMutability: "MUTABLE" | "IMMUTABLE" | "IMMUTABLE_WITH_EXCLUSION";
  imageTagMutabilityExclusionFilters?: Array<{ filter: string; filterType: "WILDCARD" }>;
} {
  const filters = [...(registryCache ? [CACHE_TAG_FILTER] : []), ...(signs ? [SIGNATURE_TAG_FILTER] : [])];
  const mutability = tagMutability(args, kind);
  if (mutability === "MUTABLE" || filters.length === 0) return { imageTagMutability: mutability };
  return {
    imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
    imageTagMutabilityExclusionFilters: filters.map((filter) => ({ filter, filterType: "WILDCARD" })),
  };
}

/**
 * Create (or adopt) the repository and its policies as children of `parent`; `args` must be
 * valid. Nothing is registered before `after` resolves, and nothing at all when it fails.
 * @internal
 */
export function createRepository(
  name: string,
  args: RepositoryArgs,
  kind: EnvironmentKind,
  parent: pulumi.Resource,
  registryCache = false,
  after: pulumi.Output<unknown> = pulumi.output(undefined),
  signs = false,
  releasePatterns?: readonly string[],
): Repository {
  const opts = { parent };
  if (args.existing !== undefined) {
    const url = pulumi.output(args.existing).apply((existing) => {
      const parsed = parseRepositoryUrl(existing);
      return parsed ? pulumi.output(parsed.url) : ecr.getRepositoryOutput({ name: existing }, opts).repositoryUrl;
    });
    return { repositoryUrl: url };
  }
  const repository = new ecr.Repository(
    `${name}-repo`,
    {
      name: args.name,
      ...repositoryTagMutability(args, kind, registryCache, signs),
      imageScanningConfiguration: { scanOnPush: args.scanOnPush ?? true },
      encryptionConfigurations: [
        typeof args.encryption === "object"
          ? { encryptionType: "KMS", kmsKey: args.encryption.kmsKeyArn }
          : { encryptionType: "AES256" },
      ],
      // An input that resolves with `after`: the repository (and so its policies) is not
      // registered until then, and not at all when it fails. Unsecret: it carries no value of `after`.
      forceDelete: pulumi.unsecret(
        after.apply(() => (kind === "production" ? false : (args.forceDelete ?? kind === "development"))),
      ),
      tags: args.tags,
    },
    opts,
  );
  const lifecycle =
    args.lifecyclePolicy === false
      ? undefined
      : typeof args.lifecyclePolicy === "object"
        ? args.lifecyclePolicy
        : DEFAULT_LIFECYCLE[kind];
  const lifecyclePolicy = lifecycle
    ? new ecr.LifecyclePolicy(
        `${name}-lifecycle`,
        { repository: repository.name, policy: lifecyclePolicyDocument(lifecycle, releasePatterns) },
        opts,
      )
    : undefined;
  const pullPolicy = args.pullAccess ? pullPolicyDocument(args.pullAccess) : undefined;
  const repositoryPolicy = pullPolicy
    ? new ecr.RepositoryPolicy(`${name}-pull-policy`, { repository: repository.name, policy: pullPolicy }, opts)
    : undefined;
  const replication = args.replicateTo?.length
    ? new ecr.ReplicationConfiguration(
        `${name}-replication`,
        {
          replicationConfiguration: {
            rules: [
              {
                destinations: args.replicateTo.map((r) => ({
                  region: r.region,
                  registryId: r.registryId ?? getCallerIdentityOutput({}, opts).accountId,
                })),
                repositoryFilters: [{ filter: repository.name, filterType: "PREFIX_MATCH" }],
              },
            ],
          },
        },
        opts,
      )
    : undefined;
  return { repositoryUrl: repository.repositoryUrl, repository, lifecyclePolicy, repositoryPolicy, replication };
}
