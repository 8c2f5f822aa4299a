/** What a user passes to `MultiStageImage`. */
import type * as pulumi from "@pulumi/pulumi";
import type { BackendName } from "../backends";
import type { RepositoryArgs } from "../ecr";
import type { RegistryArgs } from "../registry";
import type {
  AttestationArgs,
  BuilderEndpointArgs,
  EnvironmentArgs,
  RegistryCacheArgs,
  SshArgs,
  TagStrategy,
} from "../plan";

/** Arguments of `MultiStageImage`. */
export interface MultiStageImageArgs {
  /** Build context directory (relative to the Pulumi program). */
  readonly context: pulumi.Input<string>;
  /** Dockerfile path (relative to the Pulumi program). @default `<context>/Dockerfile` */
  readonly dockerfile?: pulumi.Input<string>;
  /**
   * Environment to build for. Names like `dev`/`local` are development, `prod`/`production`
   * are production, anything else builds the final stage without the production guard.
   * Needed at construction (it decides the resources), so a plain string.
   * @default config `multistage:environment`, else the stack name
   */
  readonly environment?: string;
  /**
   * Per-environment settings, keyed by environment name. Stack config
   * `multistage:environments` is merged over these. Plain values (they decide the target).
   * @default {}
   * @example
   * {
   *   dev: { target: "builder", buildArgs: { NODE_ENV: "development" } },
   *   production: { buildArgs: { NODE_ENV: "production" }, platform: "linux/amd64" },
   * }
   */
  readonly environments?: Readonly<Record<string, EnvironmentArgs>>;
  /** Stage to build in every environment, overriding the environment defaults. */
  readonly target?: pulumi.Input<string>;
  /**
   * Stage names tried, in order, for development environments with no configured target.
   * @default ["dev", "development", "develop", "builder", "build"]
   */
  readonly devTargets?: readonly string[];
  /**
   * Build args for every environment; the environment's own are merged over them. Values
   * land in the image history and the state, so secrets are refused.
   * @default {}
   */
  readonly buildArgs?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * Build args passed to the build but left out of the inputs hash that decides whether the
   * image is rebuilt: a build number, a timestamp, a short-lived token. A change of their
   * value alone rebuilds nothing; the next build for another reason gets the new value.
   * @example ["BUILD_NUMBER"]
   */
  readonly volatileArgs?: readonly string[];
  /**
   * Build secrets by id, read in the Dockerfile with `RUN --mount=type=secret,id=<id>`
   * (the file `/run/secrets/<id>`). Values are always handled as Pulumi secrets and never
   * reach a layer, the image config or history, the plan, outputs or logs. Not supported
   * by the `docker` back end. A change of value alone does not rebuild the image.
   * @example { NPM_TOKEN: config.requireSecret("npmToken") }
   */
  readonly secrets?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * The test gate: in production, this stage is built first (its RUNs run the tests) and the
   * image is pushed only if it builds; a failure stops `pulumi up` with the test output.
   * `false` turns it off. Plain value: it decides the resources.
   * @default the first of `test`, `tests`, `tester` the Dockerfile has
   * @example "unit-tests"
   */
  readonly testStage?: string | false;
  /** Target platform, unless the environment sets one. @example "linux/arm64" */
  readonly platform?: pulumi.Input<string>;
  /**
   * Target platforms, unless the environment sets its own (`environments.<env>.platforms`):
   * one push makes one index with an image per platform, and `imageUri` pins the index.
   * Needs a `builder` (the Docker engine's own builder makes one platform at a time).
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
   * ECR repository that is IMMUTABLE lets `cache-*` tags move. `environments.<env>.registryCache`
   * overrides it per environment.
   * @default true when `builder` is set
   * @example { mode: "max", fromEnvironments: ["dev"] }
   */
  readonly registryCache?: boolean | RegistryCacheArgs;
  /**
   * Provenance and SBOM attestations pushed with the image (they make it an index, which some
   * ECS and Lambda setups refuse). `true` is provenance mode max plus an SBOM. `docker-cli` only.
   * @default false
   */
  readonly attestations?: boolean | AttestationArgs;
  /**
   * SSH agents forwarded for `RUN --mount=type=ssh` (private Git dependencies): the agent at
   * `$SSH_AUTH_SOCK`, or key files. Nothing of them reaches the image or the state.
   * @example [{ id: "default" }]
   * @example [{ id: "github", paths: ["/home/ci/.ssh/id_ed25519"] }]
   */
  readonly ssh?: readonly SshArgs[];
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
   * `Image` per tag), for teams standardised on those providers; see the README's table.
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
  /**
   * How the release's unique tags are made: a template with `{env}`, `{target}`, `{gitSha}`,
   * `{gitShortSha}`, `{version}`, or a function of those values returning tags.
   * @default "{env}-{gitShortSha}" (or "{env}-{target}" when the commit is unknown)
   * @example "v{version}-{gitShortSha}"
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
  /** Commit of the source, for `{gitSha}`. @default CI variables, then `git rev-parse HEAD` in the context */
  readonly gitSha?: string;
  /** Release version for `{version}` tags. */
  readonly version?: string;
  /** Images to reuse layers from (`--cache-from`), e.g. the repository's previous release. @default [] */
  readonly cacheFrom?: readonly pulumi.Input<string>[];
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
  /**
   * Accept build args whose names look like secrets (`*_TOKEN`, `*PASSWORD*`…) or whose
   * values are Pulumi secrets; their values end up in the image history, and show as
   * `[secret]` in outputs.
   * @default false
   */
  readonly allowSecretLikeBuildArgs?: boolean;
}

/** Another target of the same Dockerfile, published to the same repository (e.g. `migrations`). */
export interface AdditionalImageArgs {
  /** Stage to build: one name for every environment, or a name per environment. */
  readonly target: string | Readonly<Record<string, string>>;
  /** Build args merged over the component's and the environment's for this image. */
  readonly buildArgs?: Readonly<Record<string, pulumi.Input<string>>>;
}
