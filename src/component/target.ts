/**
 * Where images go: a created (or adopted) ECR repository with ECR credentials, or any
 * OCI registry named by `registry` (then no AWS resource is created).
 */
import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { RegistryInputs } from "../registry";
import { createRepository, getEcrCredentials } from "../ecr";
import { getEnvironmentArgs, registryCacheEnabled, releaseTagPatterns } from "../plan";
import { getRegistryTarget } from "../registry";
import type { MultiStageImageArgs } from "./args";
import type { ComponentSpec } from "./spec";

/**
 * A repository to push to and the credentials of its registry.
 * @internal
 */
export interface PushTarget {
  readonly repositoryUrl: pulumi.Output<string>;
  readonly credentials: RegistryInputs;
  /** The ECR repository, when one was created. */
  readonly repository?: aws.ecr.Repository;
}

/**
 * The push target of the component: `args.registry`, else ECR. The repository waits for
 * `planned` (every plan, resolved): a value known only later (an Output) that is refused
 * leaves nothing created, as one refused at construction does.
 * @internal
 */
export function createPushTarget(
  spec: ComponentSpec,
  args: MultiStageImageArgs,
  parent: pulumi.Resource,
  planned: pulumi.Output<unknown>,
): PushTarget {
  if (args.registry) {
    const target = getRegistryTarget(spec.name, args.registry);
    return { repositoryUrl: target.repositoryUrl, credentials: target };
  }
  const environment = getEnvironmentArgs(spec.environment, spec.environments).args;
  const cache = registryCacheEnabled(args.registryCache, environment.registryCache, args.builder !== undefined);
  // Signatures and attestations are tags beside the image that each new signer re-puts.
  const signs = spec.signing?.key === true;
  // The lifecycle rules claim this environment's releases by their tags' patterns, so none expires what it deploys.
  const fixed = [...stringsOf(args.tags), ...stringsOf(environment.tags)];
  const patterns = releaseTagPatterns(
    args.tagStrategy,
    spec.environment,
    fixed,
    Object.keys(args.additionalImages ?? {}),
  );
  const repo = createRepository(spec.name, args.repository ?? {}, spec.kind, parent, cache, planned, signs, patterns);
  return {
    repositoryUrl: repo.repositoryUrl,
    credentials: getEcrCredentials(repo.repositoryUrl, parent),
    repository: repo.repository,
  };
}

/** The plain strings of a tag list (an unknown Output stands for none: its tags are checked when known). */
function stringsOf(tags: unknown): string[] {
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [];
}
