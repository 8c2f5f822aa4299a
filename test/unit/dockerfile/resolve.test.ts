import { strict as assert } from "assert";
import { type TargetResolution, formatDiagnostic, resolveTarget, stageLabel } from "../../../src/dockerfile";
import { CYCLIC_DOCKERFILE, dockerfile, seed } from "../../helpers";

function resolved(r: ReturnType<typeof resolveTarget>): TargetResolution {
  if (!r.found) throw new Error(`unresolved: ${r.diagnostics.map((d) => formatDiagnostic(d)).join("; ")}`);
  return r;
}
const labels = (r: TargetResolution): string[] => r.stages.map(stageLabel);

describe("Target resolution on every seed Dockerfile", () => {
  const cases: Array<[string, string | undefined, string[], string[]]> = [
    ["000-node-nginx", undefined, ["build", "#1"], ["node:14", "nginx:latest"]],
    ["000-node-nginx", "build", ["build"], ["node:14"]],
    ["001-react-nginx", undefined, ["builder", "#2"], ["node:13.12.0-alpine", "nginx:stable-alpine", "nginx:latest"]],
    ["001-react-nginx", "build2", ["builder", "build2"], ["node:13.12.0-alpine"]],
    ["002-node-basic", undefined, ["builder", "#1"], ["node:18", "node:18-alpine"]],
    ["002-go", "builder", ["builder"], ["golang:1.21"]],
    ["002-build-args", undefined, ["builder", "#1"], ["node:18", "node:18-alpine"]],
    ["002-four-stage", undefined, ["deps", "builder", "#3"], ["node:18", "node:18-alpine"]],
    ["002-four-stage", "tester", ["deps", "builder", "tester"], ["node:18"]],
    ["002-four-stage", "deps", ["deps"], ["node:18"]],
    ["003-node", "production", ["builder", "production"], ["node:18-alpine"]],
    ["003-go", undefined, ["builder", "#1"], ["golang:1.21", "alpine:latest"]],
    ["003-php", "composer-build", ["composer-build"], ["composer:2"]],
    ["003-php", undefined, ["composer-build", "#1"], ["composer:2", "php:8.2-fpm-alpine"]],
    ["004-java", "build_image", ["BUILD_IMAGE"], ["gradle:4.5-jdk-alpine"]],
    ["004-java", undefined, ["BUILD_IMAGE", "#1"], ["gradle:4.5-jdk-alpine", "openjdk:8-jre-alpine"]],
  ];
  for (const [file, target, stages, images] of cases) {
    it(`${file} --target ${target ?? "(final)"} builds ${stages.join(" → ")}`, () => {
      const r = resolved(resolveTarget(seed(file), { target }));
      assert.deepEqual(r.diagnostics, []);
      assert.deepEqual(labels(r), stages);
      assert.deepEqual(r.externalImages, images);
      assert.equal(r.isFinal, target === undefined || (file === "003-node" && target === "production"));
    });
  }

  it("production of seed 002 skips the tester stage, as BuildKit does", () => {
    const r = resolved(resolveTarget(seed("002-four-stage")));
    assert.deepEqual(r.skipped.map(stageLabel), ["tester"]);
  });

  it("substitutes global args into FROM lines (seed 002 NODE_VERSION)", () => {
    const r = resolved(resolveTarget(seed("002-build-args"), { buildArgs: { NODE_VERSION: "20" } }));
    assert.deepEqual(r.externalImages, ["node:20", "node:20-alpine"]);
    assert.deepEqual(
      r.args.args.map((a) => [a.name, a.value, a.passed, a.usedBy]),
      [["NODE_VERSION", "20", true, ["FROM of builder", "FROM of #1"]]],
    );
  });
});

describe("Unknown targets", () => {
  it("names the closest stages and lists all targets", () => {
    const r = resolveTarget(seed("002-four-stage"), { target: "biulder" });
    assert.equal(r.found, false);
    const d = r.diagnostics[0];
    assert.equal(d.code, "unknown-target");
    assert.match(d.message, /target "biulder" is not a stage of this Dockerfile\. Did you mean "builder"\?/);
    assert.match(d.hint ?? "", /deps, builder, tester/);
  });

  it("suggests by prefix too (prod → production)", () => {
    const r = resolveTarget(seed("003-node"), { target: "prod" });
    assert.match(r.diagnostics[0].message, /Did you mean "production"\?/);
  });

  it("explains that targets are names, not indices", () => {
    const r = resolveTarget(seed("000-node-nginx"), { target: "1" });
    assert.match(r.diagnostics[0].hint ?? "", /names, not indices/);
  });

  it("matches target names case-insensitively like BuildKit", () => {
    assert.equal(stageLabel(resolved(resolveTarget(seed("002-four-stage"), { target: "Tester" })).target), "tester");
  });
});

describe("Cycles in the closure", () => {
  it("reports a cycle with the lines that close it", () => {
    const { model } = dockerfile(CYCLIC_DOCKERFILE);
    const r = resolved(resolveTarget(model, { target: "a" }));
    const cycle = r.diagnostics.find((d) => d.code === "cycle");
    assert.match(cycle?.message ?? "", /"a" needs "b" \(line 2\), "b" needs "a" \(line 4\)/);
  });
});

describe("The graph follows the platform and the passed args, as BuildKit's does", () => {
  const multiPlatform = `
    FROM busybox:1.36 AS binaries-linux
    FROM busybox:1.36 AS binaries-darwin
    FROM binaries-$TARGETOS AS binaries
    FROM busybox:1.36 AS release
    COPY --from=binaries /bin /bin
  `;

  it("automatic platform args need no ARG line on FROM (TARGETOS picks the stage)", () => {
    const { model, diagnostics } = dockerfile(multiPlatform);
    assert.deepEqual(diagnostics, []);
    const linux = resolved(resolveTarget(model, { platform: "linux/amd64" }));
    assert.deepEqual(labels(linux), ["binaries-linux", "binaries", "release"]);
    const darwin = resolved(resolveTarget(model, { platform: "darwin/arm64" }));
    assert.deepEqual(labels(darwin), ["binaries-darwin", "binaries", "release"]);
    assert.deepEqual(darwin.diagnostics, []);
  });

  it("a passed build arg picks the FROM stage, and the image it names is the one checked", () => {
    const { model } = dockerfile(`
      ARG VARIANT=release
      ARG BASE=alpine:3.19
      FROM \${BASE} AS base-release
      FROM \${BASE} AS base-debug
      FROM base-\${VARIANT} AS app
    `);
    assert.deepEqual(labels(resolved(resolveTarget(model))), ["base-release", "app"]);
    const debug = resolved(resolveTarget(model, { buildArgs: { VARIANT: "debug", BASE: "alpine" } }));
    assert.deepEqual(labels(debug), ["base-debug", "app"]);
    assert.deepEqual(debug.externalImages, ["alpine"]);
  });
});
