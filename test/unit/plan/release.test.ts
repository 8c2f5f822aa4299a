/**
 * The release steps as a plan decides them: who signs, who must verify, where attestations go,
 * the release gate; and every refusal by its property.
 */
import { strict as assert } from "assert";
import { parseDockerfile } from "../../../src/dockerfile";
import { type Diagnostic } from "../../../src/dockerfile";
import { type BuildPlanOptions, PLAN_FIELDS, checkField, planBuild, validatePlanArgs } from "../../../src/plan";
import { planProblems } from "../../helpers";

const DOCKERFILE = "FROM busybox:1.36 AS app\nRUN true\n";

function plan(environment: string, options: Partial<BuildPlanOptions> = {}) {
  return planBuild(parseDockerfile(DOCKERFILE, "/app/Dockerfile"), {
    context: "/app",
    environment,
    gitSha: "0123456789abcdef0123456789abcdef01234567",
    ...options,
  });
}

const KEY = { key: true, publicKeys: [] };
const PUBLIC = { key: false, publicKeys: ["-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n"] };

describe("Release steps (plan)", () => {
  it("nothing is planned without signing or a gate: existing plans are unchanged", () => {
    assert.equal(plan("production").release, undefined);
    assert.deepEqual(plan("production").attestations, { provenance: false, sbom: false });
  });

  it("with a key, every environment signs; production verifies what it did not build", () => {
    assert.deepEqual(plan("staging", { signing: KEY }).release, { sign: true, verify: false, publicKeys: [] });
    assert.deepEqual(plan("production", { signing: KEY }).release, { sign: true, verify: true, publicKeys: [] });
  });

  it("an environment that promotes verifies, whatever its kind; with public keys only, it verifies and signs nothing", () => {
    const environments = { qa: { promoteFrom: "staging" }, staging: {} };
    assert.deepEqual(plan("qa", { signing: PUBLIC, environments }).release, {
      sign: false,
      verify: true,
      publicKeys: PUBLIC.publicKeys,
    });
    assert.equal(plan("staging", { signing: PUBLIC, environments }).release, undefined);
  });

  it("environments.<env>.signing: false turns signing and verification off there", () => {
    assert.equal(
      plan("production", { signing: KEY, environments: { production: { signing: false } } }).release,
      undefined,
    );
  });

  it("environments.<env>.signing: true without a key or public key is refused by its property", () => {
    assert.deepEqual(
      planProblems(() => plan("staging", { environments: { staging: { signing: true } } })),
      [
        "environments.staging.signing: is true, but the component has no signing key or public key to sign or verify with.",
      ],
    );
  });

  it("the release gate: its command and timeout are checked by property", () => {
    assert.deepEqual(plan("staging", { environments: { staging: { releaseGate: { command: "scan" } } } }).release, {
      sign: false,
      verify: false,
      publicKeys: [],
      gate: { command: "scan", timeoutSeconds: 600, property: "environments.staging.releaseGate" },
    });
    assert.deepEqual(
      planProblems(() =>
        plan("staging", { environments: { staging: { releaseGate: { command: " ", timeoutSeconds: 0 } } } }),
      ),
      [
        "environments.staging.releaseGate.command: is empty: a release gate needs a command to run.",
        "environments.staging.releaseGate.timeoutSeconds: 0 is not a number of seconds from 1 to 86400.",
      ],
    );
  });

  it("attestations go beside the image when the environment signs, in the index otherwise, per environment", () => {
    const environments = { staging: { attestations: { sbom: true } }, qa: { attestations: false } };
    assert.deepEqual(plan("staging", { signing: KEY, environments, builder: "b" }).attestations, {
      provenance: false,
      sbom: true,
      store: "referrers",
    });
    assert.deepEqual(plan("staging", { environments, builder: "b" }).attestations, {
      provenance: false,
      sbom: true,
      store: "index",
    });
    assert.deepEqual(plan("qa", { attestations: true, environments, builder: "b" }).attestations, {
      provenance: false,
      sbom: false,
    });
  });

  it('store: "referrers" without a key, and provenance beside the image without a builder, are refused', () => {
    assert.deepEqual(
      planProblems(() =>
        plan("staging", { environments: { staging: { attestations: { sbom: true, store: "referrers" } } } }),
      ),
      [
        'environments.staging.attestations.store: is "referrers", but this environment signs nothing: an attestation beside the image is a signed statement.',
      ],
    );
    assert.deepEqual(
      planProblems(() => plan("staging", { signing: KEY, attestations: { provenance: "max" } })),
      [
        "attestations.provenance: needs a builder: the Docker engine's own builder does not record the build's provenance.",
      ],
    );
  });

  it("an unknown store or a gate that is not an object is refused by the environments' field check", () => {
    const diagnostics: Diagnostic[] = [];
    validatePlanArgs(
      JSON.parse('{"environments":{"staging":{"attestations":{"store":"inline"},"releaseGate":"scan"}}}') as object,
      diagnostics,
    );
    checkField(
      JSON.parse('{"staging":{"attestations":{"store":"inline"}}}'),
      PLAN_FIELDS.environments,
      "environments",
      diagnostics,
      { code: "invalid-environment", see: "EnvironmentArgs" },
    );
    const problems = diagnostics.map((d) => `${d.property}: ${d.message}`);
    assert.ok(
      problems.some((p) =>
        p.startsWith('environments.staging.attestations.store: "inline" is not one of "index", "referrers"'),
      ),
      problems.join("\n"),
    );
    assert.ok(
      problems.some((p) => p.startsWith("environments.staging.releaseGate: must be { command, timeoutSeconds? }")),
      problems.join("\n"),
    );
  });
});
