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

describe("planBuild and build secrets", () => {
  const secretsDockerfile = dockerfile(`
    FROM busybox:1.36 AS build
    RUN --mount=type=secret,id=NPM_TOKEN,required=true true
    RUN --mount=type=secret,id=optional true
    FROM busybox:1.36 AS app
    COPY --from=build /bin/true /true
  `);
  const diagnosticsOf = (secrets: string[]): Array<[string, string, string | undefined]> => {
    try {
      const plan = planBuild(secretsDockerfile, { context: ".", environment: "staging", secrets });
      return plan.warnings.map((d) => [d.severity, d.code, d.property]);
    } catch (err) {
      return (err as MultiStageError).diagnostics.map((d) => [d.severity, d.code, d.property]);
    }
  };

  it("carries the ids given, never values", () => {
    const plan = planBuild(secretsDockerfile, {
      context: ".",
      environment: "staging",
      secrets: ["optional", "NPM_TOKEN"],
    });
    assert.deepEqual(plan.secrets, ["NPM_TOKEN", "optional"]);
  });

  it("fails on a required secret not given, warns on an optional one, and on one no RUN mounts", () => {
    assert.deepEqual(diagnosticsOf([]), [
      ["error", "missing-secret", "secrets.NPM_TOKEN"],
      ["warning", "missing-secret", "secrets.optional"],
    ]);
    assert.deepEqual(diagnosticsOf(["NPM_TOKEN", "optional", "extra"]), [
      ["warning", "unused-secret", "secrets.extra"],
    ]);
  });

  it("tells to pass a secret-like build arg as a secret", () => {
    try {
      planBuild(secretsDockerfile, {
        context: ".",
        environment: "staging",
        secrets: ["NPM_TOKEN"],
        buildArgs: { GH_TOKEN: "x" },
      });
      assert.fail("expected secret-build-arg");
    } catch (err) {
      const d = (err as MultiStageError).diagnostics.find((x) => x.code === "secret-build-arg");
      assert.match(
        d?.hint ?? "",
        /secrets: \{ GH_TOKEN: … \}, read in the Dockerfile with RUN --mount=type=secret,id=GH_TOKEN/,
      );
    }
  });
});

describe("planBuild and the test gate", () => {
  const gated = dockerfile(`
    FROM busybox:1.36 AS build
    FROM build AS unit-tests
    RUN true
    FROM build AS tester
    RUN true
    FROM busybox:1.36 AS app
    COPY --from=build /bin/true /true
  `);
  const gate = (options: Partial<BuildPlanOptions>): string | undefined =>
    planBuild(gated, { context: ".", environment: "production", ...options }).testTarget;

  it("production builds the first of test, tests, tester first; other environments do not", () => {
    assert.equal(gate({}), "tester");
    assert.equal(gate({ environment: "staging" }), undefined);
    assert.equal(gate({ environment: "dev", target: "app" }), undefined);
  });

  it("takes a named test stage, and can be turned off", () => {
    assert.equal(gate({ testStage: "unit-tests" }), "unit-tests");
    assert.equal(gate({ testStage: false }), undefined);
  });

  it("refuses a test stage that does not exist, naming the property", () => {
    assert.deepEqual(problems({ testStage: "unit-test" }), [["unknown-target", "testStage"]]);
  });
});

describe("planBuild: an arg without value (BuildKit builds it empty)", () => {
  const text = dockerfile("FROM busybox:1.36\nARG RELEASE\nRUN echo $RELEASE > /release\n");

  it("warns outside production and builds", () => {
    const plan = planBuild(text, { context: ".", environment: "staging" });
    assert.deepEqual(
      plan.warnings.map((w) => [w.code, w.arg]),
      [["missing-arg", "RELEASE"]],
    );
  });

  it("is refused in production, naming the switch; allowUnsetBuildArgs builds it as BuildKit does", () => {
    assert.throws(
      () => planBuild(text, { context: ".", environment: "production" }),
      /buildArgs\.RELEASE: Dockerfile:3: .*RELEASE .* was not passed\. .*environments\.production\.allowUnsetBuildArgs/,
    );
    const allowed = planBuild(text, {
      context: ".",
      environment: "production",
      environments: { production: { allowUnsetBuildArgs: true } },
    });
    assert.equal(allowed.warnings[0].code, "missing-arg");
  });
});
