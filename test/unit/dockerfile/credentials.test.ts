import { strict as assert } from "assert";
import { MultiStageError, excerpt, findCredential, redactCredentials } from "../../../src/dockerfile";

/** Texts that carry a credential, the kind each is named as, and the secret part that must not be shown. */
const CARRIERS: Array<[string, string, string]> = [
  ["https://ghs_Tok3nTok3nTok3nTok3nTok3n@github.com/acme/app.git#main", "a user or password in a URL", "ghs_Tok3n"],
  ["git://s3cr3tt0ken@git.example.com/app.git", "a user or password in a URL", "s3cr3tt0ken"],
  ["https://user:hunter22@git.example.com/app.git", "a user or password in a URL", "hunter22"],
  ["docker-image://robot:pa55word@registry.example.com/base:1", "a user or password in a URL", "pa55word"],
  [
    "type=s3,endpoint_url=https://KEYID:SECRETKEY@minio.local:9000,bucket=c",
    "a user or password in a URL",
    "SECRETKEY",
  ],
  ["type=registry,ref=robot:pa55word@registry.example.com/cache", "a user and password in a reference", "pa55word"],
  ["type=gha,url=https://cache.example.com/x?token=abcdef123456", "a token in a URL's query", "abcdef123456"],
  [
    "https://bucket.s3.amazonaws.com/x?X-Amz-Signature=deadbeefcafe&X-Amz-Credential=AKIDEXAMPLE",
    "a token in a URL's query",
    "deadbeefcafe",
  ],
  ["Authorization: Bearer abcdefghijklmnop", "an Authorization value", "abcdefghijklmnop"],
  ["curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZA=='", "an Authorization value", "dXNlcjpwYXNzd29yZA=="],
  ['{"auths":{"127.0.0.1:5000":{"auth":"dXNlcjpwYXNzd29yZA=="}}}', "a credential value", "dXNlcjpwYXNzd29yZA=="],
  [
    "-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\nMIIBaaa\n-----END ENCRYPTED COSIGN PRIVATE KEY-----",
    "a private key",
    "MIIBaaa",
  ],
  ["scan --token ghp_0123456789abcdefghijABCDEFGHIJ012345", "a token", "ghp_0123456789"],
  ["AWS key AKIAIOSFODNN7EXAMPLE", "a token", "AKIAIOSFODNN7EXAMPLE"],
];

/** Texts that look close but carry none: they must pass unchanged. */
const CLEAN = [
  "ssh://git@github.com/acme/app.git#main",
  "git@github.com:acme/app.git",
  "registry.example.com:5000/app:1.2@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
  "type=registry,ref=registry.example.com/cache:main,mode=max",
  "https://github.com/acme/app.git#v1.2:services/api",
  "docker-image://node:20-slim",
  "org.opencontainers.image.source=https://github.com/acme/app",
  "trivy image --exit-code 1 $MULTISTAGE_IMAGE",
  "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----",
];

describe("The credential rule (findCredential, redactCredentials)", () => {
  for (const [text, what, secret] of CARRIERS)
    it(`finds ${what} in ${JSON.stringify(text.slice(0, 40))}… and shows it without the secret`, () => {
      assert.equal(findCredential(text), what);
      const shown = redactCredentials(text);
      assert.ok(!shown.includes(secret), shown);
      assert.ok(shown.includes("[redacted"), shown);
    });

  for (const text of CLEAN)
    it(`leaves ${JSON.stringify(text.slice(0, 50))} as it is`, () => {
      assert.equal(findCredential(text), undefined);
      assert.equal(redactCredentials(text), text);
    });

  it("removes every value the caller knows is secret, longest first", () => {
    assert.equal(redactCredentials("pw=abcd1234 and abcd", ["abcd", "abcd1234"]), "pw=[redacted] and [redacted]");
  });

  it("is applied by excerpt and by every diagnostic's message, so no quote shows a credential", () => {
    assert.equal(excerpt("https://tok3ntok3n@host.example/app.git"), "https://[redacted]@host.example/app.git");
    const err = new MultiStageError([
      {
        severity: "error",
        code: "invalid-instruction",
        property: "context",
        message: `cannot fetch ${"https://u:hunter22@host.example/app.git"}`,
      },
    ]);
    assert.ok(!err.message.includes("hunter22"), err.message);
  });
});
