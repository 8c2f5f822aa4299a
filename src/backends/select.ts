/** The build back ends by name. */
import type { ImageBackend } from "./backend";
import { dockerBackend } from "./docker";
import { dockerCliBackend } from "./docker-cli";
import { dockerBuildBackend } from "./docker-build";

/**
 * The back ends by name: `docker-cli` (the default: a dynamic resource running the Docker CLI,
 * every feature, no provider plugin), `docker-build` (one `Image` per published image, all its
 * tags) and `docker` (`@pulumi/docker`'s `Image`, one per tag).
 */
export const BACKENDS = {
  "docker-build": dockerBuildBackend,
  docker: dockerBackend,
  "docker-cli": dockerCliBackend,
} as const satisfies Record<string, ImageBackend>;

/** A back end's name. */
export type BackendName = keyof typeof BACKENDS;

/** The back end used when none is named: the one every feature of is proven for real here. */
export const DEFAULT_BACKEND: BackendName = "docker-cli";
