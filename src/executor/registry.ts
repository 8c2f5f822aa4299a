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

/** A manifest or index as the registry serves it. */
export interface RegistryManifest {
  /** `Docker-Content-Digest`. */
  digest: string;
  /** `Content-Type`, e.g. `application/vnd.oci.image.index.v1+json`. */
  mediaType: string;
  /** The parsed JSON: `manifests` for an index, `config` and `layers` for an image manifest. */
  body: {
    manifests?: Array<{
      digest: string;
      mediaType: string;
      platform?: { os: string; architecture: string; variant?: string };
      annotations?: Record<string, string>;
    }>;
    config?: { digest: string; mediaType: string; size?: number };
    layers?: Array<{ digest: string; mediaType: string; size: number }>;
  };
}

async function registryGet(
  path: string,
  credentials: RegistryCredentials,
  insecure: boolean,
  accept?: string,
): Promise<Response> {
  const url = `${insecure ? "http" : "https"}://${credentials.server}/v2/${path}`;
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64");
  const res = await fetch(url, { headers: { Authorization: `Basic ${auth}`, ...(accept ? { Accept: accept } : {}) } });
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status} ${res.statusText}`);
  return res;
}

/** `GET /v2/<repository>/manifests/<reference>` (a tag or a digest), with basic auth. */
export async function getManifest(
  repository: string,
  reference: string,
  credentials: RegistryCredentials,
  insecure = true,
): Promise<RegistryManifest> {
  const res = await registryGet(`${repository}/manifests/${reference}`, credentials, insecure, MANIFEST_TYPES);
  return {
    digest: res.headers.get("docker-content-digest") ?? "",
    mediaType: res.headers.get("content-type") ?? "",
    body: (await res.json()) as RegistryManifest["body"],
  };
}

/** `GET /v2/<repository>/blobs/<digest>`: a layer or a config, as bytes. */
export async function getBlob(
  repository: string,
  digest: string,
  credentials: RegistryCredentials,
  insecure = true,
): Promise<Buffer> {
  const res = await registryGet(`${repository}/blobs/${digest}`, credentials, insecure);
  return Buffer.from(await res.arrayBuffer());
}

/** True for a registry on this machine (plain HTTP is allowed there); every other one is HTTPS. */
export function isLoopbackRegistry(server: string): boolean {
  return /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(server);
}

/**
 * The digest `reference` (a tag or digest) has in the registry, or `undefined` when the
 * registry does not have it (404). Other failures throw.
 */
export async function findManifest(
  repository: string,
  reference: string,
  credentials: RegistryCredentials,
  insecure = isLoopbackRegistry(credentials.server),
): Promise<string | undefined> {
  try {
    return await manifestDigest(repository, reference, credentials, insecure);
  } catch (err) {
    if (/answered 404/.test((err as Error).message)) return undefined;
    throw err;
  }
}

/**
 * Give the manifest `digest` of `repository` the tag `tag` (GET it as stored, PUT it under
 * the tag): a release without a build or a pull, the registry's bytes unchanged, so the
 * digest stays the same.
 */
export async function tagManifest(
  repository: string,
  digest: string,
  tag: string,
  credentials: RegistryCredentials,
  insecure = isLoopbackRegistry(credentials.server),
): Promise<void> {
  const res = await registryGet(`${repository}/manifests/${digest}`, credentials, insecure, MANIFEST_TYPES);
  const body = Buffer.from(await res.arrayBuffer());
  const url = `${insecure ? "http" : "https"}://${credentials.server}/v2/${repository}/manifests/${tag}`;
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64");
  const put = await fetch(url, {
    method: "PUT",
    headers: { Authorization: `Basic ${auth}`, "Content-Type": res.headers.get("content-type") ?? "" },
    body,
  });
  if (!put.ok) throw new Error(`PUT ${url} answered ${put.status} ${put.statusText}: ${await put.text()}`);
  const stored = put.headers.get("docker-content-digest");
  if (stored && stored !== digest) throw new Error(`PUT ${url} stored ${stored}, not ${digest}`);
}

/** An image's size as its registry stores it (compressed layers and config). */
export interface ImageSize {
  /** Bytes of the layers and the config; for an index, of its largest platform's image. */
  bytes: number;
  /** The platform measured (`linux/arm64`), for an index. */
  platform?: string;
  /** The largest layers, largest first, with the instruction that made each. */
  largestLayers: Array<{ bytes: number; createdBy: string }>;
}

/** The size of the image (or the largest image of the index) `digest` of `repository`, from its manifest. */
export async function imageSize(
  repository: string,
  digest: string,
  credentials: RegistryCredentials,
  insecure = isLoopbackRegistry(credentials.server),
  top = 3,
): Promise<ImageSize> {
  const manifest = await getManifest(repository, digest, credentials, insecure);
  if (manifest.body.manifests) {
    const images = manifest.body.manifests.filter((m) => m.platform && m.platform.os !== "unknown");
    const sizes = await Promise.all(images.map((m) => imageSize(repository, m.digest, credentials, insecure, top)));
    let largest = 0;
    sizes.forEach((s, i) => {
      if (s.bytes > sizes[largest].bytes) largest = i;
    });
    const p = images[largest]?.platform;
    return {
      ...sizes[largest],
      ...(p ? { platform: `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}` } : {}),
    };
  }
  const layers = manifest.body.layers ?? [];
  const config = manifest.body.config;
  let history: Array<{ created_by?: string; empty_layer?: boolean }> = [];
  if (config) {
    const parsed = JSON.parse((await getBlob(repository, config.digest, credentials, insecure)).toString("utf8")) as {
      history?: typeof history;
    };
    history = (parsed.history ?? []).filter((h) => !h.empty_layer);
  }
  const configBytes = config?.size ?? 0;
  const described = layers.map((l, i) => ({
    bytes: l.size,
    createdBy: (history[i]?.created_by ?? "").replace(/^\/bin\/sh -c (#\(nop\) )?/, "").trim() || `layer ${i + 1}`,
  }));
  return {
    bytes: configBytes + layers.reduce((sum, l) => sum + l.size, 0),
    largestLayers: [...described].sort((a, b) => b.bytes - a.bytes).slice(0, top),
  };
}
