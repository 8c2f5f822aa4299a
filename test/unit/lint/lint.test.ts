import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { type LintFinding, LINT_RULES, lintDockerfile } from "../../../src/lint";
import { FIXTURES } from "../../helpers";

const seed = (name: string): string => fs.readFileSync(path.join(FIXTURES, "seeds", `${name}.Dockerfile`), "utf8");
const brief = (findings: LintFinding[]): Array<[string, string, number | undefined]> =>
  findings.map((f) => [f.rule, f.severity, f.line]);
const dedent = (text: string): string => text.replace(/^\n/, "").replace(/^ {6}/gm, "");

describe("lint: the seeds' best practices", () => {
  it("seed 003's Go app: alpine:latest, COPY . . in production's closure, the final stage as root", () => {
    const findings = lintDockerfile(seed("003-go"), { file: "003-go.Dockerfile" });
    assert.deepEqual(brief(findings), [
      ["copy-whole-context", "warning", 5],
      ["unpinned-base", "error", 8],
      ["final-stage-root", "warning", 8],
    ]);
    const latest = findings[1];
    assert.match(latest.message, /FROM alpine:latest is tagged latest/);
    assert.match(latest.fix, /FROM alpine:<version>/);
    assert.equal(latest.file, "003-go.Dockerfile");
  });

  it("seed 002's Node app: the manifests first, then the install, then COPY . . is the right order", () => {
    const rules = lintDockerfile(seed("002-node-basic")).map((f) => f.rule);
    assert.ok(!rules.includes("copy-whole-context-before-install"));
    assert.deepEqual(rules, ["copy-whole-context", "final-stage-root"]);
  });

  it("COPY . . before the install is flagged with the install's line", () => {
    const findings = lintDockerfile(
      dedent(`
      FROM node:20.18 AS build
      COPY . .
      RUN npm ci
      USER node
      `),
    );
    const f = findings.find((x) => x.rule === "copy-whole-context-before-install");
    assert.ok(f);
    assert.equal(f.line, 2);
    assert.match(f.message, /before the dependency install at line 3/);
  });

  it("a global ARG used in a stage without declaring it again", () => {
    const findings = lintDockerfile(
      dedent(`
      ARG VERSION=1.0
      FROM busybox:1.36 AS app
      RUN echo $VERSION > /v
      ARG VERSION
      RUN echo $VERSION > /w
      USER 65534
      `),
    );
    assert.deepEqual(brief(findings), [["global-arg-not-redeclared", "warning", 3]]);
    assert.match(findings[0].fix, /Add `ARG VERSION` in the stage before line 3/);
  });

  it("secrets in ARG or ENV, in a stage or global, are errors naming the build-secret fix", () => {
    const findings = lintDockerfile(
      dedent(`
      ARG GITHUB_TOKEN
      FROM busybox:1.36 AS app
      ARG NPM_TOKEN
      ENV DB_PASSWORD=hunter2 LOG_LEVEL=info
      USER 65534
      `),
    );
    assert.deepEqual(brief(findings), [
      ["secret-in-arg-or-env", "error", 1],
      ["secret-in-arg-or-env", "error", 3],
      ["secret-in-arg-or-env", "error", 4],
    ]);
    assert.match(findings[2].message, /ENV DB_PASSWORD/);
    assert.match(findings[1].fix, /RUN --mount=type=secret,id=NPM_TOKEN/);
  });

  it("package caches left in the final stage: apt lists, apk's index, pip's cache; a cache mount is fine", () => {
    const findings = lintDockerfile(
      dedent(`
      FROM debian:12 AS app
      RUN apt-get update && apt-get install -y curl
      RUN apt-get update && apt-get install -y git && rm -rf /var/lib/apt/lists/*
      RUN apk add curl
      RUN pip install requests
      RUN --mount=type=cache,target=/root/.cache/pip pip install flask
      USER 1000
      `),
    );
    assert.deepEqual(brief(findings), [
      ["package-cache-in-final", "warning", 2],
      ["package-cache-in-final", "warning", 4],
      ["package-cache-in-final", "warning", 5],
    ]);
  });

  it("COPY --from an untagged image; the final stage's user, inherited from the stage it is built on", () => {
    const findings = lintDockerfile(
      dedent(`
      FROM busybox:1.36 AS base
      USER 65534
      FROM base AS app
      COPY --from=nginx /etc/nginx/nginx.conf /etc/
      `),
    );
    assert.deepEqual(brief(findings), [["copy-from-untagged-image", "warning", 4]]);
    const root = lintDockerfile("FROM busybox:1.36\nUSER root\n");
    assert.deepEqual(brief(root), [["final-stage-root", "warning", 1]]);
    assert.match(root[0].message, /runs as root/);
  });

  it("stages no environment builds; the targets and test stages given count", () => {
    const text = dedent(`
      FROM busybox:1.36 AS dev
      FROM busybox:1.36 AS test
      FROM busybox:1.36 AS docs
      FROM busybox:1.36 AS production
      USER 65534
      `);
    assert.deepEqual(
      lintDockerfile(text, { targets: ["dev", "test"] }).map((f) => [f.rule, f.stage]),
      [["unused-stage", "docs"]],
    );
    assert.equal(lintDockerfile(text).filter((f) => f.rule === "unused-stage").length, 3);
  });

  it("the context's ignore rules: missing, or letting .git, node_modules or .env through", () => {
    const text = "FROM busybox:1.36\nUSER 65534\n";
    assert.deepEqual(
      lintDockerfile(text, { contextEntries: ["src", ".git"] }).map((f) => f.rule),
      ["missing-dockerignore"],
    );
    const weak = lintDockerfile(text, { contextEntries: [".git", "node_modules", ".env"], dockerignore: ".git\n" });
    assert.deepEqual(
      weak.map((f) => f.message),
      [".dockerignore lets node_modules, .env into the build context."],
    );
    const tight = lintDockerfile(text, {
      contextEntries: [".git", "node_modules"],
      dockerignore: "*\n!src\n",
    });
    assert.deepEqual(tight, []);
  });

  it("severities can be changed per rule, and a rule turned off", () => {
    const findings = lintDockerfile(seed("003-go"), {
      severities: { "unpinned-base": "warning", "final-stage-root": "off" },
    });
    assert.deepEqual(brief(findings), [
      ["copy-whole-context", "warning", 5],
      ["unpinned-base", "warning", 8],
    ]);
  });

  it("every rule has a default severity and a summary", () => {
    for (const [id, rule] of Object.entries(LINT_RULES)) {
      assert.ok(["error", "warning"].includes(rule.severity), id);
      assert.ok(rule.summary.length > 10, id);
    }
  });
});
