/** Docker image reference parsing: `[registry/]repository[:tag][@digest]`. */

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

/** `repo@sha256:…` from a repository URL and a digest (a `repo[:tag]@sha256:…` string also works). */
export function pinByDigest(repositoryUrl: string, digestOrRepoDigest: string): string {
  const digest = digestOrRepoDigest.includes("@") ? digestOrRepoDigest.split("@")[1] : digestOrRepoDigest;
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) {
    throw new Error(`"${digestOrRepoDigest}" holds no sha256 digest; cannot pin ${repositoryUrl} by digest.`);
  }
  return `${repositoryOf(repositoryUrl)}@${digest}`;
}

/** True for a tag Docker accepts: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`. */
export function isValidTag(tag: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag);
}
