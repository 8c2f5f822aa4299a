/**
 * What each back end can carry, feature by feature: the one table the component's refusals,
 * the README's back-end table and its tests are read against.
 */
import { BUILD_INPUTS, type BuildInput, inputsCarriedBy } from "../plan";

/**
 * What a back end can pass to BuildKit; the component refuses, before creating anything,
 * the args that use something its back end cannot.
 */
export interface BackendSupport {
  /** Build secrets (`secrets`). */
  readonly secrets: boolean;
  /** SSH forwarding (`ssh`). */
  readonly ssh: boolean;
  /** `builder`: none, a buildx builder's name only, or a name or an endpoint. */
  readonly builder: "none" | "name" | "any";
  /** The registry cache (`registryCache`). */
  readonly registryCache: boolean;
  /** Several platforms in one index (`platforms`). */
  readonly multiPlatform: boolean;
  /** Provenance and SBOM attestations (`attestations`). */
  readonly attestations: boolean;
  /** Promoting another environment's image (`environments.<env>.promoteFrom`). */
  readonly promotion: boolean;
  /**
   * Measuring the pushed image and withholding the release tags over its budget
   * (`environments.<env>.sizeBudget`).
   */
  readonly sizeBudget: boolean;
  /** Build args whose new value alone does not rebuild the image (`volatileArgs`). */
  readonly volatileArgs: boolean;
  /** Deleting the pushed image from the registry when its resource is deleted or replaced (`deletePushedImages`). */
  readonly deleteImages: boolean;
  /**
   * The test gate read from the resolved plan at run time; back ends that create it as a
   * resource need its stage at construction, even when some inputs are Outputs.
   */
  readonly gateFromPlan: boolean;
  /** The build inputs its provider takes (the field table's `carriedBy` column). */
  readonly inputs: readonly BuildInput[];
  /** `cacheFrom` entries other than images (`type=local`, `gha`, `s3`). */
  readonly cacheEntries: boolean;
  /**
   * What happens between the push and the release tags: `signing` (cosign signatures, verified
   * before production and promotion), attestations beside the image, `environments.<env>.releaseGate`.
   */
  readonly release: boolean;
  /** Building with a daemonless engine (`engine: "podman"` or `"buildah"`). */
  readonly daemonless: boolean;
}

/**
 * Every back end's support, side by side.
 * @internal
 */
export const SUPPORT = {
  "docker-cli": {
    secrets: true,
    ssh: true,
    builder: "any",
    registryCache: true,
    multiPlatform: true,
    attestations: true,
    promotion: true,
    sizeBudget: true,
    volatileArgs: true,
    deleteImages: false,
    gateFromPlan: true,
    inputs: BUILD_INPUTS,
    cacheEntries: true,
    release: true,
    daemonless: true,
  },
  "docker-build": {
    secrets: true,
    ssh: true,
    builder: "name",
    registryCache: true,
    multiPlatform: true,
    attestations: false,
    promotion: false,
    sizeBudget: false,
    volatileArgs: false,
    deleteImages: true,
    gateFromPlan: false,
    inputs: inputsCarriedBy("docker-build"),
    cacheEntries: true,
    release: false,
    daemonless: false,
  },
  docker: {
    secrets: false,
    ssh: false,
    builder: "none",
    registryCache: false,
    multiPlatform: false,
    attestations: false,
    promotion: false,
    sizeBudget: false,
    volatileArgs: false,
    deleteImages: false,
    gateFromPlan: false,
    inputs: inputsCarriedBy("docker"),
    cacheEntries: false,
    release: false,
    daemonless: false,
  },
} as const satisfies Record<string, BackendSupport>;
