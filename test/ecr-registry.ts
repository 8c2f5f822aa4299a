/**
 * An ECR-faithful registry for the tests: a small HTTP server on 127.0.0.1 in front of the
 * local distribution registry, keeping the rules of Amazon ECR's registry API that distribution
 * does not (each from ../shared/research/ecr-rules.md, by row):
 *
 * - Basic auth with user `AWS` and a token that expires: no login gets 401 with a Basic
 *   challenge (3.2); an expired token gets 403 `DENIED` with no challenge (3.4).
 * - Repositories must exist: any route of an unknown one gets 404 `NAME_UNKNOWN` (2.1), unless a
 *   creation template with `CREATE_ON_PUSH` matches it on the first write (2.4).
 * - Tag immutability per repository: `MUTABLE`, `IMMUTABLE`, `IMMUTABLE_WITH_EXCLUSION` and
 *   `MUTABLE_WITH_EXCLUSION` with up to five wildcard filters (1.1, 1.2). A manifest PUT to a tag
 *   that exists and is immutable is refused with 400 `TAG_INVALID`, **even when it names the same
 *   digest** (1.5, and the strict reading of 1.8). Filters are anchored globs; one without `*`
 *   matches exactly (the strict reading of 1.3).
 * - Tags per image: at most 1000, then 403 `DENIED` (5.1); tags follow the reference grammar (5.2).
 * - Manifests: OCI and Docker schema 2 images and indexes; refused with 405 `UNSUPPORTED` (4.5,
 *   4.6): schema 1, a manifest without a top-level `mediaType`, a media type with `;`, an index
 *   platform with `features` (4.2); larger than 4 MiB with 400 `MANIFEST_INVALID` (4.6); an index
 *   whose children are not in the repository with 400 `MANIFEST_INVALID` (4.2).
 * - The OCI referrers API, `GET /v2/<name>/referrers/<digest>` (4.4), which distribution 2.8 lacks.
 * - Response quirks: `Docker-Content-Digest` on HEAD but not on GET (1.10); no `Location` on a
 *   manifest PUT (4.10); no cross-repository blob mount unless enabled (5.5: the mount is ignored
 *   and an upload session starts, 202).
 *
 * Codes are decided here as ECR decides them, so tests (and the package) can decide on codes,
 * never on message text (8.2). The control plane (repositories, templates, tokens) is a typed API
 * on the returned object, as the ECR API would be; `POST /_ecr/token` issues a token over HTTP
 * for a credential helper (as `aws ecr get-login-password` would).
 */
import * as crypto from "crypto";
import * as http from "http";
import type { AddressInfo } from "net";

export type TagMutability = "MUTABLE" | "IMMUTABLE" | "IMMUTABLE_WITH_EXCLUSION" | "MUTABLE_WITH_EXCLUSION";

export interface RepositorySettings {
  readonly imageTagMutability?: TagMutability;
  /** `WILDCARD` filters (1–5, `^[0-9a-zA-Z._*-]{1,128}$`), for the `*_WITH_EXCLUSION` modes. */
  readonly exclusionFilters?: readonly string[];
}

export interface CreationTemplate extends RepositorySettings {
  /** A repository-name prefix (an implicit trailing `/`), or `ROOT` for any repository. */
  readonly prefix: string;
  readonly appliedFor: ReadonlyArray<"CREATE_ON_PUSH" | "REPLICATION" | "PULL_THROUGH_CACHE">;
}

export interface EcrRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly code?: string;
}

export interface EcrRegistry {
  /** `127.0.0.1:<port>` */
  readonly server: string;
  readonly accountId: string;
  /** Every request answered, in order (for tests that count PUTs by tag). */
  readonly requests: EcrRequest[];
  /** CreateRepository; refuses a name ECR refuses, a taken one, or bad filters (as the API would). */
  createRepository(name: string, settings?: RepositorySettings): void;
  /** PutImageTagMutability. */
  setTagMutability(name: string, settings: RepositorySettings): void;
  /** DeleteRepository. */
  deleteRepository(name: string): void;
  repositories(): string[];
  /** PutRepositoryCreationTemplate. */
  putCreationTemplate(template: CreationTemplate): void;
  /** GetAuthorizationToken: a password for user `AWS`, valid for the registry's token lifetime. */
  issueToken(): string;
  /** Expire every token issued so far (as 12 hours passing would). */
  expireTokens(): void;
  close(): Promise<void>;
}

export interface EcrRegistryOptions {
  /** The distribution registry behind it, `127.0.0.1:5055`, and its login. */
  readonly upstream: { readonly server: string; readonly username: string; readonly password: string };
  /** How long a token lasts (ECR: 12 hours). @default 12 h */
  readonly tokenLifetimeMs?: number;
  /** Tags one image may carry (ECR: 1000). */
  readonly tagsPerImage?: number;
  readonly accountId?: string;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const REPOSITORY_NAME = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const FILTER = /^[0-9a-zA-Z._*-]{1,128}$/;
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const SCHEMA1 = /^application\/vnd\.docker\.distribution\.manifest\.v1\+(prettyjws|json)$/;
const INDEX_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
];
const UNSUPPORTED_TEXT = "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'";

interface Repository {
  mutability: TagMutability;
  filters: string[];
  /** tag → digest, for the tags put through this registry. */
  tags: Map<string, string>;
  /** subject digest → the referrers' descriptors. */
  referrers: Map<string, Array<Record<string, unknown>>>;
}

/** An anchored glob: `*` is any run of characters, everything else itself (1.3, the strict reading; lifecycle patterns, 6.2). */
export function globMatches(filter: string, tag: string): boolean {
  const pattern = filter
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${pattern}$`).test(tag);
}

/** Whether `tag` is immutable in `repository` (1.1). */
export function tagIsImmutable(mutability: TagMutability, filters: readonly string[], tag: string): boolean {
  const excluded = filters.some((f) => globMatches(f, tag));
  switch (mutability) {
    case "MUTABLE":
      return false;
    case "IMMUTABLE":
      return true;
    case "IMMUTABLE_WITH_EXCLUSION":
      return !excluded;
    case "MUTABLE_WITH_EXCLUSION":
      return excluded;
  }
}

function checkSettings(settings: RepositorySettings): { mutability: TagMutability; filters: string[] } {
  const mutability = settings.imageTagMutability ?? "MUTABLE";
  const filters = [...(settings.exclusionFilters ?? [])];
  const withExclusion = mutability.endsWith("_WITH_EXCLUSION");
  if (withExclusion && (filters.length < 1 || filters.length > 5))
    throw new Error(`InvalidParameterException: ${mutability} needs 1 to 5 exclusion filters, got ${filters.length}`);
  if (!withExclusion && filters.length)
    throw new Error(`InvalidParameterException: exclusion filters need a *_WITH_EXCLUSION mode, not ${mutability}`);
  for (const f of filters)
    if (!FILTER.test(f)) throw new Error(`InvalidParameterException: filter ${JSON.stringify(f)} is not valid`);
  return { mutability, filters };
}

/** Start the registry on a free loopback port. */
export async function startEcrRegistry(options: EcrRegistryOptions): Promise<EcrRegistry> {
  const accountId = options.accountId ?? "123456789012";
  const lifetime = options.tokenLifetimeMs ?? 12 * 3600 * 1000;
  const tagsPerImage = options.tagsPerImage ?? 1000;
  const upstreamAuth = `Basic ${Buffer.from(`${options.upstream.username}:${options.upstream.password}`).toString("base64")}`;
  const repositories = new Map<string, Repository>();
  const templates: CreationTemplate[] = [];
  const tokens = new Map<string, number>();
  const requests: EcrRequest[] = [];
  let server = "";

  const create = (name: string, settings: RepositorySettings = {}): Repository => {
    if (!REPOSITORY_NAME.test(name) || name.length < 2 || name.length > 256)
      throw new Error(`InvalidParameterException: repository name ${JSON.stringify(name)} is not valid`);
    if (repositories.has(name)) throw new Error(`RepositoryAlreadyExistsException: ${name}`);
    const repository = { ...checkSettings(settings), tags: new Map(), referrers: new Map() };
    repositories.set(name, repository);
    return repository;
  };

  /** The repository, created from a CREATE_ON_PUSH template on a write when one matches (2.4). */
  const repositoryOf = (name: string, write: boolean): Repository | undefined => {
    const found = repositories.get(name);
    if (found || !write) return found;
    const candidates = templates.filter(
      (t) => t.appliedFor.includes("CREATE_ON_PUSH") && (t.prefix === "ROOT" || name.startsWith(`${t.prefix}/`)),
    );
    // The most specific prefix wins; ROOT covers what no other does.
    const template = candidates.sort((a, b) => (b.prefix === "ROOT" ? -1 : b.prefix.length - a.prefix.length))[0];
    return template ? create(name, template) : undefined;
  };

  const upstream = (
    method: string,
    path: string,
    headers: http.OutgoingHttpHeaders = {},
    body?: Buffer,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const [host, port] = options.upstream.server.split(":");
      const req = http.request(
        { host, port: Number(port), method, path, headers: { ...headers, authorization: upstreamAuth } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });

  const srv = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://registry");
    const answer = (status: number, code?: string, message?: string, headers: http.OutgoingHttpHeaders = {}): void => {
      requests.push({ method: req.method ?? "", path: url.pathname, status, ...(code ? { code } : {}) });
      const body = code ? JSON.stringify({ errors: [{ code, message }] }) : (message ?? "");
      res.writeHead(status, {
        "Content-Type": code ? "application/json; charset=utf-8" : "text/plain",
        "Docker-Distribution-Api-Version": "registry/2.0",
        ...headers,
      });
      res.end(req.method === "HEAD" ? undefined : body);
    };

    // The control plane's token endpoint, for a credential helper (GetAuthorizationToken).
    if (url.pathname === "/_ecr/token" && req.method === "POST") {
      requests.push({ method: "POST", path: url.pathname, status: 200 });
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ username: "AWS", password: registry.issueToken() }));
      return;
    }
    if (!url.pathname.startsWith("/v2/")) return answer(404, "NOT_FOUND", "not found");

    // Authentication (3.2–3.4): Basic, user AWS, a token this registry issued and that has not expired.
    const auth = /^Basic (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const [user, token] = auth ? Buffer.from(auth, "base64").toString("utf8").split(/:(.*)/s) : [];
    const expires = token !== undefined ? tokens.get(token) : undefined;
    if (user !== "AWS" || expires === undefined)
      return answer(401, undefined, "Not Authorized", {
        "Www-Authenticate": `Basic realm="https://${server}/",service="ecr.amazonaws.com"`,
      });
    if (Date.now() >= expires)
      return answer(403, "DENIED", "Your authorization token has expired. Reauthenticate and try again.");
    if (url.pathname === "/v2/") return answer(200, undefined, "{}", { "Content-Type": "application/json" });

    const route = /^\/v2\/(.+)\/(manifests|blobs|tags|referrers)\/(.*)$/.exec(url.pathname);
    if (!route) return answer(404, "NOT_FOUND", `no route ${url.pathname}`);
    const [, name, kind, rest] = route;
    const write = req.method === "PUT" || req.method === "POST" || req.method === "PATCH";
    const repository = repositoryOf(name, write);
    if (!repository)
      return answer(
        404,
        "NAME_UNKNOWN",
        `The repository with name '${name}' does not exist in the registry with id '${accountId}'`,
      );

    if (kind === "referrers") {
      if (!DIGEST.test(rest)) return answer(400, "DIGEST_INVALID", `invalid digest ${rest}`);
      const body = JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.index.v1+json",
        manifests: repository.referrers.get(rest) ?? [],
      });
      requests.push({ method: req.method ?? "", path: url.pathname, status: 200 });
      res.writeHead(200, { "Content-Type": "application/vnd.oci.image.index.v1+json" });
      res.end(req.method === "HEAD" ? undefined : body);
      return;
    }

    // No cross-repository mount (5.5, off by default): the parameters are dropped, a session starts.
    if (kind === "blobs" && req.method === "POST") {
      url.searchParams.delete("mount");
      url.searchParams.delete("from");
    }
    const headers: http.OutgoingHttpHeaders = { authorization: upstreamAuth };
    for (const h of ["content-type", "content-length", "accept", "range", "content-range", "transfer-encoding"]) {
      const v = req.headers[h];
      if (v !== undefined) headers[h] = v;
    }
    /** Forward to distribution, streaming both ways (layers are large); `body` when already read. */
    const forward = (body?: Buffer): void => {
      const [host, port] = options.upstream.server.split(":");
      const up = http.request(
        { host, port: Number(port), method: req.method, path: `${url.pathname}${url.search}`, headers },
        (upRes) => {
          const out: http.OutgoingHttpHeaders = {};
          for (const [h, v] of Object.entries(upRes.headers)) {
            if (v === undefined || h === "www-authenticate" || h === "connection") continue;
            out[h] = h === "location" ? String(v).replace(`http://${options.upstream.server}`, `http://${server}`) : v;
          }
          if (kind === "manifests" && req.method === "GET") delete out["docker-content-digest"]; // 1.10
          if (kind === "manifests" && req.method === "PUT") {
            delete out.location; // 4.10
            if (upRes.statusCode === 201 && body)
              recordManifest(repository, rest, body, String(upRes.headers["docker-content-digest"] ?? ""));
          }
          requests.push({ method: req.method ?? "", path: url.pathname, status: upRes.statusCode ?? 0 });
          res.writeHead(upRes.statusCode ?? 502, out);
          upRes.pipe(res);
        },
      );
      up.on("error", (err) => {
        if (!res.headersSent) answer(502, "UNKNOWN", `upstream: ${String(err)}`);
        else res.destroy();
      });
      if (body) up.end(body);
      else req.pipe(up);
    };
    if (!(kind === "manifests" && req.method === "PUT")) return forward();
    // A manifest is read whole first: ECR's rules are about what it says and where it goes.
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      refuseManifest(name, repository, rest, req.headers["content-type"] ?? "", body).then(
        (refused) => (refused ? answer(...refused) : forward(body)),
        (err: unknown) => answer(502, "UNKNOWN", `upstream: ${String(err)}`),
      );
    });
  });

  /** Why ECR refuses this manifest PUT (status, code, message), or undefined. */
  async function refuseManifest(
    name: string,
    repository: Repository,
    reference: string,
    contentType: string,
    body: Buffer,
  ): Promise<[number, string, string] | undefined> {
    if (body.length > MAX_MANIFEST_BYTES)
      return [
        400,
        "MANIFEST_INVALID",
        `Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Member must have length less than or equal to ${MAX_MANIFEST_BYTES}'`,
      ];
    let manifest: {
      mediaType?: string;
      artifactType?: string;
      config?: { mediaType?: string };
      manifests?: Array<{ digest: string; platform?: { features?: unknown } }>;
    };
    try {
      manifest = JSON.parse(body.toString("utf8")) as typeof manifest;
    } catch {
      return [405, "UNSUPPORTED", UNSUPPORTED_TEXT];
    }
    const types = [contentType, manifest.mediaType, manifest.artifactType, manifest.config?.mediaType];
    if (
      !manifest.mediaType ||
      SCHEMA1.test(manifest.mediaType) ||
      SCHEMA1.test(contentType) ||
      types.some((t) => t?.includes(";")) ||
      manifest.manifests?.some((m) => m.platform?.features !== undefined)
    )
      return [405, "UNSUPPORTED", UNSUPPORTED_TEXT];
    if (INDEX_TYPES.includes(manifest.mediaType))
      for (const child of manifest.manifests ?? []) {
        const held = await upstream("HEAD", `/v2/${name}/manifests/${child.digest}`, {
          accept: [
            ...INDEX_TYPES,
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json",
          ].join(", "),
        });
        if (held.status !== 200)
          return [400, "MANIFEST_INVALID", "The manifest list is referencing an image that does not exist."];
      }
    if (DIGEST.test(reference)) return undefined;
    if (!TAG.test(reference))
      return [
        400,
        "TAG_INVALID",
        `Invalid parameter at 'imageTag' failed to satisfy constraint: 'must satisfy regular expression '[a-zA-Z0-9-_.]+''`,
      ];
    const existing = await upstream("HEAD", `/v2/${name}/manifests/${reference}`, {
      accept:
        "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json",
    });
    // 1.5 and 1.8 read strictly: an immutable tag that exists is never put again, whatever it names.
    if (existing.status === 200 && tagIsImmutable(repository.mutability, repository.filters, reference))
      return [
        400,
        "TAG_INVALID",
        `The image tag '${reference}' already exists in the '${name}' repository and cannot be overwritten because the tag is immutable.`,
      ];
    const digest = `sha256:${crypto.createHash("sha256").update(body).digest("hex")}`;
    const carried = [...repository.tags.entries()].filter(([t, d]) => d === digest && t !== reference).length;
    if (carried >= tagsPerImage)
      return [
        403,
        "DENIED",
        `Adding tag '${reference}' to an image in the repository with name '${name}' in registry with id '${accountId}' exceeds the maximum allowed number of tags per image which is '${tagsPerImage}'`,
      ];
    return undefined;
  }

  function recordManifest(repository: Repository, reference: string, body: Buffer, digest: string): void {
    if (!DIGEST.test(reference)) repository.tags.set(reference, digest);
    const manifest = JSON.parse(body.toString("utf8")) as {
      mediaType?: string;
      artifactType?: string;
      config?: { mediaType?: string };
      subject?: { digest?: string };
      annotations?: Record<string, string>;
    };
    const subject = manifest.subject?.digest;
    if (!subject) return;
    const list = repository.referrers.get(subject) ?? [];
    if (!list.some((d) => d.digest === digest))
      list.push({
        mediaType: manifest.mediaType,
        digest,
        size: body.length,
        artifactType: manifest.artifactType ?? manifest.config?.mediaType,
        ...(manifest.annotations ? { annotations: manifest.annotations } : {}),
      });
    repository.referrers.set(subject, list);
  }

  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  server = `127.0.0.1:${(srv.address() as AddressInfo).port}`;

  const registry: EcrRegistry = {
    server,
    accountId,
    requests,
    createRepository: (name, settings) => void create(name, settings),
    setTagMutability: (name, settings) => {
      const repository = repositories.get(name);
      if (!repository) throw new Error(`RepositoryNotFoundException: ${name}`);
      Object.assign(repository, checkSettings(settings));
    },
    deleteRepository: (name) => {
      if (!repositories.delete(name)) throw new Error(`RepositoryNotFoundException: ${name}`);
    },
    repositories: () => [...repositories.keys()],
    putCreationTemplate: (template) => {
      checkSettings(template);
      templates.push(template);
    },
    issueToken: () => {
      const token = crypto.randomBytes(24).toString("base64url");
      tokens.set(token, Date.now() + lifetime);
      return token;
    },
    expireTokens: () => {
      for (const token of tokens.keys()) tokens.set(token, 0);
    },
    close: () =>
      new Promise<void>((resolve) => {
        srv.closeAllConnections();
        srv.close(() => resolve());
      }),
  };
  return registry;
}

/** An ECR-faithful registry in front of `registry` (the local one), with `options`. */
export function startEcrInFront(
  registry: { readonly server: string; readonly username?: string; readonly password?: string },
  options: Omit<EcrRegistryOptions, "upstream"> = {},
): Promise<EcrRegistry> {
  const { server, username = "", password = "" } = registry;
  return startEcrRegistry({ ...options, upstream: { server, username, password } });
}
