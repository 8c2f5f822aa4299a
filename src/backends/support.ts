/**
 * What each back end can carry, feature by feature: the one table the component's refusals,
 * the README's back-end table and its tests are read against.
 */

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
  },
} as const satisfies Record<string, BackendSupport>;
