/**
 * The ECR side (Pulumi layer): create or adopt the repository, attach the lifecycle
 * and pull policies, and fetch registry credentials as secrets.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  DEFAULT_LIFECYCLE,
  type LifecyclePolicySettings,
  type PullAccessSettings,
  isValidRepositoryName,
  parseRepositoryUrl,
  renderLifecyclePolicy,
  renderPullPolicy,
} from "./ecr-policy";
import type { EnvironmentKind } from "./environment";

/** How the ECR repository is created or found. */
export interface RepositoryOptions {
  /**
   * Use an existing repository instead of creating one: its name (this account and region)
   * or its full URL (`123456789012.dkr.ecr.eu-west-1.amazonaws.com/app`, any account).
   * Nothing is created or changed on it.
   */
  existing?: pulumi.Input<string>;
  /** Name of the repository to create. Default: derived from the component name. */
  name?: pulumi.Input<string>;
  /** `IMMUTABLE` (default in production) or `MUTABLE` (default elsewhere). */
  imageTagMutability?: "MUTABLE" | "IMMUTABLE";
  /** Scan images for vulnerabilities when pushed. Default `true`. */
  scanOnPush?: boolean;
  /** `"AES256"` (default) or a KMS key: `{ kmsKeyArn }`. */
  encryption?: "AES256" | { kmsKeyArn: pulumi.Input<string> };
  /** Delete the repository even when it holds images. Default: `true` for development, never in production. */
  forceDelete?: boolean;
  /** Lifecycle rules; default per environment kind (see `DEFAULT_LIFECYCLE`); `false` for none. */
  lifecyclePolicy?: LifecyclePolicySettings | false;
  /** Accounts and IAM principals (EKS node roles, ECS task execution roles) allowed to pull. */
  pullAccess?: PullAccessSettings;
  /** AWS tags on the repository. */
  tags?: Record<string, string>;
  /**
   * Replicate pushed images to other regions (and accounts). Creates the registry's
   * `aws.ecr.ReplicationConfiguration`, scoped to this repository's name; ECR allows one
   * per registry and region, so use this from one component per account only.
   */
  replicateTo?: Array<{ region: string; registryId?: pulumi.Input<string> }>;
}

export interface RepositoryResult {
  repositoryUrl: pulumi.Output<string>;
  /** The created repository, when one was created. */
  repository?: aws.ecr.Repository;
  lifecyclePolicy?: aws.ecr.LifecyclePolicy;
  repositoryPolicy?: aws.ecr.RepositoryPolicy;
  replication?: aws.ecr.ReplicationConfiguration;
}

/** Validate the repository options for `kind`; throws with every problem. */
export function checkRepositoryOptions(
  options: RepositoryOptions,
  kind: EnvironmentKind,
  movingTags: readonly string[],
): void {
  const problems: string[] = [];
  if (kind === "production" && options.forceDelete) {
    problems.push(
      "repository.forceDelete is not allowed in production (it would delete every released image with the stack).",
    );
  }
  const mutability = options.imageTagMutability ?? (kind === "production" ? "IMMUTABLE" : "MUTABLE");
  if (mutability === "IMMUTABLE" && movingTags.length > 0) {
    problems.push(
      `movingTags ${movingTags.join(", ")} must be re-pushed on every release, which an IMMUTABLE repository refuses; drop them or set repository.imageTagMutability to "MUTABLE".`,
    );
  }
  if (typeof options.name === "string" && !isValidRepositoryName(options.name)) {
    problems.push(
      `repository.name "${options.name}" is not a valid ECR name (lowercase letters, digits, and . _ - / between them).`,
    );
  }
  for (const r of options.replicateTo ?? []) {
    if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(r.region))
      problems.push(`repository.replicateTo region "${r.region}" is not an AWS region name (e.g. "eu-west-1").`);
    if (typeof r.registryId === "string" && !/^\d{12}$/.test(r.registryId))
      problems.push(`repository.replicateTo registryId "${r.registryId}" is not an AWS account ID (12 digits).`);
  }
  if (
    options.existing !== undefined &&
    (options.replicateTo?.length || options.pullAccess || options.lifecyclePolicy)
  ) {
    problems.push(
      "repository.existing adopts a repository as it is: lifecyclePolicy, pullAccess and replicateTo apply only to a repository this component creates.",
    );
  }
  if (problems.length) throw new Error(problems.join(" "));
}

/** Create (or adopt) the repository and its policies as children of `parent`. */
export function ecrRepository(
  name: string,
  options: RepositoryOptions,
  kind: EnvironmentKind,
  parent: pulumi.Resource,
): RepositoryResult {
  const opts = { parent };
  if (options.existing !== undefined) {
    const url = pulumi.output(options.existing).apply((existing) => {
      const parsed = parseRepositoryUrl(existing);
      return parsed ? pulumi.output(parsed.url) : aws.ecr.getRepositoryOutput({ name: existing }, opts).repositoryUrl;
    });
    return { repositoryUrl: url };
  }
  const repository = new aws.ecr.Repository(
    `${name}-repo`,
    {
      name: options.name,
      imageTagMutability: options.imageTagMutability ?? (kind === "production" ? "IMMUTABLE" : "MUTABLE"),
      imageScanningConfiguration: { scanOnPush: options.scanOnPush ?? true },
      encryptionConfigurations: [
        typeof options.encryption === "object"
          ? { encryptionType: "KMS", kmsKey: options.encryption.kmsKeyArn }
          : { encryptionType: "AES256" },
      ],
      forceDelete: kind === "production" ? false : (options.forceDelete ?? kind === "development"),
      tags: options.tags,
    },
    opts,
  );
  const lifecycle =
    options.lifecyclePolicy === false ? undefined : (options.lifecyclePolicy ?? DEFAULT_LIFECYCLE[kind]);
  const lifecyclePolicy = lifecycle
    ? new aws.ecr.LifecyclePolicy(
        `${name}-lifecycle`,
        { repository: repository.name, policy: renderLifecyclePolicy(lifecycle) },
        opts,
      )
    : undefined;
  const pullPolicy = options.pullAccess ? renderPullPolicy(options.pullAccess) : undefined;
  const repositoryPolicy = pullPolicy
    ? new aws.ecr.RepositoryPolicy(`${name}-pull-policy`, { repository: repository.name, policy: pullPolicy }, opts)
    : undefined;
  const replication = options.replicateTo?.length
    ? new aws.ecr.ReplicationConfiguration(
        `${name}-replication`,
        {
          replicationConfiguration: {
            rules: [
              {
                destinations: options.replicateTo.map((r) => ({
                  region: r.region,
                  registryId: r.registryId ?? aws.getCallerIdentityOutput({}, opts).accountId,
                })),
                repositoryFilters: [{ filter: repository.name, filterType: "PREFIX_MATCH" }],
              },
            ],
          },
        },
        opts,
      )
    : undefined;
  return {
    repositoryUrl: repository.repositoryUrl,
    repository,
    lifecyclePolicy,
    repositoryPolicy,
    replication,
  };
}

/** Registry credentials for the registry that holds `repositoryUrl`, as secrets. */
export function ecrCredentials(
  repositoryUrl: pulumi.Output<string>,
  parent: pulumi.Resource,
): { server: pulumi.Output<string>; username: pulumi.Output<string>; password: pulumi.Output<string> } {
  const registryId = repositoryUrl.apply((u) => parseRepositoryUrl(u)?.registryId);
  const token = aws.ecr.getAuthorizationTokenOutput({ registryId }, { parent });
  return {
    server: repositoryUrl.apply((u) => u.split("/")[0]),
    username: pulumi.secret(token.userName),
    password: pulumi.secret(token.password),
  };
}
