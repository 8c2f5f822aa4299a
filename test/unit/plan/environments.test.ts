import { strict as assert } from "assert";
import {
  type BuildPlan,
  type BuildPlanOptions,
  ENVIRONMENT_SPEC,
  type FieldTable,
  classifyEnvironment,
  getEnvironmentArgs,
  mergeEnvironments,
  parseSize,
  planBuild,
} from "../../../src/plan";
import { parseDockerfile } from "../../../src/dockerfile";

describe("Environment matrix", () => {
  const cases: Array<[string, string]> = [
    ["dev", "development"],
    ["development", "development"],
    ["local", "development"],
    ["dev-alice", "development"],
    ["alice_dev", "development"],
    ["prod", "production"],
    ["production", "production"],
    ["prod-eu-west-1", "production"],
    ["staging", "staging"],
    ["qa", "staging"],
    ["uat", "staging"],
  ];
  for (const [name, kind] of cases) it(`${name} is ${kind}`, () => assert.equal(classifyEnvironment(name), kind));

  it("merges stack config over code settings field by field", () => {
    const merged = mergeEnvironments(
      { production: { buildArgs: { A: "1", B: "2" }, tags: ["x"], platform: "linux/arm64" } },
      { production: { buildArgs: { B: "3" }, tags: ["y"] }, qa: { target: "app" } },
    );
    assert.deepEqual(merged, {
      production: { buildArgs: { A: "1", B: "3" }, tags: ["x", "y"], platform: "linux/arm64" },
      qa: { target: "app" },
    });
  });

  it("merges stack config's labels and annotations by key and adds its caches, as their entries' `combines` says", () => {
    const merged = mergeEnvironments(
      { dev: { labels: { a: "1", b: "2" }, cacheFrom: ["type=local,src=/a"], attestations: true } },
      { dev: { labels: { b: "3" }, cacheFrom: ["type=local,src=/b"], attestations: false } },
    );
    assert.deepEqual(merged.dev, {
      labels: { a: "1", b: "3" },
      cacheFrom: ["type=local,src=/a", "type=local,src=/b"],
      attestations: false,
    });
  });

  it("each environment setting that is also a common arg combines with it in the plan as its entry says", () => {
    const model = parseDockerfile(
      "FROM busybox:1.36 AS build\nARG A\nARG B\nRUN true\nFROM build AS production\nARG A\nARG B\n",
    );
    const base: BuildPlanOptions = {
      context: "/ctx",
      environment: "staging",
      gitSha: "0123456789abcdef0123456789abcdef01234567",
      builder: "farm",
      defaultLabels: false,
    };
    const plan = (common: Partial<BuildPlanOptions>, env: Record<string, unknown>): BuildPlan =>
      planBuild(model, { ...base, ...common, environments: { staging: env } });
    const fields = Object.entries(ENVIRONMENT_SPEC.fields as FieldTable).filter(([, spec]) => spec.combines);
    const wrong: string[] = [];
    for (const [field, spec] of fields) {
      const sample = COMBINING[field];
      assert.ok(sample, `no sample for environments.<env>.${field}`);
      const [common, env, read] = sample;
      const expected =
        spec.combines === "merged"
          ? { ...(common as object), ...(env as object) }
          : spec.combines === "added"
            ? [...(common as unknown[]), ...(env as unknown[])]
            : spec.combines === "yields"
              ? common
              : env;
      const got = read(plan({ [field]: common }, { [field]: env }));
      const commonOnly = read(plan({ [field]: common }, {}));
      try {
        assert.deepEqual(got, expected);
        assert.deepEqual(commonOnly, common, "the common value alone");
      } catch (err) {
        wrong.push(`${field} (${spec.combines}): ${(err as Error).message.split("\n")[0]} ${JSON.stringify(got)}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it("finds an environment's settings under its own key, in any case, else the only entry of its kind", () => {
    const environments = { Production: { target: "app" }, dev: { target: "builder" } };
    assert.deepEqual(getEnvironmentArgs("production", environments), {
      key: "Production",
      args: { target: "app" },
      matched: true,
    });
    assert.deepEqual(getEnvironmentArgs("dev", environments), {
      key: "dev",
      args: { target: "builder" },
      matched: true,
    });
    for (const stack of ["prod", "prd", "production-eu"]) {
      assert.equal(getEnvironmentArgs(stack, environments).key, "Production", stack);
    }
    assert.equal(getEnvironmentArgs("dev-alice", environments).key, "dev");
    assert.deepEqual(getEnvironmentArgs("qa", environments), { key: "qa", args: {}, matched: false });
    // Two production entries: neither is taken for another production name.
    assert.equal(getEnvironmentArgs("prd", { prod: {}, "prod-eu": {} }).matched, false);
  });
});

describe("parseSize", () => {
  it("reads bytes and sizes in B, kB, MB, GB (powers of 1000); refuses the rest", () => {
    assert.equal(parseSize(1234), 1234);
    assert.equal(parseSize("120MB"), 120e6);
    assert.equal(parseSize("1.5GB"), 1.5e9);
    assert.equal(parseSize("800kB"), 800e3);
    assert.equal(parseSize(" 512 B "), 512);
    for (const bad of ["", "12 MiB", "-1MB", "big", 0, -5, Number.NaN])
      assert.equal(parseSize(bad), undefined, String(bad));
  });
});

const SIGNING = { key: true, publicKeys: [] };

/**
 * For each environment setting that combines with a common arg: a common value, the environment's,
 * and how the plan shows the result (as the common value's form). `signing` switches the
 * signing context (`signing: false` turns it off).
 */
const COMBINING: Record<string, [unknown, unknown, (plan: BuildPlan) => unknown]> = {
  target: ["build", "production", (p) => p.target],
  buildArgs: [{ A: "1", B: "2" }, { B: "3" }, (p) => p.buildArgs],
  tags: [["x"], ["y"], (p) => p.tags.filter((t) => ["x", "y"].includes(t))],
  platform: ["linux/amd64", "linux/arm64", (p) => p.platforms[0]],
  platforms: [["linux/amd64"], ["linux/arm64"], (p) => p.platforms],
  registryCache: [true, false, (p) => p.cache !== undefined],
  labels: [{ a: "1", b: "2" }, { b: "3" }, (p) => p.labels],
  annotations: [{ a: "1", b: "2" }, { b: "3" }, (p) => p.annotations],
  cacheFrom: [["type=local,src=/a"], ["type=local,src=/b"], (p) => p.cacheFrom],
  cacheTo: [["type=local,dest=/a"], ["type=local,dest=/b"], (p) => p.cacheTo],
  attestations: [true, false, (p) => p.attestations.sbom],
  signing: [SIGNING, false, (p) => (p.release?.sign ? SIGNING : false)],
};
