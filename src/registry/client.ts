/**
 * The OCI distribution API (Docker Registry HTTP API v2): manifests, blobs, tags. Auth as
 * the registry asks: basic (htpasswd, ECR), or a Bearer token from the realm its
 * `WWW-Authenticate` challenge names (Docker Hub, GHCR, Harbor, GitLab, distribution's token auth).
 */
import * as crypto from "crypto";
import { excerpt, redactCredentials } from "../plan";
import { type RegistryAccess, loginSecretForms } from "./credentials";

/** `Authorization: Basic …` for the credentials, or none when anonymous. */
function basicAuth(access: RegistryAccess): Record<string, string> {
  return access.username === undefined
    ? {}
    : { Authorization: `Basic ${Buffer.from(`${access.username}:${access.password ?? ""}`).toString("base64")}` };
}

const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/**
 * How a registry request failed, as its error carries it (never as a made-up HTTP status):
 * - `answered`: the registry answered with a status that is not a success (`status`);
 * - `malformed`: it answered, but not as the API says (a body that is not JSON, a digest header
 *   that is not a digest, no token): it, or a proxy before it, is answering wrongly;
 * - `timeout`: no success within the request's bound (`requestTimeoutMs`), retries included;
 * - `dropped`: the connection was refused or dropped before an answer;
 * - `unreachable`: no connection could be made as asked (a name that does not resolve, TLS refused).
 */
export type RegistryFailure = "answered" | "malformed" | "timeout" | "dropped" | "unreachable";

/** Answers that say "again later": too many requests, and the registry or its proxy failing for a moment. */
const AGAIN_LATER = new Set([429, 500, 502, 503, 504]);

/**
 * The one rule for what is worth another try, read by a request's retries (`withRetries`) and by
 * what a failed step tells the user: an answer that says "again later", a connection refused or
 * dropped, or a bound that ran out.
 */
export function worthRetrying(failure: RegistryFailure, status: number): boolean {
  return failure === "dropped" || failure === "timeout" || (failure === "answered" && AGAIN_LATER.has(status));
}

/**
 * A registry's answer that was not a success: how it failed, the status it answered (0: it did
 * not answer), the request in the message, and, once a pipeline step reports it, the registry
 * and the step. Callers decide on these, not on the message.
 */
export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly where: { readonly registry?: string; readonly step?: string } = {},
    /** The registry's own error code (`TAG_INVALID`, `NAME_UNKNOWN`, `DENIED`), when it sent one: decide on it, never on the text. */
    readonly code?: string,
    readonly failure: RegistryFailure = status === 0 ? "dropped" : "answered",
  ) {
    super(message);
    this.name = "RegistryError";
  }

  /** Worth trying again later (`worthRetrying`). */
  get retryable(): boolean {
    return worthRetrying(this.failure, this.status);
  }
}

/**
 * How long one registry request may take in all, retries and their waits included: a registry
 * that does not answer, or asks to be retried again and again, fails instead of hanging
 * `pulumi up`. `MULTISTAGE_REGISTRY_TIMEOUT_MS` sets it (slow links, tests).
 */
export const DEFAULT_REGISTRY_TIMEOUT_MS = 30_000;
/** The bounds `MULTISTAGE_REGISTRY_TIMEOUT_MS` may take: 100 ms to one hour, whole milliseconds. */
export const REGISTRY_TIMEOUT_RANGE_MS = { min: 100, max: 3_600_000 } as const;
export function requestTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.MULTISTAGE_REGISTRY_TIMEOUT_MS;
  if (text === undefined || text === "") return DEFAULT_REGISTRY_TIMEOUT_MS;
  const { min, max } = REGISTRY_TIMEOUT_RANGE_MS;
  // Whole milliseconds in a sane range, or refused by name: never silently the default.
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max)
    throw new Error(
      `MULTISTAGE_REGISTRY_TIMEOUT_MS is ${JSON.stringify(excerpt(text, 40))}: it takes whole milliseconds from ${min} to ${max} (the bound on one registry request, retries included). Set it to e.g. 60000, or unset it for the default of ${DEFAULT_REGISTRY_TIMEOUT_MS}.`,
    );
  return Number(text);
}

/** The bound's text for a message: what it was and how to change it. */
function boundText(ms: number): string {
  return `${ms / 1000} s (the bound on one registry request, retries included; MULTISTAGE_REGISTRY_TIMEOUT_MS sets it)`;
}

/**
 * What a request carried that no error may repeat: the credentials, as sent and as encoded in
 * its `Authorization` header, and any token.
 */
function carried(access: RegistryAccess, authorization: Record<string, string> = {}): string[] {
  const header = [authorization.Authorization, authorization.Authorization?.replace(/^\S+\s+/, "")];
  return [...loginSecretForms(access), ...header.filter((v): v is string => typeof v === "string" && v.length >= 4)];
}

/**
 * The one rule for quoting what a registry said: every value the request carried replaced by
 * `[redacted]`, any `Authorization`-like header or Basic/Bearer credential too (a proxy may echo
 * one it added), control characters dropped, and at most `max` characters.
 */
export function scrubRegistryText(text: string, secrets: readonly string[], max = 300): string {
  const out = redactCredentials(text, secrets)
    .replace(/\b(cookie|set-cookie)\b(["']?\s*[:=]\s*["']?)[^"'\r\n,}]*/gi, "$1$2[redacted]")
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "")
    .replace(/\s+/g, " ")
    .trim();
  return excerpt(out, max);
}

/**
 * A digest as the OCI image spec defines it (`algorithm:encoded`), with the lengths of the
 * registered algorithms: anything else a registry sends is not taken for one.
 */
export function isValidDigest(value: string): boolean {
  const match = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/.exec(value);
  if (!match) return false;
  const [, algorithm, encoded] = match;
  if (algorithm === "sha256") return /^[a-f0-9]{64}$/.test(encoded);
  if (algorithm === "sha512") return /^[a-f0-9]{128}$/.test(encoded);
  return true;
}

/** The `Docker-Content-Digest` of an answer, checked; a registry that sends a malformed one fails naming it. */
function contentDigest(
  res: Response,
  what: string,
  required: boolean,
  credentials: RegistryAccess,
): string | undefined {
  const digest = res.headers.get("docker-content-digest");
  if (digest === null || digest === "") {
    if (required)
      throw new RegistryError(
        `${what} returned no Docker-Content-Digest header`,
        res.status,
        {},
        undefined,
        "malformed",
      );
    return undefined;
  }
  if (!isValidDigest(digest))
    throw new RegistryError(
      `${what} returned a Docker-Content-Digest that is not a digest (${JSON.stringify(scrubRegistryText(digest, carried(credentials), 80))}); a registry, or a proxy before it, is answering wrongly`,
      res.status,
      {},
      undefined,
      "malformed",
    );
  return digest;
}

/**
 * How requests are retried (what is worth it, `worthRetrying` says): up to `attempts` in all,
 * waiting `firstDelayMs` doubling to `maxDelayMs`, or what `Retry-After` asks (at most
 * `maxRetryAfterMs`). A timeout ends the request: the bound has run out.
 */
export const RETRY_POLICY = { attempts: 5, firstDelayMs: 250, maxDelayMs: 8_000, maxRetryAfterMs: 30_000 };

/** The wait a `Retry-After` header asks for (seconds or an HTTP date), in ms. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\s*-?\d+(\.\d+)?\s*$/.test(header)) {
    const seconds = Number(header.trim());
    return seconds >= 0 ? seconds * 1000 : undefined;
  }
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** How a request that got no answer failed: a connection the registry (or something between) dropped or refused, or none made. */
function noAnswer(err: unknown): RegistryFailure {
  const code = (err as { cause?: { code?: string } }).cause?.code ?? "";
  return err instanceof TypeError && /ECONNRESET|ECONNREFUSED|EPIPE|UND_ERR_SOCKET|UND_ERR_CLOSED/.test(code)
    ? "dropped"
    : "unreachable";
}

/**
 * `send(signal)`, again while it answers with a status worth retrying or its connection drops
 * (`RETRY_POLICY`), all within one overall bound (`requestTimeoutMs`): each attempt gets what is
 * left of it, and a wait (backoff or `Retry-After`) that would pass it fails at once.
 */
async function withRetries(what: string, send: (signal: AbortSignal) => Promise<Response>): Promise<Response> {
  const bound = requestTimeoutMs();
  const deadline = Date.now() + bound;
  let delay = RETRY_POLICY.firstDelayMs;
  for (let attempt = 1; ; attempt++) {
    let res: Response | undefined;
    const left = deadline - Date.now();
    const tries = attempt > 1 ? ` (${attempt - 1} attempts)` : "";
    if (left <= 0)
      throw new RegistryError(
        `${what} did not succeed within ${boundText(bound)}${tries}`,
        0,
        {},
        undefined,
        "timeout",
      );
    try {
      res = await send(AbortSignal.timeout(left));
    } catch (err) {
      if ((err as Error).name === "TimeoutError")
        throw new RegistryError(
          `${what} did not answer within ${boundText(bound)}${attempt > 1 ? ` (${attempt} attempts)` : ""}`,
          0,
          {},
          undefined,
          "timeout",
        );
      const failure = noAnswer(err);
      if (!worthRetrying(failure, 0) || attempt >= RETRY_POLICY.attempts) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        throw new RegistryError(
          `${what} failed: ${cause?.code ?? cause?.message ?? (err as Error).message}${attempt > 1 ? ` (${attempt} attempts)` : ""}`,
          0,
          {},
          undefined,
          failure,
        );
      }
    }
    if (res && (!worthRetrying("answered", res.status) || attempt >= RETRY_POLICY.attempts)) {
      if (attempt > 1 && !res.ok) return withAttempts(res, attempt);
      return res;
    }
    const asked = res ? retryAfterMs(res.headers.get("retry-after")) : undefined;
    await res?.arrayBuffer().catch(() => undefined); // free the connection
    const wait = asked !== undefined ? Math.min(asked, RETRY_POLICY.maxRetryAfterMs) : delay;
    if (Date.now() + wait >= deadline)
      throw new RegistryError(
        `${what} answered ${res ? `${res.status} ${res.statusText}` : "by dropping the connection"} (${attempt} attempts)${asked !== undefined ? ` and asked to be retried after ${asked / 1000} s` : ""}; another attempt would pass ${boundText(bound)}`,
        res?.status ?? 0,
        {},
        undefined,
        "timeout",
      );
    await new Promise((resolve) => setTimeout(resolve, wait));
    delay = Math.min(delay * 2, RETRY_POLICY.maxDelayMs);
  }
}

/** An answer's JSON; a body that is not JSON fails without quoting it (it may echo what was sent). */
async function readJson<T>(res: Response, what: string): Promise<T> {
  return parseJson<T>(Buffer.from(await res.arrayBuffer()), what, res.status);
}

/** `bytes` (a registry's answer to `what`, with `status`) as JSON; a malformed answer when they are not. */
function parseJson<T>(bytes: Buffer, what: string, status: number): T {
  try {
    return JSON.parse(bytes.toString("utf8")) as T;
  } catch {
    throw new RegistryError(
      `${what} answered ${bytes.length} bytes that are not JSON`,
      status,
      {},
      undefined,
      "malformed",
    );
  }
}

/** A failed answer that says how many attempts were made (the message reads its statusText). */
function withAttempts(res: Response, attempts: number): Response {
  return new Response(res.body, {
    status: res.status,
    statusText: `${res.statusText} (${attempts} attempts)`,
    headers: res.headers,
  });
}

/** Tokens by server, credentials and scope, until shortly before they expire. */
const tokens = new Map<string, { token: string; until: number }>();
/** The Bearer challenge each server answered with, so later requests ask for a token first. */
const challenges = new Map<string, Record<string, string>>();

/** The parameters of a `WWW-Authenticate: Bearer realm="…",service="…",scope="…"` challenge. */
export function parseBearerChallenge(header: string): Record<string, string> | undefined {
  const match = /^\s*Bearer\s+(.*)$/i.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const [, key, quoted, bare] of match[1].matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g))
    params[key.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, "$1") : bare;
  return params.realm ? params : undefined;
}

/** A token for `scope` from the challenge's realm, with the credentials as basic auth. */
async function bearerToken(
  challenge: Record<string, string>,
  scope: string,
  credentials: RegistryAccess,
  fresh = false,
): Promise<string> {
  const realm = new URL(challenge.realm);
  // Credentials go to the realm only over HTTPS, or to this machine.
  if (realm.protocol !== "https:" && !isLoopbackRegistry(realm.host))
    throw new RegistryError(
      `the registry ${credentials.server} sends its token requests to ${realm.origin} over plain HTTP; the credentials are not sent there. Serve the token realm over HTTPS.`,
      401,
    );
  const key = JSON.stringify([
    credentials.server,
    credentials.username ?? "",
    credentials.password ?? "",
    realm.href,
    scope,
  ]);
  const cached = tokens.get(key);
  if (!fresh && cached && cached.until > Date.now()) return cached.token;
  const scopes = [...new Set([scope, ...(challenge.scope ? challenge.scope.split(" ") : [])])];
  if (challenge.service) realm.searchParams.set("service", challenge.service);
  for (const s of scopes) realm.searchParams.append("scope", s);
  const res = await withRetries(`GET ${realm.origin}${realm.pathname}`, (signal) =>
    fetch(realm, { headers: basicAuth(credentials), signal }),
  );
  if (!res.ok)
    throw new RegistryError(
      `the token service of ${credentials.server} (${realm.origin}${realm.pathname}) refused ${credentials.username ?? "anonymous access"} for ${scopes.join(" ")}: ${res.status} ${scrubRegistryText(res.statusText, carried(credentials), 80)}. Check registry.username and registry.password.`,
      res.status,
    );
  const body = await readJson<{ token?: string; access_token?: string; expires_in?: number }>(
    res,
    `the token service of ${credentials.server}`,
  );
  const token = body.token ?? body.access_token;
  if (!token)
    throw new RegistryError(
      `the token service of ${credentials.server} answered without a token`,
      res.status,
      {},
      undefined,
      "malformed",
    );
  // The spec's default lifetime is 60 s; keep a margin.
  tokens.set(key, { token, until: Date.now() + Math.max(0, (body.expires_in ?? 60) - 10) * 1000 });
  return token;
}

/**
 * One request to `/v2/<path>` of the registry: with basic auth first; on a Bearer challenge,
 * again with a token for `repository:<repository>:<actions>`. Not-2xx answers throw `RegistryError`.
 */
async function registryRequest(
  method: "GET" | "HEAD" | "PUT",
  repository: string,
  path: string,
  credentials: RegistryAccess,
  insecure: boolean | undefined,
  init: { headers?: Record<string, string>; body?: ArrayBuffer } = {},
): Promise<Response> {
  // One default for every request: HTTPS, unless the registry is on this machine or the caller says so.
  const plain = insecure ?? isLoopbackRegistry(credentials.server);
  const url = `${plain ? "http" : "https"}://${apiHost(credentials.server)}/v2/${repository}/${path}`;
  const send = (authorization: Record<string, string>): Promise<Response> =>
    withRetries(`${method} ${url}`, (signal) =>
      fetch(url, { method, headers: { ...init.headers, ...authorization }, body: init.body, signal }),
    );
  const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });
  const scope = `repository:${repository}:${method === "PUT" ? "pull,push" : "pull"}`;
  const known = challenges.get(credentials.server);
  let authorization = known ? bearer(await bearerToken(known, scope, credentials)) : basicAuth(credentials);
  let res = await send(authorization);
  const challenge = res.status === 401 ? parseBearerChallenge(res.headers.get("www-authenticate") ?? "") : undefined;
  if (challenge) {
    // The server wants tokens (or refused the cached one): a new token, once. Later requests
    // for other repositories ask for their own scope, not this challenge's.
    challenges.set(credentials.server, {
      realm: challenge.realm,
      ...(challenge.service ? { service: challenge.service } : {}),
    });
    authorization = bearer(await bearerToken(challenge, scope, credentials, true));
    res = await send(authorization);
  }
  if (!res.ok) {
    // A HEAD answer has no body: the registry's reason (`authentication required`) is in a GET's.
    const reason =
      method === "HEAD" && res.status !== 404
        ? await fetch(url, {
            headers: { ...init.headers, ...authorization },
            signal: AbortSignal.timeout(Math.min(requestTimeoutMs(), 10_000)),
          })
            .then((r) => r.text())
            .catch(() => "")
        : method === "HEAD"
          ? ""
          : await res.text().catch(() => "");
    // Quoted only as the one rule allows: nothing the request carried, bounded.
    const said = scrubRegistryText(reason, carried(credentials, authorization));
    const detail = said ? `: ${said}` : "";
    const fix =
      res.status === 401 || res.status === 403
        ? ` Check that ${credentials.username ?? "anonymous access"} may ${method === "PUT" ? "push to" : "pull from"} ${repository}.`
        : "";
    throw new RegistryError(
      `${method} ${url} answered ${res.status} ${scrubRegistryText(res.statusText, carried(credentials, authorization), 80)}${detail}.${fix}`,
      res.status,
      {},
      errorCode(reason),
    );
  }
  return res;
}

/** The first error code of a distribution-spec error body (`{"errors":[{"code":"TAG_INVALID",…}]}`), if it is one. */
function errorCode(body: string): string | undefined {
  try {
    const code = (JSON.parse(body) as { errors?: Array<{ code?: unknown }> }).errors?.[0]?.code;
    return typeof code === "string" && /^[A-Z_]{2,64}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

/** `HEAD` or `GET /v2/<repository>/manifests/<reference>`, accepting every manifest and index type. */
function manifestRequest(
  method: "GET" | "HEAD",
  repository: string,
  reference: string,
  credentials: RegistryAccess,
  insecure: boolean | undefined,
): Promise<Response> {
  return registryRequest(method, repository, `manifests/${reference}`, credentials, insecure, {
    headers: { Accept: MANIFEST_TYPES },
  });
}

/**
 * `Docker-Content-Digest` of `HEAD /v2/<repository>/manifests/<reference>`.
 * `insecure` uses plain HTTP; by default only a registry on this machine (127.0.0.1, localhost) is.
 */
export async function manifestDigest(
  repository: string,
  reference: string,
  credentials: RegistryAccess,
  insecure?: boolean,
): Promise<string> {
  const res = await manifestRequest("HEAD", repository, reference, credentials, insecure);
  return contentDigest(res, `HEAD ${repository}/manifests/${reference}`, true, credentials) as string;
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

/** `GET /v2/<repository>/manifests/<reference>` (a tag or a digest). */
export async function getManifest(
  repository: string,
  reference: string,
  credentials: RegistryAccess,
  insecure?: boolean,
): Promise<RegistryManifest> {
  const res = await manifestRequest("GET", repository, reference, credentials, insecure);
  const what = `GET ${repository}/manifests/${reference}`;
  const header = contentDigest(res, what, false, credentials);
  const bytes = Buffer.from(await res.arrayBuffer());
  const body = parseJson<RegistryManifest["body"]>(bytes, what, res.status);
  return {
    // ECR sends Docker-Content-Digest on HEAD only: the digest is then the bytes' own.
    digest: header ?? `sha256:${crypto.createHash("sha256").update(bytes).digest("hex")}`,
    mediaType: res.headers.get("content-type") ?? "",
    body,
  };
}

/** `GET /v2/<repository>/blobs/<digest>`: a layer or a config, as bytes. */
export async function getBlob(
  repository: string,
  digest: string,
  credentials: RegistryAccess,
  insecure?: boolean,
): Promise<Buffer> {
  const res = await registryRequest("GET", repository, `blobs/${digest}`, credentials, insecure);
  return Buffer.from(await res.arrayBuffer());
}

/** The host that serves a registry's API: Docker Hub's names (`docker.io`) are served by `registry-1.docker.io`. */
export function apiHost(server: string): string {
  return server === "docker.io" || server === "index.docker.io" ? "registry-1.docker.io" : server;
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
  credentials: RegistryAccess,
  insecure?: boolean,
): Promise<string | undefined> {
  try {
    return await manifestDigest(repository, reference, credentials, insecure);
  } catch (err) {
    if (err instanceof RegistryError && err.status === 404) return undefined;
    throw err;
  }
}

/**
 * Give the manifest `digest` of `repository` the tags `tags` (GET it once as stored, PUT it
 * under each tag): a release without a build or a pull, the registry's bytes unchanged, so
 * the digest stays the same. A tag that already names `digest` is not put again: registries
 * with immutable tags (ECR) refuse a second PUT even of the same digest. A tag the registry
 * refuses to move (`TAG_INVALID`, an immutable tag naming another image) fails naming the tag,
 * the image it names and the fix.
 */
export async function tagManifest(
  repository: string,
  digest: string,
  tags: readonly string[],
  credentials: RegistryAccess,
  insecure?: boolean,
): Promise<void> {
  let manifest: { body: ArrayBuffer; contentType: string } | undefined;
  for (const tag of tags) {
    // As containerd's pusher does: HEAD the tag first, and leave it when it already names the image.
    const named = await findManifest(repository, tag, credentials, insecure);
    if (named === digest) continue;
    if (!manifest) {
      const res = await manifestRequest("GET", repository, digest, credentials, insecure);
      manifest = { body: await res.arrayBuffer(), contentType: res.headers.get("content-type") ?? "" };
    }
    const put = await registryRequest("PUT", repository, `manifests/${tag}`, credentials, insecure, {
      headers: { "Content-Type": manifest.contentType },
      body: manifest.body,
    }).catch((err: unknown) => {
      if (err instanceof RegistryError && err.code === "TAG_INVALID" && named !== undefined)
        throw new RegistryError(
          `the tag ${tag} of ${repository} already names ${named}, and the registry keeps its tags immutable (TAG_INVALID), so it cannot name ${digest}. Tags that follow the inputs ({inputsHash}, {gitSha}) never need to move; a moving tag needs a mutable repository, or an exclusion filter for it (IMMUTABLE_WITH_EXCLUSION).`,
          err.status,
          {},
          err.code,
        );
      throw err;
    });
    const stored = contentDigest(put, `PUT ${repository}/manifests/${tag}`, false, credentials);
    if (stored && stored !== digest)
      throw new RegistryError(
        `PUT ${repository}/manifests/${tag} stored ${stored}, not ${digest}`,
        put.status,
        {},
        undefined,
        "malformed",
      );
  }
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
  credentials: RegistryAccess,
  insecure?: boolean,
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
