/**
 * Any OCI registry (GHCR, Docker Hub, Harbor, Artifactory, a local one): a repository
 * URL and credentials. Nothing is created; the password is kept a Pulumi secret.
 */
import * as pulumi from "@pulumi/pulumi";
import type { RegistryInputs } from "./credentials";
import {
  type Diagnostic,
  type FieldSpec,
  STRING,
  checkField,
  credentialFree,
  excerpt,
  isRegistryHost,
  late,
  object,
  registryHost,
  repositoryProblem,
} from "../plan";

/** Push to any OCI registry instead of ECR. */
export interface RegistryArgs {
  /**
   * Repository to push to, without tag or digest.
   * @default `<server>/<component name>`
   * @example "ghcr.io/acme/api"
   */
  readonly repository?: pulumi.Input<string>;
  /** Registry host to log in to. @default the host of `repository` (`docker.io` when it names none) @example "ghcr.io" */
  readonly server?: pulumi.Input<string>;
  /**
   * User to log in as. @default none: this machine's own login for the registry is used, as
   * registry tools find it (`REGISTRY_AUTH_FILE`, Docker's `config.json` in `$DOCKER_CONFIG` or
   * `~/.docker`: `credHelpers`, `auths`, `credsStore`), else the registry is used anonymously
   */
  readonly username?: pulumi.Input<string>;
  /** Password or token; always handled as a Pulumi secret. */
  readonly password?: pulumi.Input<string>;
}

/** Every field of `RegistryArgs`, declared once (see `plan/fields.ts`): the password is a secret. */
export const REGISTRY_SPEC: FieldSpec = object<RegistryArgs>(
  "RegistryArgs",
  {
    repository: late(credentialFree(STRING)),
    server: late(credentialFree(STRING)),
    username: late(STRING),
    password: { ...late(STRING), secret: true },
  },
  { code: "invalid-registry", see: "RegistryArgs" },
);

/** A repository and how to log in to its registry (the one credential type, as Inputs); `password` is a secret. */
export interface RegistryTarget extends RegistryInputs {
  readonly repositoryUrl: pulumi.Output<string>;
}

/**
 * Add an `invalid-registry` diagnostic for every problem of the plain values in `args`.
 * @internal
 */
export function validateRegistryArgs(args: RegistryArgs, diagnostics: Diagnostic[]): void {
  const problem = (property: string, message: string, hint: string): void => {
    diagnostics.push({ severity: "error", code: "invalid-registry", property, message, hint });
  };
  // From JavaScript, YAML or JSON anything can arrive: the types first, as REGISTRY_SPEC declares them.
  if (!checkField(args, REGISTRY_SPEC, "registry", diagnostics, { code: "invalid-registry", see: "RegistryArgs" }))
    return;
  if (args.repository === undefined && args.server === undefined) {
    problem(
      "registry",
      "names neither a repository nor a server.",
      'Set registry.repository, e.g. "ghcr.io/acme/api".',
    );
  }
  const wrong = typeof args.repository === "string" ? repositoryProblem(args.repository) : undefined;
  if (wrong) problem("registry.repository", wrong.message, wrong.hint);
  if (typeof args.server === "string" && !isRegistryHost(args.server)) {
    problem(
      "registry.server",
      `"${excerpt(args.server)}" is not a registry host${/^[a-z]+:\/\//i.test(args.server) ? " (no scheme: Docker and the registry API choose HTTPS themselves)" : ""}.`,
      `Give the host and port only, e.g. "${excerpt(args.server.replace(/^[a-z]+:\/\//i, "").replace(/\/.*$/, "")) || "ghcr.io"}".`,
    );
  }
  // Docker logs in, and the registry's API is asked, per host: a login for another host would
  // not reach the push, and the release steps could not ask the registry about the image.
  if (
    typeof args.server === "string" &&
    typeof args.repository === "string" &&
    !wrong &&
    isRegistryHost(args.server) &&
    registryHost(args.repository) !== args.server
  ) {
    problem(
      "registry.server",
      `"${excerpt(args.server)}" is not the host of registry.repository ("${excerpt(registryHost(args.repository))}"): the push would not use this login, and the registry's API could not be asked for the image.`,
      `Leave registry.server out (it defaults to the repository's host), or set it to "${excerpt(registryHost(args.repository))}".`,
    );
  }
  if ((args.username === undefined) !== (args.password === undefined)) {
    problem(
      args.username === undefined ? "registry.username" : "registry.password",
      "is missing: username and password go together.",
      "Set both, or neither to use this machine's own login (docker login, a credential helper).",
    );
  }
}

/**
 * The repository URL and credentials of `args` for the component `name`.
 * @internal
 */
export function getRegistryTarget(name: string, args: RegistryArgs): RegistryTarget {
  const repositoryUrl =
    args.repository !== undefined
      ? pulumi.output(args.repository)
      : pulumi.output(args.server as pulumi.Input<string>).apply((server) => `${server}/${name.toLowerCase()}`);
  const server = args.server !== undefined ? pulumi.output(args.server) : repositoryUrl.apply(registryHost);
  return {
    repositoryUrl,
    server,
    username: args.username,
    password: args.password === undefined ? undefined : pulumi.secret(args.password),
  };
}
