import { strict as assert } from "assert";
import { digestOf, isDigestPinned, isPinnedReference, parseImageReference, pinByDigest } from "../../../src/plan";

const DIGEST = "sha256:" + "ab".repeat(32);

describe("Image references and repository URLs", () => {
  it("parses registry, repository, tag and digest", () => {
    assert.deepEqual(parseImageReference(`127.0.0.1:5055/team/app:1.2@${DIGEST}`), {
      registry: "127.0.0.1:5055",
      repository: "team/app",
      tag: "1.2",
      digest: DIGEST,
    });
    assert.deepEqual(parseImageReference("node"), {
      registry: undefined,
      repository: "node",
      tag: undefined,
      digest: undefined,
    });
  });

  it("knows pinned from unpinned", () => {
    assert.equal(isPinnedReference("node:20.18"), true);
    assert.equal(isPinnedReference(`node@${DIGEST}`), true);
    assert.equal(isPinnedReference("node:latest"), false);
    assert.equal(isPinnedReference("node"), false);
  });

  it("pins by digest and refuses what holds no digest", () => {
    assert.equal(pinByDigest("r.example.com/app", `r.example.com/app:v1@${DIGEST}`), `r.example.com/app@${DIGEST}`);
    assert.throws(() => pinByDigest("r.example.com/app", "r.example.com/app:v1"), /holds no sha256 digest/);
  });

  it("reads the digest of a reference, and knows a digest-pinned one", () => {
    assert.equal(digestOf(`r.example.com/app:v1@${DIGEST}`), DIGEST);
    assert.equal(digestOf(DIGEST), DIGEST);
    assert.equal(digestOf("r.example.com/app:v1"), undefined);
    assert.equal(isDigestPinned(`r.example.com/app@${DIGEST}`), true);
    assert.equal(isDigestPinned(DIGEST), false);
    assert.equal(isDigestPinned("r.example.com/app@sha256:abc"), false);
  });
});
