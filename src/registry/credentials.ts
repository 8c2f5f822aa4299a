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
