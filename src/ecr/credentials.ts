/** Registry credentials for an ECR repository (Pulumi layer), as secrets. */
// The ecr module alone: the package index loads every AWS service (about 0.35 s on each run).
import * as ecr from "@pulumi/aws/ecr";
import * as pulumi from "@pulumi/pulumi";
import { registryHost } from "../plan";
import type { RegistryInputs } from "../registry";
import { parseRepositoryUrl } from "./policies";

/**
 * Credentials for the registry that holds `repositoryUrl` (any account), from `ecr.getAuthorizationToken`.
 * @internal
 */
export function getEcrCredentials(repositoryUrl: pulumi.Output<string>, parent: pulumi.Resource): RegistryInputs {
  const registryId = repositoryUrl.apply((u) => parseRepositoryUrl(u)?.registryId);
  const token = ecr.getAuthorizationTokenOutput({ registryId }, { parent });
  return {
    server: repositoryUrl.apply(registryHost),
    username: pulumi.secret(token.userName),
    password: pulumi.secret(token.password),
  };
}
