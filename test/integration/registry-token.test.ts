/**
 * The registry API against a registry that wants Bearer tokens (as Docker Hub, GHCR, Harbor
 * and GitLab do): distribution 2.8 with its `token` auth, and a token service here that
 * signs RS256 JWTs with a certificate the registry trusts. The image is pushed by the Docker
 * engine (which fetches its own tokens); then registry-first lookups, release tags and size
 * go through the same functions the docker-cli back end uses.
 */
import { strict as assert } from "assert";
import { type ChildProcess, execFileSync, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { resolveImageDigests, type RegistryCredentials } from "../../src/executor";
import { RegistryError, findManifest, getManifest, imageSize, tagManifest } from "../../src/registry";
import { EngineExecutor } from "../../scripts/lib/engine-executor";
import { type Engine, requireEngine } from "./engine";

const ISSUER = "multistage-token-test";
const SERVICE = "multistage-token-registry";
/** Who may do what: `ci` pulls and pushes, `reader` only pulls; anyone pulls `public/…`. */
const USERS: Record<string, { password: string; actions: string[] }> = {
  ci: { password: "ci-token-pass", actions: ["pull", "push"] },
  reader: { password: "reader-pass", actions: ["pull"] },
};

const base64url = (b: Buffer | string): string => Buffer.from(b).toString("base64url");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A token service: basic auth in, a JWT granting the asked scopes the user may have out. */
function tokenService(key: crypto.KeyObject, certDer: Buffer, requests: string[]): http.Server {
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const [user, password] = Buffer.from((req.headers.authorization ?? "").replace(/^Basic /, ""), "base64")
      .toString()
      .split(":");
    const anonymous = req.headers.authorization === undefined;
    const account = anonymous ? { password: undefined, actions: ["pull"] } : USERS[user];
    if (url.pathname !== "/token" || !account || account.password !== password) {
      res.writeHead(401).end();
      return;
    }
    const scopes = url.searchParams.getAll("scope");
    requests.push(`${anonymous ? "anonymous" : user} ${scopes.join(" ")}`);
    const access = scopes.flatMap((scope) => {
      const [type, name, actions] = scope.split(":");
      const granted = (actions ?? "").split(",").filter((a) => account.actions.includes(a));
      const allowed = type === "repository" && (!anonymous || name.startsWith("public/"));
      return allowed && granted.length ? [{ type, name, actions: granted }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({ typ: "JWT", alg: "RS256", x5c: [certDer.toString("base64")] }));
    const claims = base64url(
      JSON.stringify({
        iss: ISSUER,
        sub: anonymous ? "" : user,
        aud: url.searchParams.get("service"),
        iat: now,
        nbf: now - 60,
        exp: now + 300,
        jti: crypto.randomUUID(),
        access,
      }),
    );
    const signature = base64url(crypto.sign("sha256", Buffer.from(`${header}.${claims}`), key));
    const token = `${header}.${claims}.${signature}`;
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  });
}

describe("Integration: the registry API with Bearer token auth (distribution's token auth)", function () {
  this.timeout(120_000);
  let engine: Engine;
  let executor: EngineExecutor;
  let dir: string;
  let tokens: http.Server;
  let registry: ChildProcess | undefined;
  let server: string;
  const tokenRequests: string[] = [];
  const ci = (): RegistryCredentials => ({ server, username: "ci", password: USERS.ci.password });
  const reader = (): RegistryCredentials => ({ server, username: "reader", password: USERS.reader.password });
  let digest: string;

  before(async function () {
    engine = requireEngine(this);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-token-"));
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${ISSUER}`],
        ...["-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")],
      ],
      { stdio: "ignore" },
    );
    const key = crypto.createPrivateKey(fs.readFileSync(path.join(dir, "key.pem")));
    const certDer = new crypto.X509Certificate(fs.readFileSync(path.join(dir, "cert.pem"))).raw;
    tokens = tokenService(key, certDer, tokenRequests);
    await new Promise<void>((resolve) => tokens.listen(0, "127.0.0.1", resolve));
    const realm = `http://127.0.0.1:${(tokens.address() as net.AddressInfo).port}/token`;
    const port = await freePort();
    server = `127.0.0.1:${port}`;
    fs.writeFileSync(
      path.join(dir, "registry.yml"),
      [
        "version: 0.1",
        "log: { level: warn }",
        `storage: { filesystem: { rootdirectory: ${path.join(dir, "data")} }, delete: { enabled: true } }`,
        `http: { addr: "${server}", secret: ${crypto.randomBytes(16).toString("hex")} }`,
        "auth:",
        "  token:",
        `    realm: ${realm}`,
        `    service: ${SERVICE}`,
        `    issuer: ${ISSUER}`,
        `    rootcertbundle: ${path.join(dir, "cert.pem")}`,
        "",
      ].join("\n"),
    );
    const log = fs.openSync(path.join(dir, "registry.log"), "w");
    registry = spawn("/usr/bin/docker-registry", ["serve", path.join(dir, "registry.yml")], {
      stdio: ["ignore", log, log],
    });
    for (let i = 0; i < 100; i++) {
      const status = await fetch(`http://${server}/v2/`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 401) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const challenge = (await fetch(`http://${server}/v2/`)).headers.get("www-authenticate") ?? "";
    assert.match(challenge, /^Bearer realm=/, fs.readFileSync(path.join(dir, "registry.log"), "utf8"));

    // The engine logs in and pushes through the token service itself.
    executor = new EngineExecutor({ env: engine.env });
    await executor.login(ci());
    const reference = `${server}/team/app:v1`;
    await executor.tag("multistage-local/busybox:1", reference);
    ({ digest } = await executor.push([reference]));
    await executor.removeImages([reference]);
  });

  after(async () => {
    executor?.dispose();
    if (registry?.pid) {
      registry.kill("SIGTERM");
      await new Promise((r) => registry?.once("exit", r));
    }
    await new Promise((r) => (tokens ? tokens.close(r) : r(undefined)));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("registry first: a tag the registry holds gives the engine's digest; one it lacks gives none", async () => {
    const before = tokenRequests.length;
    assert.equal(await findManifest("team/app", "v1", ci()), digest);
    assert.equal(await findManifest("team/app", "inputs-0000", ci()), undefined);
    assert.equal(await findManifest("team/app", "v1", ci()), digest);
    // One token for the pull scope, then reused.
    assert.deepEqual(tokenRequests.slice(before), ["ci repository:team/app:pull"]);
  });

  it("release tags are put with a push token; the digest stays the same", async () => {
    const before = tokenRequests.length;
    await tagManifest("team/app", digest, ["production-1"], ci());
    assert.equal(await findManifest("team/app", "production-1", ci()), digest);
    assert.deepEqual(tokenRequests.slice(before), ["ci repository:team/app:pull,push"]);
  });

  it("the size comes from the manifest and the config, as with basic auth", async () => {
    const manifest = await getManifest("team/app", digest, ci());
    const size = await imageSize("team/app", digest, ci());
    const layers = (manifest.body.layers ?? []).reduce((sum, l) => sum + l.size, 0);
    assert.equal(size.bytes, layers + (manifest.body.config?.size ?? 0));
    assert.ok(size.largestLayers.length > 0 && size.largestLayers[0].bytes > 0);
  });

  it("a user who may only pull: lookups work, a release tag is refused with the fix", async () => {
    assert.equal(await findManifest("team/app", "v1", reader()), digest);
    await assert.rejects(tagManifest("team/app", digest, ["stolen"], reader()), (err: Error) => {
      assert.ok(err instanceof RegistryError, String(err));
      assert.ok(err.status === 401 || err.status === 403, String(err.status));
      assert.match(err.message, /PUT .*team\/app\/manifests\/stolen answered/);
      assert.match(err.message, /Check that reader may push to team\/app/);
      return true;
    });
    assert.equal(await findManifest("team/app", "stolen", ci()), undefined);
  });

  it("a wrong password is refused by the token service, named with the fix", async () => {
    await assert.rejects(
      findManifest("team/app", "v1", { server, username: "ci", password: "wrong" }),
      /token service of 127\.0\.0\.1:\d+ \(http:\/\/127\.0\.0\.1:\d+\/token\) refused ci .*Check registry\.username and registry\.password/,
    );
  });

  it("a base image's digest, anonymously (as from Docker Hub): public repositories resolve, others say why", async () => {
    const publicRef = `${server}/public/base:1`;
    await executor.tag("multistage-local/busybox:1", publicRef);
    const { digest: published } = await executor.push([publicRef]);
    await executor.removeImages([publicRef]);
    const privateRef = `${server}/team/app:v1`;
    const found = await resolveImageDigests([publicRef, privateRef]);
    assert.deepEqual(found.digests, { [publicRef]: published });
    assert.match(
      found.unresolved[privateRef],
      /HEAD .*team\/app\/manifests\/v1 answered 401.*Check that anonymous access may pull from team\/app/,
    );
    assert.ok(tokenRequests.includes("anonymous repository:public/base:pull"), tokenRequests.join("\n"));
  });

  it("credentials are not sent to a token realm over plain HTTP on another host", async () => {
    // A registry on this machine whose challenge names a realm elsewhere.
    const asked: string[] = [];
    const stub = http.createServer((req, res) => {
      asked.push(req.url ?? "");
      res.writeHead(401, { "WWW-Authenticate": 'Bearer realm="http://tokens.example.com/token",service="x"' }).end();
    });
    await new Promise<void>((resolve) => stub.listen(0, "127.0.0.1", resolve));
    try {
      const stubServer = `127.0.0.1:${(stub.address() as net.AddressInfo).port}`;
      await assert.rejects(
        findManifest("team/app", "v1", { server: stubServer, username: "ci", password: "secret" }),
        /sends its token requests to http:\/\/tokens\.example\.com over plain HTTP; the credentials are not sent there/,
      );
      assert.deepEqual(asked, ["/v2/team/app/manifests/v1"]);
    } finally {
      await new Promise((r) => stub.close(r));
    }
  });
});
