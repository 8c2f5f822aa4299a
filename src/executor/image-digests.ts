/**
 * The digests of the images a target starts from or copies from, as the build will see
 * them: a digest the reference pins; the local image, with the Docker engine's own builder;
 * else the registry's manifest (anonymously, or with the credentials of that registry).
 */
import type { DockerExecutor } from "./docker-cli";
import { digestOf, isDigestPinned, parseImageReference } from "../plan";
import { type RegistryAccess, apiHost, findManifest } from "../registry";

/** Where a reference lives: the registry host, the repository path in it, the tag or digest. */
export interface ImageLocation {
  server: string;
  repository: string;
  reference: string;
}

/** `node:20` → Docker Hub's `library/node:20`; `ghcr.io/team/app@sha256:…` → its host, path and digest. */
export function locateImage(image: string): ImageLocation {
  const ref = parseImageReference(image);
  const reference = ref.digest ?? ref.tag ?? "latest";
  const server = apiHost(ref.registry ?? "docker.io");
  if (server !== apiHost("docker.io")) return { server, repository: ref.repository, reference };
  return {
    server,
    repository: ref.repository.includes("/") ? ref.repository : `library/${ref.repository}`,
    reference,
  };
}

/** The outcome for the images: their digests, and why the others have none. */
export interface ResolvedImages {
  digests: Record<string, string>;
  unresolved: Record<string, string>;
}

/**
 * Resolve `images`. `engine`: the Docker engine that builds (its local images come first, as
 * its builder uses them); `registries`: credentials by registry host.
 */
export async function resolveImageDigests(
  images: readonly string[],
  options: { engine?: DockerExecutor; registries?: readonly RegistryAccess[] } = {},
): Promise<ResolvedImages> {
  const digests: Record<string, string> = {};
  const unresolved: Record<string, string> = {};
  await Promise.all(
    images.map(async (image) => {
      const pinned = isDigestPinned(image) ? digestOf(image) : undefined;
      if (pinned) {
        digests[image] = pinned;
        return;
      }
      if (options.engine) {
        const local = await options.engine.inspect(image).then(
          (i) => i.Id,
          () => undefined,
        );
        if (local) {
          digests[image] = local;
          return;
        }
      }
      const where = locateImage(image);
      const access = options.registries?.find((r) => r.server === where.server) ?? { server: where.server };
      try {
        const found = await findManifest(where.repository, where.reference, access);
        if (found) digests[image] = found;
        else unresolved[image] = `${where.server} has no ${where.repository}:${where.reference}`;
      } catch (err) {
        unresolved[image] = (err as Error).message;
      }
    }),
  );
  return { digests, unresolved };
}
