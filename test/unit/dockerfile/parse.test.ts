import { strict as assert } from "assert";
import { parseDockerfile } from "../../../src/dockerfile";
import { dockerfile, seed } from "../../helpers";

describe("Dockerfile model: parsing", () => {
  it("parses the seed 000 node→nginx Dockerfile into two stages", () => {
    const model = seed("000-node-nginx");
    assert.equal(model.stages.length, 2);
    const [build, runtime] = model.stages;
    assert.equal(build.name, "build");
    assert.equal(build.from, "node:14");
    assert.equal(build.line, 3);
    assert.equal(runtime.name, undefined);
    assert.equal(runtime.from, "nginx:latest");
    assert.deepEqual(
      runtime.dependencies.map((d) => [d.kind, d.via, d.kind === "stage" ? d.stage : d.image]),
      [
        ["image", "FROM", "nginx:latest"],
        ["stage", "COPY --from", 0],
      ],
    );
  });

  it("treats stage names case-insensitively and keeps the spelling (seed 004 BUILD_IMAGE)", () => {
    const model = seed("004-java");
    assert.equal(model.stages[0].name, "build_image");
    assert.equal(model.stages[0].declaredName, "BUILD_IMAGE");
    assert.deepEqual(
      model.stages[1].dependencies.filter((d) => d.kind === "stage").map((d) => d.line),
      [13],
    );
  });

  it("records a stage built FROM an earlier stage and an external image used only as a copy source (seed 001)", () => {
    const model = seed("001-react-nginx");
    const build2 = model.stages[1];
    assert.deepEqual(build2.dependencies, [{ kind: "stage", stage: 0, via: "FROM", reference: "builder", line: 12 }]);
    const final = model.stages[2];
    const images = final.dependencies.filter((d) => d.kind === "image").map((d) => (d.kind === "image" ? d.image : ""));
    assert.deepEqual(images, ["nginx:stable-alpine", "nginx:latest"]);
  });

  it("reads global args, stage args, platform flags and syntax directives", () => {
    const { model, diagnostics } = dockerfile(`
      # syntax=docker/dockerfile:1.7
      ARG BASE=alpine:3.19
      ARG EMPTY
      FROM --platform=$BUILDPLATFORM \${BASE} AS tools
      ARG GREETING=hello NAME
      RUN echo $GREETING $NAME
    `);
    assert.deepEqual(diagnostics, []);
    assert.equal(model.syntax, "docker/dockerfile:1.7");
    assert.deepEqual(model.globalArgs, [
      { name: "BASE", defaultValue: "alpine:3.19", line: 2 },
      { name: "EMPTY", defaultValue: undefined, line: 3 },
    ]);
    const tools = model.stages[0];
    assert.equal(tools.platform, "$BUILDPLATFORM");
    assert.deepEqual(
      tools.args.map((a) => [a.name, a.defaultValue]),
      [
        ["GREETING", "hello"],
        ["NAME", undefined],
      ],
    );
    assert.deepEqual(
      tools.dependencies.map((d) => (d.kind === "image" ? d.image : d.stage)),
      ["alpine:3.19"],
    );
  });

  it("follows COPY --from=<index> and RUN --mount=…,from=<stage>", () => {
    const { model, diagnostics } = dockerfile(`
      FROM alpine:3.19 AS deps
      RUN touch /deps
      FROM alpine:3.19 AS cache
      FROM alpine:3.19
      COPY --from=0 /deps /deps
      RUN --mount=type=bind,from=cache,source=/etc,target=/mnt ls /mnt
    `);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(
      model.stages[2].dependencies.filter((d) => d.kind === "stage").map((d) => [d.stage, d.via]),
      [
        [0, "COPY --from"],
        [1, "RUN --mount"],
      ],
    );
  });
});

describe("Dockerfile model: structural errors", () => {
  it("refuses an empty Dockerfile", () => {
    const { diagnostics } = parseDockerfile("# nothing here\n", "app/Dockerfile");
    assert.equal(diagnostics[0].code, "empty-dockerfile");
    assert.match(diagnostics[0].message, /no instructions/);
    assert.equal(diagnostics[0].file, "app/Dockerfile");
  });

  it("refuses a Dockerfile without FROM, with the line", () => {
    const { diagnostics } = dockerfile(`
      ARG X=1
      RUN echo hi
    `);
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.line]),
      [["no-from", 1]],
    );
  });

  it("refuses an instruction before the first FROM", () => {
    const { diagnostics } = dockerfile(`
      RUN echo hi
      FROM alpine:3.19
    `);
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.line]),
      [["parse-error", 1]],
    );
  });

  it("refuses duplicate stage names, naming both lines", () => {
    const { diagnostics } = dockerfile(`
      FROM alpine:3.19 AS build
      FROM alpine:3.19 AS Build
    `);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0].code, "duplicate-stage");
    assert.equal(diagnostics[0].line, 2);
    assert.match(diagnostics[0].message, /already used by the stage at line 1/);
  });

  it("refuses a reference to a later stage and says where to move it", () => {
    const { diagnostics } = dockerfile(`
      FROM alpine:3.19 AS app
      COPY --from=assets /a /a
      FROM alpine:3.19 AS assets
    `);
    assert.equal(diagnostics[0].code, "forward-reference");
    assert.equal(diagnostics[0].line, 2);
    assert.equal(diagnostics[0].stage, "app");
    assert.match(diagnostics[0].hint ?? "", /Move stage "assets" above line 1/);
  });

  it("refuses a misspelt stage name instead of pulling it as an image", () => {
    const { diagnostics } = dockerfile(`
      FROM node:20 AS builder
      FROM nginx:1.27
      COPY --from=biulder /app/build /usr/share/nginx/html
    `);
    assert.equal(diagnostics[0].code, "unknown-stage");
    assert.equal(diagnostics[0].line, 3);
    assert.match(diagnostics[0].message, /Did you mean "builder"\?/);
  });

  it("refuses an out-of-range stage index and a stage referring to itself", () => {
    const { diagnostics } = dockerfile(`
      FROM alpine:3.19 AS a
      COPY --from=5 /x /x
      COPY --from=a /y /y
    `);
    assert.deepEqual(
      diagnostics.map((d) => d.code),
      ["unknown-stage", "self-reference"],
    );
  });
});
