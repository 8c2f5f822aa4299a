/** Ask an OCI registry (Docker Registry HTTP API v2) for a manifest's digest. */
import type { RegistryCredentials } from "./docker-cli";

const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/**
 * `Docker-Content-Digest` of `HEAD /v2/<repository>/manifests/<reference>` with basic auth.
 * `insecure` uses plain HTTP (a local registry on 127.0.0.1).
 */
export async function manifestDigest(
  repository: string,
  reference: string,
  credentials: RegistryCredentials,
  insecure = true,
): Promise<string> {
  const scheme = insecure ? "http" : "https";
  const url = `${scheme}://${credentials.server}/v2/${repository}/manifests/${reference}`;
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64");
  const res = await fetch(url, { method: "HEAD", headers: { Authorization: `Basic ${auth}`, Accept: MANIFEST_TYPES } });
  if (!res.ok) throw new Error(`HEAD ${url} answered ${res.status} ${res.statusText}`);
  const digest = res.headers.get("docker-content-digest");
  if (!digest) throw new Error(`HEAD ${url} returned no Docker-Content-Digest header`);
  return digest;
}
