/**
 * The ECR-faithful registry the tests push to (test/ecr-registry.ts): each of ECR's rules it
 * keeps, probed over HTTP against it and against the plain distribution registry behind it.
 * Every probe answers as ECR does on the former and differently on the latter, so the fake is
 * never a no-op: a rule dropped from it fails its test here.
 */
import { strict as assert } from "assert";
import * as crypto from "crypto";
import { type EcrRegistry, startEcrInFront, tagIsImmutable } from "../ecr-registry";
import { type Engine, requireEngine } from "./engine";

interface Answer {
  status: number;
  code?: string;
  message?: string;
  headers: Headers;
  text: string;
}

const sha = (b: Buffer | string): string => `sha256:${crypto.createHash("sha256").update(b).digest("hex")}`;

/** A registry to probe: where, and the Authorization header it takes. */
interface Target {
  server: string;
  auth?: string;
}

async function call(
  target: Target,
  method: string,
  path: string,
  init: { body?: Buffer | string; type?: string; auth?: string | null } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  const auth = init.auth === null ? undefined : (init.auth ?? target.auth);
  if (auth) headers.Authorization = auth;
  if (init.type) headers["Content-Type"] = init.type;
  headers.Accept = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json";
  const body = typeof init.body === "string" ? init.body : init.body && new Uint8Array(init.body);
  const res = await fetch(`http://${target.server}${path}`, { method, headers, body, redirect: "manual" });
  const text = method === "HEAD" ? "" : await res.text();
  let code: string | undefined;
  let message: string | undefined;
  try {
    const errors = (JSON.parse(text) as { errors?: Array<{ code: string; message: string }> }).errors;
    code = errors?.[0]?.code;
    message = errors?.[0]?.message;
  } catch {
    // not JSON
  }
  return { status: res.status, code, message, headers: res.headers, text };
}

/** Upload `bytes` as a blob of `repo` (one POST, one PUT); its digest. */
async function blob(target: Target, repo: string, bytes: Buffer | string): Promise<string> {
  const digest = sha(bytes);
  const started = await call(target, "POST", `/v2/${repo}/blobs/uploads/`);
  assert.equal(started.status, 202, `POST blobs/uploads: ${started.status} ${started.text}`);
  const location = new URL(started.headers.get("location") ?? "", `http://${target.server}`);
  location.searchParams.set("digest", digest);
  const put = await call(target, "PUT", `${location.pathname}${location.search}`, {
    body: bytes,
    type: "application/octet-stream",
  });
  assert.equal(put.status, 201, `PUT blob: ${put.status} ${put.text}`);
  return digest;
}

/** An OCI image manifest of one layer `seed` (its blobs uploaded), as bytes. */
async function image(target: Target, repo: string, seed: string, extra: object = {}): Promise<Buffer> {
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", seed }));
  const layer = Buffer.from(seed);
  const manifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: await blob(target, repo, config),
      size: config.length,
    },
    layers: [
      {
        mediaType: "application/vnd.oci.image.layer.v1.tar",
        digest: await blob(target, repo, layer),
        size: layer.length,
      },
    ],
    ...extra,
  };
  return Buffer.from(JSON.stringify(manifest));
}

const putManifest = (target: Target, repo: string, reference: string, body: Buffer, type?: string): Promise<Answer> =>
  call(target, "PUT", `/v2/${repo}/manifests/${reference}`, {
    body,
    type:
      type ??
      (JSON.parse(body.toString()) as { mediaType?: string }).mediaType ??
      "application/vnd.oci.image.manifest.v1+json",
  });

describe("ECR-faithful registry: each rule against it, and against plain distribution", function () {
  this.timeout(120_000);
  let engine: Engine;
  let ecr: EcrRegistry;
  let fake: Target;
  let plain: Target;
  const run = Date.now().toString(36);
  const repo = (name: string): string => `ecr-rules-${run}/${name}`;

  before(async function () {
    engine = requireEngine(this);
    const { server, username, password } = engine.registry;
    ecr = await startEcrInFront(engine.registry);
    fake = { server: ecr.server, auth: `Basic ${Buffer.from(`AWS:${ecr.issueToken()}`).toString("base64")}` };
    plain = { server, auth: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` };
  });
  after(async () => {
    await ecr?.close();
  });

  it("3.2: no login gets 401 with a Basic challenge for ecr.amazonaws.com and a plain-text body", async () => {
    const answer = await call(fake, "GET", "/v2/", { auth: null });
    assert.equal(answer.status, 401);
    assert.match(
      answer.headers.get("www-authenticate") ?? "",
      /^Basic realm="https:\/\/[^"]+\/",service="ecr\.amazonaws\.com"$/,
    );
    assert.equal(answer.text, "Not Authorized");
    const distribution = await call(plain, "GET", "/v2/", { auth: null });
    assert.equal(distribution.status, 401);
    assert.doesNotMatch(distribution.headers.get("www-authenticate") ?? "", /ecr\.amazonaws\.com/);
    // Only user AWS: another user with a valid token is not let in.
    const token = ecr.issueToken();
    const other = await call(fake, "GET", "/v2/", {
      auth: `Basic ${Buffer.from(`admin:${token}`).toString("base64")}`,
    });
    assert.equal(other.status, 401);
  });

  it("3.4: an expired token gets 403 DENIED with no challenge (not 401), and a new token works", async () => {
    const short = await startEcrInFront(engine.registry, {
      tokenLifetimeMs: 300,
    });
    try {
      const target = {
        server: short.server,
        auth: `Basic ${Buffer.from(`AWS:${short.issueToken()}`).toString("base64")}`,
      };
      assert.equal((await call(target, "GET", "/v2/")).status, 200);
      await new Promise((r) => setTimeout(r, 400));
      const expired = await call(target, "GET", "/v2/");
      assert.equal(expired.status, 403);
      assert.equal(expired.code, "DENIED");
      assert.equal(expired.headers.get("www-authenticate"), null);
      // The helper's way to a new one (GetAuthorizationToken over HTTP).
      const fresh = (await (await fetch(`http://${short.server}/_ecr/token`, { method: "POST" })).json()) as {
        username: string;
        password: string;
      };
      assert.equal(fresh.username, "AWS");
      const renewed = await call(
        { server: short.server, auth: `Basic ${Buffer.from(`AWS:${fresh.password}`).toString("base64")}` },
        "GET",
        "/v2/",
      );
      assert.equal(renewed.status, 200);
    } finally {
      await short.close();
    }
    // Distribution has no expiry: the same login keeps working.
    assert.equal((await call(plain, "GET", "/v2/")).status, 200);
  });

  it("2.1: a repository that does not exist is NAME_UNKNOWN at the first blob upload; distribution creates it on push", async () => {
    const name = repo("never-created");
    const answer = await call(fake, "POST", `/v2/${name}/blobs/uploads/`);
    assert.equal(answer.status, 404);
    assert.equal(answer.code, "NAME_UNKNOWN");
    assert.equal(
      answer.message,
      `The repository with name '${name}' does not exist in the registry with id '${ecr.accountId}'`,
    );
    assert.equal((await call(plain, "POST", `/v2/${name}/blobs/uploads/`)).status, 202);
  });

  it("2.4: a CREATE_ON_PUSH template creates the repository on the first push, with the template's mutability", async () => {
    ecr.putCreationTemplate({
      prefix: `ecr-rules-${run}/auto`,
      appliedFor: ["CREATE_ON_PUSH"],
      imageTagMutability: "IMMUTABLE",
    });
    const name = repo("auto/app");
    const manifest = await image(fake, name, "created on push");
    assert.equal((await putManifest(fake, name, "v1", manifest)).status, 201);
    assert.ok(ecr.repositories().includes(name));
    assert.equal((await putManifest(fake, name, "v1", manifest)).code, "TAG_INVALID", "the template's IMMUTABLE");
    // A name the prefix does not cover (no implicit trailing /) is still unknown.
    assert.equal((await call(fake, "POST", `/v2/${repo("autox")}/blobs/uploads/`)).code, "NAME_UNKNOWN");
  });

  it("1.5/1.8: IMMUTABLE refuses a second PUT of a tag with TAG_INVALID, even of the same digest; distribution takes both", async () => {
    const name = repo("immutable");
    ecr.createRepository(name, { imageTagMutability: "IMMUTABLE" });
    const one = await image(fake, name, "one");
    const two = await image(fake, name, "two");
    assert.equal((await putManifest(fake, name, "release-1", one)).status, 201);
    const same = await putManifest(fake, name, "release-1", one);
    assert.equal(same.status, 400);
    assert.equal(same.code, "TAG_INVALID");
    assert.equal(
      same.message,
      `The image tag 'release-1' already exists in the '${name}' repository and cannot be overwritten because the tag is immutable.`,
    );
    assert.equal((await putManifest(fake, name, "release-1", two)).code, "TAG_INVALID");
    // A new tag on an existing digest is allowed (1.11), and PUT by digest is not a tag.
    assert.equal((await putManifest(fake, name, "release-1b", one)).status, 201);
    assert.equal((await putManifest(fake, name, sha(two), two)).status, 201);
    const plainName = repo("immutable-plain");
    await image(plain, plainName, "one");
    await image(plain, plainName, "two");
    assert.equal((await putManifest(plain, plainName, "release-1", one)).status, 201);
    assert.equal((await putManifest(plain, plainName, "release-1", one)).status, 201);
    assert.equal((await putManifest(plain, plainName, "release-1", two)).status, 201);
  });

  it("1.1/1.2: exclusion filters: IMMUTABLE_WITH_EXCLUSION lets sha256-* and cache-* move, MUTABLE_WITH_EXCLUSION pins what matches", async () => {
    const name = repo("with-exclusion");
    ecr.createRepository(name, {
      imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
      exclusionFilters: ["sha256-*", "cache-*"],
    });
    const one = await image(fake, name, "x1");
    const two = await image(fake, name, "x2");
    const sig = `sha256-${"a".repeat(64)}.sig`;
    assert.equal((await putManifest(fake, name, sig, one)).status, 201);
    assert.equal((await putManifest(fake, name, sig, two)).status, 201, "sha256-* moves");
    assert.equal((await putManifest(fake, name, "cache-app-dev", one)).status, 201);
    assert.equal((await putManifest(fake, name, "cache-app-dev", two)).status, 201, "cache-* moves");
    assert.equal((await putManifest(fake, name, "production-abc", one)).status, 201);
    assert.equal((await putManifest(fake, name, "production-abc", two)).code, "TAG_INVALID", "a release tag does not");
    const pinned = repo("mutable-with-exclusion");
    ecr.createRepository(pinned, { imageTagMutability: "MUTABLE_WITH_EXCLUSION", exclusionFilters: ["v*"] });
    const p1 = await image(fake, pinned, "p1");
    const p2 = await image(fake, pinned, "p2");
    assert.equal((await putManifest(fake, pinned, "latest", p1)).status, 201);
    assert.equal((await putManifest(fake, pinned, "latest", p2)).status, 201);
    assert.equal((await putManifest(fake, pinned, "v1", p1)).status, 201);
    assert.equal((await putManifest(fake, pinned, "v1", p2)).code, "TAG_INVALID");
    // The API's own limits on filters.
    assert.throws(
      () =>
        ecr.createRepository(repo("six"), {
          imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
          exclusionFilters: ["a*", "b*", "c*", "d*", "e*", "f*"],
        }),
      /1 to 5/,
    );
    assert.throws(
      () =>
        ecr.createRepository(repo("bad-filter"), {
          imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
          exclusionFilters: ["a/b"],
        }),
      /not valid/,
    );
    // Anchored globs; a filter without * matches exactly (the strict reading of 1.3).
    assert.equal(tagIsImmutable("IMMUTABLE_WITH_EXCLUSION", ["dev-"], "dev-1"), true);
    assert.equal(tagIsImmutable("IMMUTABLE_WITH_EXCLUSION", ["dev-"], "dev-"), false);
    assert.equal(tagIsImmutable("IMMUTABLE_WITH_EXCLUSION", ["*-dev"], "x-dev-y"), true);
  });

  it("5.1: an image carries at most the registry's tags per image, then 403 DENIED", async () => {
    const few = await startEcrInFront(engine.registry, {
      tagsPerImage: 2,
    });
    try {
      const target = { server: few.server, auth: `Basic ${Buffer.from(`AWS:${few.issueToken()}`).toString("base64")}` };
      const name = repo("tag-limit");
      few.createRepository(name);
      const one = await image(target, name, "tags");
      assert.equal((await putManifest(target, name, "a", one)).status, 201);
      assert.equal((await putManifest(target, name, "b", one)).status, 201);
      const third = await putManifest(target, name, "c", one);
      assert.equal(third.status, 403);
      assert.equal(third.code, "DENIED");
      assert.match(third.message ?? "", /exceeds the maximum allowed number of tags per image which is '2'/);
      assert.equal((await putManifest(plain, name, "c", one)).status, 201, "distribution has no limit");
    } finally {
      await few.close();
    }
  });

  it("4.5/4.6/4.2: media types and shapes ECR refuses get UNSUPPORTED; distribution takes them", async () => {
    const name = repo("media-types");
    ecr.createRepository(name);
    const plainName = repo("media-types-plain");
    const withSemicolon = await image(fake, name, "semicolon", {
      artifactType: "application/vnd.dev.sigstore.bundle+json;version=0.2",
    });
    await image(plain, plainName, "semicolon");
    const refused = await putManifest(fake, name, sha(withSemicolon), withSemicolon);
    assert.equal(refused.status, 405);
    assert.equal(refused.code, "UNSUPPORTED");
    assert.equal((await putManifest(plain, plainName, sha(withSemicolon), withSemicolon)).status, 201);
    const child = await image(fake, name, "child");
    await image(plain, plainName, "child");
    assert.equal((await putManifest(fake, name, sha(child), child)).status, 201);
    assert.equal((await putManifest(plain, plainName, sha(child), child)).status, 201);
    const index = (platform: object): Buffer =>
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.index.v1+json",
          manifests: [
            {
              mediaType: "application/vnd.oci.image.manifest.v1+json",
              digest: sha(child),
              size: child.length,
              platform,
            },
          ],
        }),
      );
    const featured = index({ os: "linux", architecture: "amd64", features: ["sse4"] });
    assert.equal((await putManifest(fake, name, "featured", featured)).code, "UNSUPPORTED");
    assert.equal((await putManifest(plain, plainName, "featured", featured)).status, 201);
    const fine = index({ os: "linux", architecture: "amd64" });
    assert.equal(
      (await putManifest(fake, name, "indexed", fine)).status,
      201,
      "an index of children in the repository",
    );
    const elsewhere = repo("media-types-other");
    ecr.createRepository(elsewhere);
    const orphan = await putManifest(fake, elsewhere, "indexed", fine);
    assert.equal(orphan.status, 400, "children must be in the same repository");
    assert.equal(orphan.code, "MANIFEST_INVALID");
  });

  it("4.4: the OCI referrers API lists a subject's referrers; distribution 2.8 has no such route", async () => {
    const name = repo("referrers");
    ecr.createRepository(name, { imageTagMutability: "IMMUTABLE" });
    const subject = await image(fake, name, "subject");
    assert.equal((await putManifest(fake, name, "app-1", subject)).status, 201);
    const empty = Buffer.from("{}");
    const referrer = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json",
        config: { mediaType: "application/vnd.oci.empty.v1+json", digest: await blob(fake, name, empty), size: 2 },
        layers: [
          {
            mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
            digest: await blob(fake, name, "bundle"),
            size: 6,
          },
        ],
        subject: {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          digest: sha(subject),
          size: subject.length,
        },
      }),
    );
    assert.equal((await putManifest(fake, name, sha(referrer), referrer)).status, 201);
    const listed = await call(fake, "GET", `/v2/${name}/referrers/${sha(subject)}`);
    assert.equal(listed.status, 200);
    const body = JSON.parse(listed.text) as { manifests: Array<{ digest: string; artifactType: string }> };
    assert.deepEqual(
      body.manifests.map((m) => [m.digest, m.artifactType]),
      [[sha(referrer), "application/vnd.dev.sigstore.bundle.v0.3+json"]],
    );
    assert.equal((await call(plain, "GET", `/v2/${name}/referrers/${sha(subject)}`)).status, 404);
  });

  it("1.10/4.10/5.5: digest header on HEAD only, no Location on a manifest PUT, no cross-repository mount", async () => {
    const name = repo("quirks");
    ecr.createRepository(name);
    const manifest = await image(fake, name, "quirks");
    const put = await putManifest(fake, name, "q", manifest);
    assert.equal(put.headers.get("location"), null);
    assert.equal(
      (await call(fake, "HEAD", `/v2/${name}/manifests/q`)).headers.get("docker-content-digest"),
      sha(manifest),
    );
    assert.equal((await call(fake, "GET", `/v2/${name}/manifests/q`)).headers.get("docker-content-digest"), null);
    const plainName = repo("quirks-plain");
    await image(plain, plainName, "quirks");
    const plainPut = await putManifest(plain, plainName, "q", manifest);
    assert.ok(plainPut.headers.get("location"));
    assert.equal(
      (await call(plain, "GET", `/v2/${plainName}/manifests/q`)).headers.get("docker-content-digest"),
      sha(manifest),
    );
    // Mounting the layer from the other repository: distribution mounts (201), ECR starts an upload (202).
    const layer = sha("quirks");
    const other = repo("quirks-mount");
    ecr.createRepository(other);
    assert.equal((await call(fake, "POST", `/v2/${other}/blobs/uploads/?mount=${layer}&from=${name}`)).status, 202);
    assert.equal(
      (await call(plain, "POST", `/v2/${other}/blobs/uploads/?mount=${layer}&from=${plainName}`)).status,
      201,
    );
  });
});
