import { strict as assert } from "assert";
import { getBlob, getManifest, isLoopbackRegistry, manifestDigest, parseBearerChallenge } from "../../../src/registry";

describe("registry auth challenges", () => {
  it("reads a Bearer challenge's realm, service and scope, quoted or not", () => {
    assert.deepEqual(
      parseBearerChallenge(
        'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:team/app:pull,push"',
      ),
      { realm: "https://ghcr.io/token", service: "ghcr.io", scope: "repository:team/app:pull,push" },
    );
    assert.deepEqual(parseBearerChallenge("bearer realm=https://auth.example.com/t, service=reg"), {
      realm: "https://auth.example.com/t",
      service: "reg",
    });
    assert.deepEqual(parseBearerChallenge('Bearer realm="https://a/t",error="insufficient_scope",scope="x y"'), {
      realm: "https://a/t",
      error: "insufficient_scope",
      scope: "x y",
    });
  });

  it("is not a Bearer challenge: basic, or Bearer without a realm", () => {
    assert.equal(parseBearerChallenge('Basic realm="Registry Realm"'), undefined);
    assert.equal(parseBearerChallenge('Bearer service="x"'), undefined);
    assert.equal(parseBearerChallenge(""), undefined);
  });

  it("plain HTTP only on this machine", () => {
    for (const s of ["127.0.0.1:5055", "localhost", "localhost:5000", "[::1]:5000", "127.1.2.3"])
      assert.equal(isLoopbackRegistry(s), true, s);
    for (const s of ["ghcr.io", "123.dkr.ecr.eu-west-1.amazonaws.com", "127.0.0.1.nip.io", "10.0.0.1:5000"])
      assert.equal(isLoopbackRegistry(s), false, s);
  });
});

describe("registry requests: one secure default", () => {
  const digest = `sha256:${"a".repeat(64)}`;
  let urls: string[] = [];
  const realFetch = globalThis.fetch;
  beforeEach(() => {
    urls = [];
    globalThis.fetch = (async (input: string | URL | Request) => {
      urls.push(String(input));
      return new Response("{}", { status: 200, headers: { "docker-content-digest": digest } });
    }) as typeof fetch;
  });
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  it("HTTPS for every registry not on this machine, in every function; plain HTTP on loopback or when asked", async () => {
    const remote = { server: "ghcr.io", username: "u", password: "p" };
    await manifestDigest("acme/api", "v1", remote);
    await getManifest("acme/api", "v1", remote);
    await getBlob("acme/api", digest, remote);
    assert.deepEqual(
      urls.map((u) => u.slice(0, u.indexOf("/v2/"))),
      ["https://ghcr.io", "https://ghcr.io", "https://ghcr.io"],
    );
    urls = [];
    await manifestDigest("team/api", "v1", { server: "127.0.0.1:5055" });
    await manifestDigest("team/api", "v1", { server: "registry.internal:5000" }, true);
    assert.deepEqual(urls, [
      "http://127.0.0.1:5055/v2/team/api/manifests/v1",
      "http://registry.internal:5000/v2/team/api/manifests/v1",
    ]);
  });
});
