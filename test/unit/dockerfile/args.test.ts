import { strict as assert } from "assert";
import { type TargetResolution, formatDiagnostic, resolveTarget } from "../../../src/dockerfile";
import { dockerfile } from "../../helpers";

function resolved(r: ReturnType<typeof resolveTarget>): TargetResolution {
  if (!r.found) throw new Error(`unresolved: ${r.diagnostics.map((d) => formatDiagnostic(d)).join("; ")}`);
  return r;
}

describe("Build arg scoping", () => {
  it("warns about a stage arg without value that a RUN uses (BuildKit expands it to empty), naming line, stage and arg", () => {
    const { model } = dockerfile(`
      FROM alpine:3.19 AS build
      ARG VERSION
      RUN echo "building $VERSION"
    `);
    const r = resolved(resolveTarget(model));
    assert.equal(r.diagnostics.length, 1);
    const d = r.diagnostics[0];
    assert.deepEqual([d.severity, d.code, d.line, d.stage, d.arg], ["warning", "missing-arg", 3, "build", "VERSION"]);
    assert.match(
      formatDiagnostic(d),
      /^Dockerfile:3: stage "build": build arg VERSION \(declared at line 2 without a default\) is used by RUN but was not passed; it expands to empty\. Pass VERSION in buildArgs/,
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
      [["VERSION", "1.0", ["global", "b"], ["b"]]],
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

  it("a global arg with no value used in FROM: a warning, and an error when the image name it leaves is empty", () => {
    const { model } = dockerfile(`
      ARG BASE_IMAGE
      ARG SUFFIX
      FROM $BASE_IMAGE AS first
      FROM busybox:1.36$SUFFIX
    `);
    const r = resolved(resolveTarget(model, { target: "first" }));
    assert.deepEqual(
      r.diagnostics.map((d) => [d.severity, d.code, d.arg, d.line]),
      [
        ["warning", "missing-arg", "BASE_IMAGE", 3],
        ["error", "missing-image", undefined, 3],
      ],
    );
    // The final stage does not build "first", but BuildKit expands every stage's FROM: its blank base still fails.
    assert.deepEqual(
      resolved(resolveTarget(model)).diagnostics.map((d) => [d.severity, d.code, d.arg]),
      [
        ["error", "missing-image", undefined],
        ["warning", "missing-arg", "SUFFIX"],
      ],
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
});
