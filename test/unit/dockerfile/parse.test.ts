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

describe("Dockerfile model: what BuildKit refuses", () => {
  const codes = (text: string): Array<[string, number | undefined]> =>
    dockerfile(text).diagnostics.map((d) => [d.code, d.line]);

  it("an unknown instruction, with the closest one", () => {
    const { diagnostics } = dockerfile("FROM alpine:3.19\nCOPPY a /a\n");
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.line]),
      [["unknown-instruction", 2]],
    );
    assert.match(diagnostics[0].message, /unknown instruction COPPY\. Did you mean "COPY"\?/);
  });

  it("FROM with no image, and stage names outside BuildKit's rule", () => {
    assert.deepEqual(codes("FROM\n"), [["missing-image", 1]]);
    assert.deepEqual(codes("FROM alpine:3.19 AS 1st\nFROM alpine:3.19 AS _x\nFROM alpine:3.19 AS ok.name-1\n"), [
      ["invalid-stage-name", 1],
      ["invalid-stage-name", 2],
    ]);
  });

  it("FROM naming a stage in capitals (seed 004's BUILD_IMAGE): BuildKit takes it for an image; --from and --target do not care", () => {
    const text =
      "FROM alpine:3.19 as BUILD_IMAGE\nFROM BUILD_IMAGE AS test\nFROM alpine:3.19\nCOPY --from=BUILD_IMAGE /a /a\n";
    const { diagnostics } = dockerfile(text);
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.line, d.stage]),
      [["stage-name-case", 2, "test"]],
    );
    assert.match(diagnostics[0].message, /FROM BUILD_IMAGE names stage "BUILD_IMAGE" in capitals/);
    assert.match(diagnostics[0].hint ?? "", /Write `FROM build_image`/);
    assert.deepEqual(codes(text.replace("FROM BUILD_IMAGE AS", "FROM build_image AS")), []);
  });

  it("variables in --from, with the alias-stage fix", () => {
    const { diagnostics } = dockerfile(
      "ARG SRC=builder\nFROM alpine:3.19 AS builder\nFROM alpine:3.19\nCOPY --from=${SRC} /a /a\nRUN --mount=from=$SRC,target=/x true\n",
    );
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.line]),
      [
        ["variable-in-from-flag", 4],
        ["variable-in-from-flag", 5],
      ],
    );
    assert.match(diagnostics[0].hint ?? "", /FROM \$\{SRC\} AS <alias>/);
  });

  it("an unterminated heredoc, naming the FROM it swallows; a closed one is fine", () => {
    const { diagnostics } = dockerfile("FROM alpine:3.19 AS a\nRUN <<EOF\necho hi\nFROM alpine:3.19 AS b\nRUN true\n");
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.line]),
      [["unterminated-heredoc", 2]],
    );
    assert.match(diagnostics[0].message, /<<EOF is never closed.*including the FROM at line 4/);
    assert.deepEqual(codes("FROM alpine:3.19 AS a\nRUN <<-EOF\n\techo hi\n\tEOF\nFROM alpine:3.19 AS b\n"), []);
  });

  it("an ONBUILD trigger's --from is a dependency of the stages built FROM that stage", () => {
    const { model, diagnostics } = dockerfile(
      "FROM alpine:3.19 AS assets\nFROM alpine:3.19 AS base\nONBUILD COPY --from=assets /a /a\nFROM base AS app\n",
    );
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(
      model.stages[2].dependencies.map((d) => (d.kind === "stage" ? `stage ${d.stage} via ${d.via}` : d.image)),
      ["stage 1 via FROM", "stage 0 via COPY --from"],
    );
    // The stage that declares the trigger does not run it.
    assert.deepEqual(
      model.stages[1].dependencies.map((d) => d.kind),
      ["image"],
    );
  });

  it("global ARG defaults: quotes removed, earlier globals expanded, stage names found through them", () => {
    const { model, diagnostics } = dockerfile(
      'ARG A=base\nARG B=$A\nARG IMAGE="registry.example.com/app/base:1.2"\nFROM ${IMAGE} AS base\nFROM $B AS app\n',
    );
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(model.stages[0].dependencies[0], {
      kind: "image",
      image: "registry.example.com/app/base:1.2",
      via: "FROM",
      reference: "${IMAGE}",
      line: 4,
    });
    assert.deepEqual(model.stages[1].dependencies[0], {
      kind: "stage",
      stage: 0,
      via: "FROM",
      reference: "$B",
      line: 5,
    });
  });
});

describe("Dockerfile model: build secrets", () => {
  it("records each RUN's secret mounts: id, else the target's file name, and required", () => {
    const { model } = dockerfile(`
      FROM busybox:1.36 AS deps
      RUN --mount=type=secret,id=NPM_TOKEN,required=true --mount=type=cache,target=/c true
      FROM deps AS app
      RUN --mount=type=secret,target=/run/secrets/aws true
    `);
    assert.deepEqual(model.stages[0].secretMounts, [{ id: "NPM_TOKEN", required: true, line: 2 }]);
    assert.deepEqual(model.stages[1].secretMounts, [{ id: "aws", required: false, line: 4 }]);
  });
});

describe("Dockerfile model: plain images beside stages", () => {
  it("an image a stage name contains (FROM alpine AS alpine-amd64) stays an image dependency, not a misspelt stage", () => {
    const { model, diagnostics } = parseDockerfile(
      "FROM alpine:3.19 AS alpine-amd64\nFROM alpine AS app\nCOPY --from=alpine /etc/os-release /\n",
    );
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(
      model.stages[1].dependencies.map((d) => (d.kind === "image" ? `image ${d.image} via ${d.via}` : "stage")),
      ["image alpine via FROM", "image alpine via COPY --from"],
    );
    // A real misspelling is still caught.
    assert.equal(parseDockerfile("FROM alpine:3.19 AS builder\nFROM buidler\n").diagnostics[0].code, "unknown-stage");
  });
});
