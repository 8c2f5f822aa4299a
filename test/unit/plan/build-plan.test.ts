import { strict as assert } from "assert";
import { type BuildPlanOptions, MultiStageError, planBuild } from "../../../src/plan";
import { dockerfile } from "../../helpers";

const PARSED = dockerfile(`
  FROM busybox:1.36 AS deps
  ARG NODE_ENV
  FROM deps AS builder
  ARG APP_VERSION=1
  FROM busybox:1.36 AS tester
  COPY --from=builder /a /a
  FROM busybox:1.36 AS production
  COPY --from=builder /a /a
`);

function problems(options: Partial<BuildPlanOptions>): Array<[string, string | undefined]> {
  try {
    planBuild(PARSED, { context: ".", environment: "production", ...options });
  } catch (err) {
    if (err instanceof MultiStageError)
      return err.diagnostics.filter((d) => d.severity === "error").map((d) => [d.code, d.property]);
    throw err;
  }
  return [];
}

describe("planBuild", () => {
  it("carries the stage graph with the stages the target builds", () => {
    const plan = planBuild(PARSED, { context: ".", environment: "dev" });
    assert.equal(plan.targetStage, "builder");
    assert.deepEqual(
      plan.graph.map((s) => [s.name, s.built, s.dependsOn]),
      [
        ["deps", true, []],
        ["builder", true, ["deps"]],
        ["tester", false, ["builder"]],
        ["production", false, ["builder"]],
      ],
    );
  });

  it("makes the release tags: strategy first, then fixed, then moving", () => {
    const plan = planBuild(PARSED, {
      context: ".",
      environment: "production",
      gitSha: "0123456789abcdef0123456789abcdef01234567",
      tags: ["v1"],
      environments: { production: { tags: ["stable"] } },
      movingTags: ["latest"],
    });
    assert.deepEqual(plan.tags, ["production-0123456789ab", "v1", "stable", "latest"]);
  });

  it("names the property each target came from", () => {
    assert.deepEqual(problems({ target: "biulder" }), [["unknown-target", "target"]]);
    assert.deepEqual(problems({ environments: { Production: { target: "testr" } } }), [
      ["unknown-target", "environments.Production.target"],
    ]);
    assert.deepEqual(problems({ environments: { production: { target: "tester" } } }), [
      ["non-final-target", "environments.production.target"],
    ]);
    assert.deepEqual(problems({ image: { name: "x", target: { dev: "deps" } } }), [
      ["invalid-additional-image", "additionalImages.x.target"],
    ]);
  });

  it("names the property each build arg came from, the last merge winning", () => {
    assert.deepEqual(
      problems({
        buildArgs: { GH_TOKEN: "a" },
        environments: { production: { buildArgs: { DB_PASSWORD: "b" } } },
        image: { name: "x", target: "tester", buildArgs: { API_KEY: "c" } },
      }),
      [
        ["secret-build-arg", "buildArgs.GH_TOKEN"],
        ["secret-build-arg", "environments.production.buildArgs.DB_PASSWORD"],
        ["secret-build-arg", "additionalImages.x.buildArgs.API_KEY"],
      ],
    );
    const plan = planBuild(PARSED, {
      context: ".",
      environment: "dev",
      buildArgs: { NODE_ENV: "common" },
      environments: { dev: { buildArgs: { NODE_ENV: "env" } } },
      image: { name: "x", target: "deps", buildArgs: { NODE_ENV: "image" } },
    });
    assert.equal(plan.buildArgs.NODE_ENV, "image");
  });

  it("validates the fixed tags even when the target is unknown", () => {
    assert.deepEqual(problems({ target: "nope", tags: ["ok", "-bad"] }), [
      ["unknown-target", "target"],
      ["invalid-tag", "tags[1]"],
    ]);
  });

  it("says 'not tagged' for a registry with a port, and pins it in the hint", () => {
    const parsed = dockerfile("FROM localhost:5000/img\n");
    try {
      planBuild(parsed, { context: ".", environment: "production" });
      assert.fail("expected the production guard");
    } catch (err) {
      const [d] = (err as MultiStageError).diagnostics;
      assert.match(d.message, /"localhost:5000\/img" is not tagged/);
      assert.match(d.hint ?? "", /localhost:5000\/img:1\.2\.3/);
    }
  });
});
