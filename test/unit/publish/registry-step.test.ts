/** A registry step's failure is typed: its step, its registry, its status and whether to retry. */
import { strict as assert } from "assert";
import { RegistryError } from "../../../src/executor";
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

  it("anything else passes through as it is", async () => {
    const other = new Error("not the registry");
    await assert.rejects(
      registryStep("lookup", "r", () => Promise.reject(other)),
      (e) => e === other,
    );
  });
});
