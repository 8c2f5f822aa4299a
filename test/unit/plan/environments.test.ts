import { strict as assert } from "assert";
import { classifyEnvironment, getEnvironmentArgs, mergeEnvironments, parseSize } from "../../../src/plan";

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
