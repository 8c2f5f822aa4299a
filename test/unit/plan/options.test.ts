/** The plan args, declared once: one mapping to plan options and one shape check, for the component and the CLI. */
import { strict as assert } from "assert";
import { type Diagnostic, PLAN_ARG_KEYS, toPlanOptions, validatePlanArgs } from "../../../src/plan";

describe("plan options", () => {
  it("toPlanOptions keeps the plan args and nothing else, with the caller's environment, secret ids and image", () => {
    const args = {
      context: "/app",
      tags: ["a"],
      version: "1.2.3",
      environments: { dev: { target: "builder" } },
      repository: { existing: "x" },
      backend: "docker-cli",
      push: false,
    };
    const options = toPlanOptions(args, {
      environment: "dev",
      environments: { dev: { target: "test" } },
      detectedGitSha: "f".repeat(40),
      secrets: ["NPM_TOKEN"],
    });
    assert.deepEqual(options, {
      context: "/app",
      tags: ["a"],
      version: "1.2.3",
      environments: { dev: { target: "test" } },
      environment: "dev",
      secrets: ["NPM_TOKEN"],
      gitSha: "f".repeat(40),
    });
    assert.equal(
      toPlanOptions({ ...args, gitSha: "abc" }, { environment: "dev", detectedGitSha: "def" }).gitSha,
      "abc",
    );
  });

  it("validatePlanArgs checks each known arg's type, skips late values, and names unknown fields when asked", () => {
    const diagnostics: Diagnostic[] = [];
    const late = { late: true };
    const ok = validatePlanArgs(
      { context: late, tags: ["a"], platforms: "linux/amd64", registryCache: "yes", repository: {} },
      diagnostics,
      { isLate: (v) => v === late },
    );
    assert.equal(ok, false);
    assert.deepEqual(
      diagnostics.map((d) => `${d.property}: ${d.message}`),
      [
        'platforms: must be a list of strings, got "linux/amd64".',
        'registryCache: must be true, false, or { mode?, fromEnvironments? }, got "yes".',
      ],
    );
    const strict: Diagnostic[] = [];
    validatePlanArgs({ contxt: "." }, strict, { unknownFields: true });
    assert.match(
      strict[0].message,
      /is not an argument that decides the plan\. Did you mean "context"( or "contexts")?\?/,
    );
    assert.ok(PLAN_ARG_KEYS.includes("volatileArgs") && !PLAN_ARG_KEYS.includes("environment" as never));
  });
});
