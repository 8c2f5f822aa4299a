/**
 * The `multistage:*` stack config, read with its secretness: `pulumi config set --secret
 * --path 'multistage:environments.staging.buildArgs.X'` marks the whole key secret, and
 * then every build arg it sets is a secret value.
 */
import * as pulumi from "@pulumi/pulumi";

/**
 * True when stack config `key` (`multistage:environments`) is a secret. The SDK answers
 * this only through its runtime module (`isConfigSecret`); where that is missing, every
 * value is taken as secret, the safe side.
 * @internal
 */
export function isSecretConfig(key: string): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const runtime = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (k: string) => boolean };
    return typeof runtime.isConfigSecret === "function" ? runtime.isConfigSecret(key) : true;
  } catch {
    return true;
  }
}

/**
 * The stack config the component reads.
 * @internal
 */
export function componentConfig(): pulumi.Config {
  return new pulumi.Config("multistage");
}
