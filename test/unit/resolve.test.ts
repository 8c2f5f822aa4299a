import { strict as assert } from "assert";
import { MultiStageError, expandWord, formatDiagnostic, resolveTarget, stageLabel } from "../../src";
import type { TargetResolution } from "../../src";
import { CYCLIC_DOCKERFILE, dockerfile, seed } from "../helpers";

function resolved(r: ReturnType<typeof resolveTarget>): TargetResolution {
  if (r.target === undefined) throw new Error(`unresolved: ${r.diagnostics.map(formatDiagnostic).join("; ")}`);
  return r as TargetResolution;
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
    assert.equal(r.target, undefined);
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

describe("Build arg scoping", () => {
  it("requires a stage arg without default that a RUN uses, naming line, stage and arg", () => {
    const { model } = dockerfile(`
      FROM alpine:3.19 AS build
      ARG VERSION
      RUN echo "building $VERSION"
    `);
    const r = resolved(resolveTarget(model));
    assert.equal(r.diagnostics.length, 1);
    const d = r.diagnostics[0];
    assert.deepEqual([d.code, d.line, d.stage, d.arg], ["missing-arg", 3, "build", "VERSION"]);
    assert.match(
      formatDiagnostic(d),
      /^Dockerfile:3: stage "build": build arg VERSION \(declared at line 2 without a default\) is used by RUN but was not passed\. Pass VERSION in buildArgs/,
    );
    assert.deepEqual(resolved(resolveTarget(model, { buildArgs: { VERSION: "1.2.3" } })).diagnostics, []);
  });

  it("does not require args referenced with a fallback, or args only other targets use", () => {
    const { model } = dockerfile(`
      FROM alpine:3.19 AS a
      ARG OPTIONAL
      RUN echo \${OPTIONAL:-none}
      FROM alpine:3.19 AS b
      ARG NEEDED
      RUN echo $NEEDED
      FROM alpine:3.19 AS final
      COPY --from=a /etc/hostname /x
    `);
    assert.deepEqual(resolved(resolveTarget(model)).diagnostics, []);
    assert.equal(resolved(resolveTarget(model, { target: "b" })).diagnostics[0].arg, "NEEDED");
  });

  it("keeps global args out of a stage until the stage redeclares them", () => {
    const { model } = dockerfile(`
      ARG VERSION=1.0
      FROM alpine:3.19 AS a
      RUN echo $VERSION
      FROM alpine:3.19 AS b
      ARG VERSION
      RUN echo $VERSION
    `);
    const a = resolved(resolveTarget(model, { target: "a" }));
    assert.deepEqual(a.args.args, []);
    const b = resolved(resolveTarget(model, { target: "b" }));
    assert.deepEqual(
      b.args.args.map((x) => [x.name, x.value, x.declaredIn, x.usedBy]),
      [["VERSION", "1.0", ["b"], ["b"]]],
    );
  });

  it("refuses FROM using an arg declared only inside a stage", () => {
    const { model } = dockerfile(`
      FROM alpine:3.19 AS a
      ARG BASE=alpine:3.19
      FROM \${BASE}
    `);
    const r = resolved(resolveTarget(model));
    assert.equal(r.diagnostics[0].code, "missing-arg");
    assert.match(r.diagnostics[0].hint ?? "", /before the first FROM/);
  });

  it("requires a global arg with no default used in FROM", () => {
    const { model } = dockerfile(`
      ARG BASE_IMAGE
      FROM $BASE_IMAGE
    `);
    const r = resolved(resolveTarget(model));
    assert.deepEqual(
      r.diagnostics.map((d) => [d.code, d.arg, d.line]),
      [["missing-arg", "BASE_IMAGE", 2]],
    );
    assert.deepEqual(resolved(resolveTarget(model, { buildArgs: { BASE_IMAGE: "busybox:1.36" } })).externalImages, [
      "busybox:1.36",
    ]);
  });

  it("warns about passed args no stage of the target declares, with suggestions", () => {
    const { model } = dockerfile(`
      FROM alpine:3.19 AS app
      ARG NODE_ENV=production
      RUN echo $NODE_ENV
      FROM alpine:3.19 AS other
      ARG ONLY_OTHER=1
    `);
    const r = resolved(
      resolveTarget(model, { target: "app", buildArgs: { NODE_EVN: "x", ONLY_OTHER: "2", HTTP_PROXY: "p" } }),
    );
    assert.deepEqual(
      r.diagnostics.map((d) => [d.severity, d.arg]),
      [
        ["warning", "NODE_EVN"],
        ["warning", "ONLY_OTHER"],
      ],
    );
    assert.match(r.diagnostics[0].message, /Did you mean "NODE_ENV"\?/);
    assert.match(r.diagnostics[1].message, /only declared by stage\(s\) other/);
  });

  it("lets ENV shadow an arg and treats automatic platform args as set", () => {
    const { model } = dockerfile(`
      FROM alpine:3.19
      ARG TARGETARCH
      ARG MODE
      ENV MODE=fast
      RUN echo $TARGETARCH $MODE
    `);
    assert.deepEqual(resolved(resolveTarget(model, { platform: "linux/arm64" })).diagnostics, []);
    const arch = resolved(resolveTarget(model, { platform: "linux/arm64" })).args.args.find(
      (a) => a.name === "TARGETARCH",
    );
    assert.equal(arch?.value, "arm64");
  });

  it("reports a cycle with the lines that close it", () => {
    const { model } = dockerfile(CYCLIC_DOCKERFILE);
    const r = resolved(resolveTarget(model, { target: "a" }));
    const cycle = r.diagnostics.find((d) => d.code === "cycle");
    assert.match(cycle?.message ?? "", /"a" needs "b" \(line 2\), "b" needs "a" \(line 4\)/);
  });

  it("gathers several errors into one MultiStageError message", () => {
    const err = new MultiStageError([
      { severity: "error", code: "missing-arg", file: "Dockerfile", line: 3, message: "a." },
      { severity: "warning", code: "unknown-arg", message: "w." },
      { severity: "error", code: "cycle", file: "Dockerfile", line: 5, stage: "x", message: "b." },
    ]);
    assert.equal(err.message, '2 problems:\n  - Dockerfile:3: a.\n  - Dockerfile:5: stage "x": b.');
  });
});

describe("Word expansion", () => {
  const scope = new Map<string, string | undefined>([
    ["SET", "v"],
    ["EMPTY", ""],
  ]);
  const cases: Array<[string, string]> = [
    ["$SET", "v"],
    ["${SET}-x", "v-x"],
    ["${UNSET:-d}", "d"],
    ["${EMPTY:-d}", "d"],
    ["${EMPTY-d}", ""],
    ["${SET:+alt}", "alt"],
    ["${UNSET:+alt}", ""],
    ["node:${UNSET:-${SET}}", "node:v"],
  ];
  for (const [input, output] of cases) {
    it(`${input} → "${output}"`, () => assert.equal(expandWord(input, scope), output));
  }
  it("${UNSET:?msg} fails with the message", () => {
    assert.throws(() => expandWord("${UNSET:?set it}", scope), /UNSET: set it/);
  });
});
