/** The build back ends by name. */
import type { ImageBackend } from "./backend";
import { dockerBackend } from "./docker";
import { dockerCliBackend } from "./docker-cli";
import { dockerBuildBackend } from "./docker-build";

/**
 * The back ends by name: `docker-build` (the default: one `Image` per published image,
 * all its tags), `docker` (`@pulumi/docker`'s `Image`, one per tag) and `docker-cli` (a
 * dynamic resource running the Docker CLI; no provider plugin).
 */
export const BACKENDS = {
  "docker-build": dockerBuildBackend,
  docker: dockerBackend,
  "docker-cli": dockerCliBackend,
} as const satisfies Record<string, ImageBackend>;

/** A back end's name. */
export type BackendName = keyof typeof BACKENDS;

/** The back end used when none is named. */
export const DEFAULT_BACKEND: BackendName = "docker-build";
