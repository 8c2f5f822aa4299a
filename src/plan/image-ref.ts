/**
 * Image references (pure): `[registry/]repository[:tag][@digest]`, digests and tags.
 * The one place that knows what a digest and a tag look like.
 */
import { excerpt } from "../dockerfile";

/** A manifest digest as registries report it, as a pattern source (to embed in other patterns). */
export const DIGEST = "sha256:[0-9a-f]{64}";

/** A whole string that is a digest. */
export const DIGEST_PATTERN = new RegExp(`^${DIGEST}$`);

/** A tag Docker accepts: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`. */
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** What a valid tag looks like, for messages. */
export const TAG_RULE = "up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'";

export interface ImageReference {
  /** Registry host (with port) when the reference names one, e.g. `123.dkr.ecr.us-east-1.amazonaws.com`. */
  registry?: string;
  /** Repository path without registry, tag or digest, e.g. `library/node` is written `node`. */
  repository: string;
  tag?: string;
  /** `sha256:…` */
  digest?: string;
}

export function parseImageReference(reference: string): ImageReference {
  let rest = reference.trim();
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  let registry: string | undefined;
  const slash = rest.indexOf("/");
  if (slash > 0) {
    const first = rest.slice(0, slash);
    if (first.includes(".") || first.includes(":") || first === "localhost") {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  return { registry, repository: rest, tag, digest };
}

/** The registry host a reference names, Docker Hub (`docker.io`) when it names none (`acme/api`). */
export function registryHost(reference: string): string {
  return parseImageReference(reference).registry ?? "docker.io";
}

/** `registry/repository` (no tag or digest). */
export function repositoryOf(reference: string): string {
  const ref = parseImageReference(reference);
  return ref.registry ? `${ref.registry}/${ref.repository}` : ref.repository;
}

/** True when the reference pins a version: a digest, or a tag other than `latest`. */
export function isPinnedReference(reference: string): boolean {
  const ref = parseImageReference(reference);
  if (ref.digest) return true;
  return ref.tag !== undefined && ref.tag !== "" && ref.tag !== "latest";
}

/** The `sha256:…` digest of a digest or a `repo[:tag]@sha256:…` reference; `undefined` when it holds none. */
export function digestOf(reference: string): string | undefined {
  const digest = reference.includes("@") ? reference.slice(reference.lastIndexOf("@") + 1) : reference;
  return DIGEST_PATTERN.test(digest) ? digest : undefined;
}

/** True for `<repository>@sha256:…`: a reference that always means the same image. */
export function isDigestPinned(reference: string): boolean {
  return reference.includes("@") && digestOf(reference) !== undefined;
}

/** `repo@sha256:…` from a repository URL and a digest (a `repo[:tag]@sha256:…` string also works). */
export function pinByDigest(repositoryUrl: string, digestOrRepoDigest: string): string {
  const digest = digestOf(digestOrRepoDigest);
  if (!digest)
    throw new Error(`"${digestOrRepoDigest}" holds no sha256 digest; cannot pin ${repositoryUrl} by digest.`);
  return `${repositoryOf(repositoryUrl)}@${digest}`;
}

/** True for a tag Docker accepts (`TAG_PATTERN`). */
export function isValidTag(tag: string): boolean {
  return TAG_PATTERN.test(tag);
}

/** A registry host as a reference names it: a host name or address and, maybe, a port (`ghcr.io`, `127.0.0.1:5055`). */
export function isRegistryHost(host: string): boolean {
  return /^[A-Za-z0-9.-]+(:\d+)?$/.test(host);
}

/** A repository path as the distribution spec allows it (`team/app`, `library/node`). */
const REPOSITORY_PATH = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/**
 * What is wrong with `reference` as a repository to push to (`ghcr.io/acme/api`), or `undefined`:
 * a tag or digest, or a path the registry would refuse. The one check for `registry.repository`,
 * `promoteRepository` and the CLI's `--repository`.
 */
export function repositoryProblem(reference: string): { message: string; hint: string } | undefined {
  const ref = parseImageReference(reference);
  const shown = excerpt(reference);
  if (ref.tag !== undefined || ref.digest !== undefined)
    return {
      message: `"${shown}" has a tag or digest.`,
      hint: "Give the repository only; tags come from tagStrategy, tags and movingTags.",
    };
  if (!REPOSITORY_PATH.test(ref.repository) || (ref.registry !== undefined && !isRegistryHost(ref.registry)))
    return {
      message: `"${shown}" is not a valid repository.`,
      hint: "Use lowercase letters, digits and . _ - separated by /, after the registry host.",
    };
  return undefined;
}
