/** Where an image goes besides the registry: load into the engine, tarballs; every bad one named. */
import { strict as assert } from "assert";
import * as path from "path";
import { type BuildPlanOptions, planBuild } from "../../../src/plan";
import { buildxArguments } from "../../../src/executor/argv";
import { dockerfile, planProblems } from "../../helpers";

const PARSED = dockerfile(`
  FROM busybox:1.36 AS production
`);
const plan = (extra: Partial<BuildPlanOptions>): ReturnType<typeof planBuild> =>
  planBuild(PARSED, { context: ".", environment: "production", gitSha: "0123456789ab", builder: "farm", ...extra });
const refused = (extra: Partial<BuildPlanOptions>): string[] => planProblems(() => plan(extra));

describe("outputs: load and exports", () => {
  it("plans them with absolute destinations; off by default", () => {
    assert.deepEqual(plan({}).outputs, { load: false, exports: [] });
    assert.deepEqual(plan({ load: true, exports: ["type=oci,dest=dist/app.tar", "type=local,dest=out"] }).outputs, {
      load: true,
      exports: [`type=oci,dest=${path.resolve("dist/app.tar")}`, `type=local,dest=${path.resolve("out")}`],
    });
  });

  it("buildx gets --load beside --push and each --output, for the image's build only", () => {
    const made = plan({ load: true, exports: ["type=oci,dest=/o/app.tar"] });
    const pushed = buildxArguments(made, "r/app", "farm", "/m", { push: true });
    assert.ok(pushed.includes("--push") && pushed.includes("--load"));
    assert.equal(pushed[pushed.indexOf("--output") + 1], "type=oci,dest=/o/app.tar");
    const gate = buildxArguments(made, "r/app", "farm", "/m", { push: false, exportCache: false });
    assert.ok(!gate.includes("--output"));
    // Without load, a push loads nothing.
    assert.ok(!buildxArguments(plan({}), "r/app", "farm", "/m", { push: true }).includes("--load"));
  });

  it("refuses an exporter, an attribute or a missing destination by path; the engine's builder; several platforms loaded", () => {
    assert.deepEqual(refused({ exports: ["type=ocii,dest=a", "type=tar", "type=local,dest=x,mode=max"] }), [
      'exports[0]: "ocii" is not an exporter. Did you mean "oci"?',
      "exports[1]: type=tar needs dest.",
      'exports[2]: "mode" is not an attribute of type=local to export.',
    ]);
    assert.deepEqual(refused({ builder: undefined, exports: ["type=oci,dest=a.tar"] }), [
      "exports[0]: needs a builder: the Docker engine's own builder writes no outputs.",
    ]);
    assert.deepEqual(
      refused({ platforms: ["linux/amd64", "linux/arm64"], load: true, exports: ["type=docker,dest=a.tar"] }),
      [
        "load: the Docker engine loads one platform, and this build makes 2.",
        "exports[0]: a Docker tarball holds one platform.",
      ],
    );
  });
});
