/**
 * The one credential type: a registry and, unless it is used anonymously, how to log in to it.
 * The executor and the pipeline take it as plain values, a Pulumi program as Inputs; nothing
 * else describes registry credentials.
 */
import type * as pulumi from "@pulumi/pulumi";

/** A registry and, unless it is read or written anonymously, its user and password. */
export interface RegistryAccess {
  /** Registry host, e.g. `127.0.0.1:5055` or `<account>.dkr.ecr.<region>.amazonaws.com`. */
  readonly server: string;
  readonly username?: string;
  readonly password?: string;
}

/** A registry with its login. */
export type RegistryCredentials = Required<RegistryAccess>;

/** The same, as a Pulumi program holds it: each value an Input, the password a secret. */
export type RegistryInputs = { readonly [K in keyof RegistryAccess]: pulumi.Input<NonNullable<RegistryAccess[K]>> };

/**
 * The forms a login's secret takes, each to be kept out of every message: the password,
 * `user:password`, and its base64 (a Docker config's `auth`, a Basic header's value).
 * Values shorter than 4 characters are left out (they would redact ordinary text).
 */
export function loginSecretForms(access: RegistryAccess): string[] {
  const { username, password } = access;
  const forms = [password];
  if (username !== undefined && password !== undefined) {
    forms.push(`${username}:${password}`, Buffer.from(`${username}:${password}`).toString("base64"));
  }
  return forms.filter((v): v is string => typeof v === "string" && v.length >= 4);
}
