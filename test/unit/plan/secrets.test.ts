/** Which build-arg names look like secrets: refused as build args unless allowed, redacted everywhere. */
import { strict as assert } from "assert";
import { isSecretLikeName } from "../../../src/plan";

describe("secret-like build-arg names", () => {
  it("recognises common token, passphrase and connection-string names", () => {
    for (const name of [
      "NPM_TOKEN",
      "DB_PASSWORD",
      "GH_PAT",
      "PAT",
      "DATABASE_URL",
      "SSH_PASSPHRASE",
      "SENTRY_DSN",
      "SIGNING_KEY",
      "REDIS_CONNECTION_STRING",
      "JWT_SECRET",
      "API_KEY",
    ])
      assert.ok(isSecretLikeName(name), name);
  });

  it("leaves ordinary names alone", () => {
    for (const name of ["PATH", "PATCH_LEVEL", "COMPAT", "NODE_ENV", "APP_VERSION", "BASE_IMAGE", "DATABASE_HOST"])
      assert.ok(!isSecretLikeName(name), name);
  });
});
