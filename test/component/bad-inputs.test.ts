/**
 * The bad-input corpus (test/fixtures/bad/cases.ts), table-driven: each case must be
 * refused at construction with its code, line or property path, message and fix, and
 * nothing may be created.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { InvalidInputsError, MultiStageImage, type MultiStageImageArgs } from "../../src";
import { COMPONENT_TYPE, packageProvider } from "../../src/provider";
import { BAD_CASES, type BadCase } from "../fixtures/bad/cases";
import { REPO_ROOT } from "../helpers";
import { resources, useStack, value } from "./mocks";

const SERVICE = path.join(REPO_ROOT, "examples", "node-service", "app");

function contextFor(c: BadCase): Pick<MultiStageImageArgs, "context" | "dockerfile"> {
  if (c.layout === "missing-context") return { context: path.join(os.tmpdir(), "multistage-no-such-context") };
  if (c.dockerfile === undefined && c.layout === undefined) return { context: SERVICE };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-bad-"));
  if (c.layout === "dockerfile-is-directory") return { context: dir, dockerfile: dir };
  if (typeof c.dockerfile === "string") fs.writeFileSync(path.join(dir, "Dockerfile"), c.dockerfile);
  return { context: dir };
}

describe("Bad inputs are refused with code, place, message and fix, and nothing is created", () => {
  it(`the corpus has at least 40 cases (${BAD_CASES.length})`, () => assert.ok(BAD_CASES.length >= 40));

  for (const c of BAD_CASES) {
    it(`${c.category}: ${c.name}`, () => {
      useStack(c.stack ?? "production", c.config ?? {});
      let error: unknown;
      try {
        new MultiStageImage("bad", {
          buildArgs: { APP_VERSION: "1.0.0" },
          gitSha: "0123456789abcdef0123456789abcdef01234567",
          ...contextFor(c),
          ...c.args,
        } as MultiStageImageArgs);
      } catch (err) {
        error = err;
      }
      assert.ok(error instanceof InvalidInputsError, `expected InvalidInputsError, got ${String(error)}`);
      const found = error.diagnostics.find(
        (d) =>
          d.code === c.expect.code &&
          (c.expect.line === undefined || d.line === c.expect.line) &&
          (c.expect.property === undefined || d.property === c.expect.property),
      );
      assert.ok(
        found,
        `no ${c.expect.code} at ${c.expect.property ?? `line ${c.expect.line}`} in:\n${error.diagnostics.map((d) => JSON.stringify(d)).join("\n")}`,
      );
      assert.match(found.message, c.expect.message);
      assert.match(found.hint ?? "", c.expect.fix);
      if (c.absent)
        for (const d of error.diagnostics)
          assert.doesNotMatch(JSON.stringify(d), c.absent, "a value leaked into a message");
      if (c.expect.property) assert.ok(error.errors.some((e) => e.propertyPath === c.expect.property));
      assert.deepEqual(
        resources.map((r) => r.type),
        [],
        "nothing may be created",
      );
    });
  }

  it("messages: a 1 MB value is quoted as a bounded excerpt, not repeated whole", () => {
    useStack("production");
    const huge = `/tmp/${"x".repeat(1_000_000)}`;
    let error: unknown;
    try {
      new MultiStageImage("bad", { context: huge, gitSha: "0123456789abcdef0123456789abcdef01234567" });
    } catch (err) {
      error = err;
    }
    assert.ok(error instanceof InvalidInputsError, String(error));
    assert.ok(error.message.length < 3000, `${error.message.length} characters`);
    for (const e of error.errors) assert.ok(e.reason.length < 3000, `${e.reason.length} characters`);
    assert.match(error.message, /more characters\)/);
  });

  it("environments, or one environment's settings, given as an Output: refused by their path, not read as a map", () => {
    for (const [environments, property] of [
      [pulumi.output({ production: { target: "production" } }), "environments"],
      [{ production: pulumi.output({ target: "production" }) }, "environments.production"],
    ] as const) {
      useStack("production");
      let error: unknown;
      try {
        new MultiStageImage("bad", {
          context: SERVICE,
          gitSha: "0123456789abcdef0123456789abcdef01234567",
          environments: environments as unknown as MultiStageImageArgs["environments"],
        });
      } catch (err) {
        error = err;
      }
      assert.ok(error instanceof InvalidInputsError, String(error));
      assert.deepEqual(
        error.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.property}: ${d.message}`),
        [
          `${property}: is an Output (known only once it resolves), but it decides the plan and the resources when the component is constructed.`,
        ],
      );
      assert.deepEqual(resources, []);
    }
  });
});

/**
 * Round four's classes again, as another language's program sends them through the package
 * provider's construct: every value plain (YAML), and every value an Output with a dependency
 * (Python and Go wrap what comes from another resource). Refused by the same path, nothing leaked.
 */
describe("Bad inputs through construct, in each language's shape", () => {
  const ROUND_FOUR = BAD_CASES.filter((c) => ["credentials", "sizes", "unclear"].includes(c.category));
  const provider = packageProvider();
  const shapes: Record<string, (v: unknown) => unknown> = {
    "plain values (YAML)": (v) => v,
    "Outputs (Python, Go)": (v) => pulumi.output(v),
  };
  it(`round four has cases in every class (${ROUND_FOUR.length})`, () => assert.ok(ROUND_FOUR.length >= 10));
  for (const [shape, wrap] of Object.entries(shapes))
    for (const c of ROUND_FOUR)
      it(`${shape}: ${c.name}`, async () => {
        useStack(c.stack ?? "production", c.config ?? {});
        const args: Record<string, unknown> = {
          buildArgs: { APP_VERSION: "1.0.0" },
          gitSha: "0123456789abcdef0123456789abcdef01234567",
          ...contextFor(c),
          ...c.args,
        };
        const inputs = Object.fromEntries(Object.entries(args).map(([k, v]) => [k, wrap(v)]));
        const constructed = await provider.construct!("bad", COMPONENT_TYPE, inputs, {}).then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        );
        if ("error" in constructed) {
          // Known at construction: refused there, by path.
          const { error } = constructed;
          assert.ok(
            pulumi.InputPropertiesError.isInstance(error),
            `expected InputPropertiesError, got ${String(error)}`,
          );
          const paths = error.errors.map((e) => e.propertyPath);
          if (c.expect.property) assert.ok(paths.includes(c.expect.property), `${paths.join(", ")}`);
          if (c.absent) assert.doesNotMatch(JSON.stringify(error.errors) + error.message, c.absent, "a value leaked");
        } else {
          // Known once the Outputs resolve: the component fails then, naming the property, before any image.
          const state = constructed.result.state as Record<string, pulumi.Output<unknown>>;
          const failure = await value(state.plan).then(
            () => undefined,
            (err: unknown) => err,
          );
          assert.ok(failure instanceof Error, "the plan resolved: the bad input was accepted");
          if (c.expect.property) assert.ok(failure.message.includes(c.expect.property), failure.message);
          if (c.absent) assert.doesNotMatch(failure.message, c.absent, "a value leaked");
        }
        // Nothing but the component itself (which holds the failure when the values came late).
        assert.deepEqual(
          resources.map((r) => r.type).filter((t) => t !== COMPONENT_TYPE),
          [],
          "nothing may be created",
        );
      });
});
