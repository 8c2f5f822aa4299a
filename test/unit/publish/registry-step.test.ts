/** A registry step's failure is typed: its step, its registry, its status and whether to retry. */
import { strict as assert } from "assert";
import { RegistryError, worthRetrying } from "../../../src/registry";
import { registryStep } from "../../../src/publish";
import { registryFailure } from "../fake-registry";

describe("registryStep", () => {
  it("a failing registry: the step and registry on the error, retryable, and the fix for that kind", async () => {
    const err = await registryFailure(() =>
      registryStep("lookup", "ghcr.io", () => Promise.reject(new RegistryError("HEAD … answered 503", 503))),
    );
    assert.deepEqual(err.where, { registry: "ghcr.io", step: "lookup" });
    assert.equal(err.status, 503);
    assert.equal(err.retryable, true);
    assert.match(err.message, /^lookup in ghcr\.io failed: HEAD … answered 503 The registry is failing/);
  });

  it("refused credentials: not retryable, the credentials' fix; on refresh, the state is unchanged", async () => {
    const err = await registryFailure(() =>
      registryStep("refresh", "r.example.com", () => Promise.reject(new RegistryError("denied", 401))),
    );
    assert.equal(err.retryable, false);
    assert.match(err.message, /refused the credentials of this image's last update.*The state is unchanged/);
    const unreachable = await registryFailure(() =>
      registryStep("tag", "r.example.com", () => Promise.reject(new RegistryError("ECONNREFUSED", 0))),
    );
    assert.equal(unreachable.retryable, true);
    assert.equal(
      (await registryFailure(() => registryStep("tag", "r", () => Promise.reject(new RegistryError("x", 404)))))
        .retryable,
      false,
    );
  });

  it("a 4xx that is not a refusal (400, 404, 405, 413): the request itself is at fault, never 'retried / overloaded'", async () => {
    for (const status of [400, 404, 405, 413]) {
      const err = await registryFailure(() =>
        registryStep("tag", "r.example.com", () =>
          Promise.reject(new RegistryError(`PUT … answered ${status}`, status)),
        ),
      );
      assert.equal(err.retryable, false);
      assert.match(err.message, new RegExp(`refused the request itself \\(${status}\\): retrying will not help`));
      assert.doesNotMatch(err.message, /overloaded|after retries/);
    }
  });

  it("how it failed is typed, not a made-up status: a timeout and a dropped connection are worth retrying; no connection, a malformed answer and 501 are not", async () => {
    const cases: Array<[RegistryError, boolean, RegExp]> = [
      [
        new RegistryError("HEAD … did not answer within 30 s", 0, {}, undefined, "timeout"),
        true,
        /failing, overloaded or unreachable/,
      ],
      [
        new RegistryError("HEAD … failed: ECONNRESET", 0, {}, undefined, "dropped"),
        true,
        /failing, overloaded or unreachable/,
      ],
      [
        new RegistryError("HEAD … failed: ENOTFOUND", 0, {}, undefined, "unreachable"),
        false,
        /No connection to r\.example\.com could be made: check its name/,
      ],
      [
        new RegistryError("HEAD … returned no Docker-Content-Digest header", 200, {}, undefined, "malformed"),
        false,
        /or a proxy before it, answered as the registry API does not/,
      ],
      [new RegistryError("HEAD … answered 501", 501), false, /Check the repository and its permissions/],
    ];
    for (const [given, retryable, fix] of cases) {
      const err = await registryFailure(() => registryStep("lookup", "r.example.com", () => Promise.reject(given)));
      assert.equal(err.failure, given.failure, given.message);
      assert.equal(err.status, given.status, given.message);
      assert.equal(err.retryable, retryable, given.message);
      assert.match(err.message, fix);
    }
    // The one rule, as the request's retries read it.
    assert.deepEqual(
      [429, 500, 501, 502, 503, 504, 404].map((status) => worthRetrying("answered", status)),
      [true, true, false, true, true, true, false],
    );
  });

  it("anything else passes through as it is", async () => {
    const other = new Error("not the registry");
    await assert.rejects(
      registryStep("lookup", "r", () => Promise.reject(other)),
      (e) => e === other,
    );
  });
});
