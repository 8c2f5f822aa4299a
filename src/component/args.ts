/** What a user passes to `MultiStageImage`. */
import type * as pulumi from "@pulumi/pulumi";
import type { BackendName } from "../backends";
import type { RepositoryArgs } from "../ecr";
import type { RegistryArgs } from "../registry";
import type { LatePlanArg, PlanArgs } from "../plan";

/** A late plan arg's type as a program may pass it: Outputs too, down to each value. */
type AsInput<V> = V extends string
  ? pulumi.Input<string>
  : V extends readonly string[]
    ? pulumi.Input<readonly pulumi.Input<string>[]>
    : V extends Readonly<Record<string, string>>
      ? pulumi.Input<Record<string, pulumi.Input<string>>>
      : V;

/** The plan args (`PlanArgs`, declared once in the plan), the late ones as Pulumi inputs. */
export type PlanArgsInputs = {
  readonly [K in keyof PlanArgs]: K extends LatePlanArg ? AsInput<PlanArgs[K]> : PlanArgs[K];
};

/**
 * Arguments of `MultiStageImage`: the plan args (context, Dockerfile, environments, target,
 * build args, tags, platforms, builder, cache…; see `PlanArgs`) and what decides where and how
 * the image is published.
 */
export interface MultiStageImageArgs extends PlanArgsInputs {
  /**
   * Sign what this stack's environment releases, and verify what it takes: a cosign key pair
   * (`cosign generate-key-pair`). With `key`, each image gets a signature (cosign's format, in the
   * registry beside it) carrying its inputs hash and environment, before its release tags. In
   * production and where an environment promotes (`promoteFrom`), an image this update did not
   * build gets the tags only if a trusted key (the key's own, and `publicKeys`) signed it for these
   * inputs. `docker-cli` only; needs `cosign` (and `syft` for an SBOM) on the machine running
   * `pulumi up`.
   * @example { key: config.requireSecret("cosignKey"), keyPassword: config.requireSecret("cosignPassword") }
   * @example { publicKeys: ["keys/release.pub"] }
   */
  readonly signing?: SigningArgs;
  /**
   * Environment to build for. Names like `dev`/`local` are development, `prod`/`production`
   * are production, anything else builds the final stage without the production guard.
   * Needed at construction (it decides the resources), so a plain string.
   * @default config `multistage:environment`, else the stack name
   */
  readonly environment?: string;
  /**
   * Build secrets by id, read in the Dockerfile with `RUN --mount=type=secret,id=<id>`
   * (the file `/run/secrets/<id>`). Values are always handled as Pulumi secrets and never
   * reach a layer, the image config or history, the plan, outputs or logs. Not supported
   * by the `docker` back end. A change of value alone does not rebuild the image. A required
   * mount without its secret is refused before anything is created.
   * @example { NPM_TOKEN: config.requireSecret("npmToken") }
   */
  readonly secrets?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * The ECR repository: created (with lifecycle and pull policies) by default, or adopted.
   * @default a new repository named after the component
   * @example { pullAccess: { principals: ["arn:aws:iam::123456789012:role/eks-node-role"] } }
   * @example { existing: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shared/app" }
   */
  readonly repository?: RepositoryArgs;
  /**
   * Push to any OCI registry (GHCR, Docker Hub, Harbor, Artifactory…) instead of ECR: then
   * no AWS resource is created. Exclusive with `repository`.
   * @example { repository: "ghcr.io/acme/api", username: "acme-ci", password: config.requireSecret("ghcrToken") }
   */
  readonly registry?: RegistryArgs;
  /**
   * What builds and pushes: `"docker-cli"` (this package's own image resource, running the
   * Docker CLI with BuildKit; every feature, no provider plugin), `"docker-build"`
   * (`@pulumi/docker-build`, one `Image` with every tag) or `"docker"` (`@pulumi/docker`, one
   * `Image` per tag), for teams standardised on those providers; see the README's "Back ends".
   * @default "docker-cli"
   */
  readonly backend?: BackendName;
  /**
   * Delete the pushed image from the registry when its image resource is deleted (`pulumi
   * destroy`) or replaced. Off by default: a replaced digest is what running ECS tasks and
   * Kubernetes pods still pull, so pushed images are kept and the repository's lifecycle
   * policy expires them. The `docker-build` back end only (its provider deletes the manifest);
   * refused on the others.
   * @default false
   */
  readonly deletePushedImages?: boolean;
  /** Push to the repository; `false` builds only (then `imageUri` is the local tag). @default true */
  readonly push?: pulumi.Input<boolean>;
  /**
   * Build during `pulumi preview` too (never pushed). Off by default so previews stay quick:
   * the Dockerfile's stages, targets and args are checked at construction either way.
   * @default false
   */
  readonly buildOnPreview?: pulumi.Input<boolean>;
  /**
   * More targets of the same Dockerfile to publish in every environment, keyed by a short
   * name used as tag prefix (`migrations-production-<sha>`). They share the repository, the
   * credentials and the builder's cache with the main image; the production final-stage
   * guard does not apply to them, since their target is named explicitly.
   * @example { migrations: { target: "migrate" } }
   * @example { debug: { target: { dev: "builder", production: "debug" }, buildArgs: { LOG_LEVEL: "debug" } } }
   */
  readonly additionalImages?: Readonly<Record<string, AdditionalImageArgs>>;
}

/** Another target of the same Dockerfile, published to the same repository (e.g. `migrations`). */
export interface AdditionalImageArgs {
  /** Stage to build: one name for every environment, or a name per environment. */
  readonly target: string | Readonly<Record<string, string>>;
  /** Build args merged over the component's and the environment's for this image. */
  readonly buildArgs?: Readonly<Record<string, pulumi.Input<string>>>;
}

/** A cosign key pair: the private key signs, the public keys verify. */
export interface SigningArgs {
  /** The cosign private key (PEM, as `cosign generate-key-pair` writes it): always a secret. */
  readonly key?: pulumi.Input<string>;
  /** Its password: always a secret. @default "" */
  readonly keyPassword?: pulumi.Input<string>;
  /**
   * Public keys trusted besides the key's own: PEM text, or paths to `.pub` files (read when the
   * component is constructed).
   */
  readonly publicKeys?: readonly string[];
}
