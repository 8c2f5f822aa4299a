/**
 * Registries that answer badly, served from this process on 127.0.0.1: an error body that echoes
 * the credentials, a Retry-After longer than the request's bound, a malformed digest header.
 */
import { strict as assert } from "assert";
import * as crypto from "crypto";
import {
  findManifest,
  getManifest,
  isValidDigest,
  manifestDigest,
  requestTimeoutMs,
  scrubRegistryText,
} from "../../../src/registry";
import { fakeRegistry, registryFailure } from "../fake-registry";

const PASSWORD = "s3cr3t-Pa55word-value";
const access = (server: string) => ({ server, username: "ci-user", password: PASSWORD });
const DIGEST = `sha256:${"b".repeat(64)}`;

describe("What a registry error may quote", () => {
  it("a 401 body echoing the Authorization header and the password: neither reaches the message", async () => {
    const reg = await fakeRegistry((req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          errors: [
            {
              code: "UNAUTHORIZED",
              message: `bad credentials`,
              detail: { sent: req.headers.authorization, password: PASSWORD },
            },
          ],
          echo: `Authorization: ${req.headers.authorization}`,
          plain: `ci-user:${PASSWORD}`,
        }),
      );
    });
    try {
      for (const run of [
        () => getManifest("team/app", "v1", access(reg.server)),
        () => manifestDigest("team/app", "v1", access(reg.server)),
      ]) {
        const err = await registryFailure(run);
        const basic = Buffer.from(`ci-user:${PASSWORD}`).toString("base64");
        assert.ok(!err.message.includes(PASSWORD), err.message);
        assert.ok(!err.message.includes(basic), err.message);
        assert.match(err.message, /401/);
        assert.match(err.message, /UNAUTHORIZED/, "the registry's own reason stays");
        assert.match(err.message, /Check that ci-user may pull from team\/app/);
      }
    } finally {
      await reg.close();
    }
  });

  it("a GET without Docker-Content-Digest (ECR sends it on HEAD only): the digest of the bytes served", async () => {
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      layers: [],
    });
    const reg = await fakeRegistry((_req, res) => {
      res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" });
      res.end(body);
    });
    try {
      const manifest = await getManifest("team/app", "v1", access(reg.server));
      assert.equal(manifest.digest, `sha256:${crypto.createHash("sha256").update(body).digest("hex")}`);
      assert.deepEqual(manifest.body.layers, []);
    } finally {
      await reg.close();
    }
  });

  it("a huge body is quoted as a bounded excerpt", async () => {
    const reg = await fakeRegistry((_req, res) => {
      res.writeHead(403);
      res.end("denied ".repeat(100_000));
    });
    try {
      const err = await registryFailure(() => getManifest("team/app", "v1", access(reg.server)));
      assert.ok(err.message.length < 700, `${err.message.length} characters`);
      assert.match(err.message, /more characters\)/);
    } finally {
      await reg.close();
    }
  });

  it("scrubRegistryText: carried values, credential headers and Basic/Bearer values, control characters", () => {
    const text = `token=abcdef123456 Bearer eyJhbGciOiJIUzI1NiJ9.x.y "Authorization": "Basic Zm9vOmJhcg==" \u001b[31mred ${PASSWORD}`;
    const out = scrubRegistryText(text, [PASSWORD]);
    for (const leaked of ["abcdef123456", "eyJhbGciOiJIUzI1NiJ9", "Zm9vOmJhcg==", PASSWORD, "\u001b"])
      assert.ok(!out.includes(leaked), `${leaked} in ${out}`);
    assert.match(out, /\[redacted\]/);
  });

  it("a body that is not JSON fails without quoting it", async () => {
    const reg = await fakeRegistry((_req, res) => {
      res.writeHead(200, { "docker-content-digest": DIGEST, "content-type": "application/json" });
      res.end(`password=${PASSWORD}`);
    });
    try {
      const err = await registryFailure(() => getManifest("team/app", "v1", access(reg.server)));
      assert.ok(!err.message.includes(PASSWORD), err.message);
      assert.match(err.message, /not JSON/);
    } finally {
      await reg.close();
    }
  });
});

describe("One bound on a registry request, retries included", () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.MULTISTAGE_REGISTRY_TIMEOUT_MS;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.MULTISTAGE_REGISTRY_TIMEOUT_MS;
    else process.env.MULTISTAGE_REGISTRY_TIMEOUT_MS = saved;
  });

  it("503 with Retry-After: 30 fails at once when the wait would pass the bound, naming the bound and how to set it", async () => {
    process.env.MULTISTAGE_REGISTRY_TIMEOUT_MS = "2000";
    const reg = await fakeRegistry((_req, res) => {
      res.writeHead(503, { "retry-after": "30" });
      res.end("busy");
    });
    try {
      const started = Date.now();
      const err = await registryFailure(() => findManifest("team/app", "inputs-abc", access(reg.server)));
      const took = Date.now() - started;
      assert.ok(took < 1500, `took ${took} ms`);
      assert.equal(err.status, 503);
      assert.match(err.message, /asked to be retried after 30 s/);
      assert.match(err.message, /MULTISTAGE_REGISTRY_TIMEOUT_MS/);
      assert.match(err.message, new RegExp(reg.server.replace(/\./g, "\\.")));
      assert.equal(reg.seen.length, 1);
    } finally {
      await reg.close();
    }
  });

  it("a registry that keeps answering 503 quickly is retried only until the bound", async () => {
    process.env.MULTISTAGE_REGISTRY_TIMEOUT_MS = "600";
    const reg = await fakeRegistry((_req, res) => {
      res.writeHead(503);
      res.end();
    });
    try {
      const started = Date.now();
      const err = await registryFailure(() => findManifest("team/app", "inputs-abc", access(reg.server)));
      const took = Date.now() - started;
      assert.ok(took < 1200, `took ${took} ms`);
      assert.match(err.message, /would pass 0\.6 s/);
      assert.ok(reg.seen.length >= 2 && reg.seen.length < 5, `${reg.seen.length} requests`);
    } finally {
      await reg.close();
    }
  });

  it("a registry that never answers is cut at the bound", async () => {
    process.env.MULTISTAGE_REGISTRY_TIMEOUT_MS = "500";
    const reg = await fakeRegistry(() => undefined);
    try {
      const started = Date.now();
      const err = await registryFailure(() => findManifest("team/app", "v1", access(reg.server)));
      assert.ok(Date.now() - started < 1500);
      assert.match(err.message, /did not answer within 0\.5 s/);
    } finally {
      await reg.close();
    }
  });
});

describe("Digests a registry sends are checked", () => {
  it("isValidDigest: the OCI form, with sha256 and sha512 lengths", () => {
    assert.ok(isValidDigest(DIGEST));
    assert.ok(isValidDigest(`sha512:${"a".repeat(128)}`));
    for (const bad of [
      "sha256:abc",
      `sha256:${"A".repeat(64)}`,
      "latest",
      "",
      `sha256:${"a".repeat(64)}\nX-Injected: 1`,
      "md5",
    ])
      assert.ok(!isValidDigest(bad), bad);
  });

  for (const header of ["sha256:not-a-digest", "garbage", `sha256:${"z".repeat(64)}`]) {
    it(`a Docker-Content-Digest of ${JSON.stringify(header)} is refused, not taken for the image's digest`, async () => {
      const reg = await fakeRegistry((_req, res) => {
        res.writeHead(200, { "docker-content-digest": header, "content-type": "application/json" });
        res.end("{}");
      });
      try {
        const err = await registryFailure(() => manifestDigest("team/app", "v1", access(reg.server)));
        assert.match(err.message, /not a digest/);
        assert.equal(err.failure, "malformed");
        assert.equal(err.status, 200, "the status the registry answered, not a made-up one");
        assert.equal(err.retryable, false);
        const err2 = await registryFailure(() => getManifest("team/app", "v1", access(reg.server)));
        assert.match(err2.message, /not a digest/);
      } finally {
        await reg.close();
      }
    });
  }
});

describe("A registry's answer that echoes the password", () => {
  it("a Docker-Content-Digest holding the password is refused without quoting it", async () => {
    const password = "echoed-pass-123";
    const reg = await fakeRegistry((_req, res) => {
      res.writeHead(200, { "docker-content-digest": `sha256:${password}`, "content-type": "application/json" });
      res.end("{}");
    });
    try {
      const err = await registryFailure(() =>
        manifestDigest("team/app", "v1", { server: reg.server, username: "ci", password }),
      );
      assert.match(err.message, /not a digest/);
      assert.ok(!err.message.includes(password), err.message);
    } finally {
      await reg.close();
    }
  });
});

describe("MULTISTAGE_REGISTRY_TIMEOUT_MS takes only whole milliseconds in a sane range", () => {
  for (const bad of ["2500.5", "abc", "0", "-1", "99", "3600001", "1e9", "99999999999999"])
    it(`${JSON.stringify(bad)} is refused by name with the range, not replaced or passed to a timer`, () => {
      assert.throws(
        () => requestTimeoutMs({ MULTISTAGE_REGISTRY_TIMEOUT_MS: bad }),
        /MULTISTAGE_REGISTRY_TIMEOUT_MS is ".*": it takes whole milliseconds from 100 to 3600000/,
      );
    });

  it("unset or empty: the default; a whole number in range: itself", () => {
    assert.equal(requestTimeoutMs({}), 30_000);
    assert.equal(requestTimeoutMs({ MULTISTAGE_REGISTRY_TIMEOUT_MS: "" }), 30_000);
    assert.equal(requestTimeoutMs({ MULTISTAGE_REGISTRY_TIMEOUT_MS: "2500" }), 2500);
  });
});
