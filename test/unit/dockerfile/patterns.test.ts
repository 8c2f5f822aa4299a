/**
 * Multi-stage patterns from well-known public projects, written afresh for this repo
 * (test/fixtures/patterns; each file says which pattern it reproduces), with the stage
 * graph BuildKit builds for each target, platform and passed args, written by hand.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseDockerfile, resolveTarget, stageLabel } from "../../../src/dockerfile";
import { FIXTURES } from "../../helpers";

interface Expectation {
  target?: string;
  platform?: string;
  buildArgs?: Record<string, string>;
  stages: string[];
  images: string[];
}

const CASES: Record<string, Expectation[]> = {
  "cross-compile": [
    {
      platform: "linux/amd64",
      stages: ["xx", "base", "build", "binaries-linux", "binaries", "#8"],
      images: ["example.com/xx:1.4", "golang:1.22-alpine"],
    },
    {
      platform: "darwin/arm64",
      stages: ["xx", "base", "build", "binaries-darwin", "binaries", "#8"],
      images: ["example.com/xx:1.4", "golang:1.22-alpine"],
    },
    {
      platform: "windows/amd64",
      stages: ["xx", "base", "build", "binaries-windows", "binaries", "#8"],
      images: ["example.com/xx:1.4", "golang:1.22-alpine"],
    },
    {
      target: "shell",
      platform: "linux/arm64",
      stages: ["xx", "base", "build", "binaries-linux", "binaries", "shell"],
      images: ["example.com/xx:1.4", "golang:1.22-alpine", "alpine:3.19"],
    },
  ],
  "arg-selects-stage": [
    { stages: ["build-alpine", "build", "runtime-alpine", "runtime"], images: ["python:3.12-alpine", "alpine:3.19"] },
    {
      buildArgs: { FLAVOR: "debian", PYTHON_VERSION: "3.11" },
      stages: ["build-debian", "build", "runtime-debian", "runtime"],
      images: ["python:3.11-slim", "debian:12-slim"],
    },
  ],
  "go-distroless": [
    { stages: ["build", "#3"], images: ["golang:1.22", "gcr.io/distroless/static-debian12:nonroot"] },
    { target: "test", stages: ["build", "test"], images: ["golang:1.22"] },
    { target: "debug", stages: ["build", "debug"], images: ["golang:1.22", "busybox:1.36"] },
  ],
  "node-next": [{ stages: ["base", "deps", "builder", "runner"], images: ["node:20-alpine"] }],
  "rust-chef": [{ stages: ["chef", "planner", "builder", "runtime"], images: ["rust:1.77", "debian:12-slim"] }],
  "dotnet-index": [
    { stages: ["build", "#1"], images: ["mcr.microsoft.com/dotnet/sdk:8.0", "mcr.microsoft.com/dotnet/aspnet:8.0"] },
    {
      buildArgs: { DOTNET: "9.0" },
      stages: ["build", "#1"],
      images: ["mcr.microsoft.com/dotnet/sdk:9.0", "mcr.microsoft.com/dotnet/aspnet:9.0"],
    },
  ],
  "windows-escape": [
    {
      stages: ["download", "#1"],
      images: ["mcr.microsoft.com/windows/servercore:ltsc2022", "mcr.microsoft.com/windows/nanoserver:ltsc2022"],
    },
  ],
  "heredoc-onbuild": [
    { stages: ["assets", "base", "site", "#4"], images: ["alpine:3.19"] },
    { target: "unused-tools", stages: ["unused-tools"], images: ["python:3.12-slim"] },
  ],
  "external-copy": [
    {
      stages: ["runtime"],
      images: [
        "alpine:3.19",
        "docker/buildx-bin:0.14",
        "example.com/tools@sha256:0000000000000000000000000000000000000000000000000000000000000000",
      ],
    },
    {
      buildArgs: { ALPINE: "3.20" },
      stages: ["runtime"],
      images: [
        "alpine:3.20",
        "docker/buildx-bin:0.14",
        "example.com/tools@sha256:0000000000000000000000000000000000000000000000000000000000000000",
      ],
    },
  ],
};

describe("Public multi-stage patterns: the graph for each target, platform and args", () => {
  for (const [name, expectations] of Object.entries(CASES)) {
    const file = path.join(FIXTURES, "patterns", `${name}.Dockerfile`);
    for (const e of expectations) {
      const how = [e.target ?? "final", e.platform, e.buildArgs && JSON.stringify(e.buildArgs)]
        .filter(Boolean)
        .join(", ");
      it(`${name} (${how}) builds ${e.stages.join(" → ")}`, () => {
        const { model, diagnostics } = parseDockerfile(fs.readFileSync(file, "utf8"), `${name}.Dockerfile`);
        assert.deepEqual(diagnostics, []);
        const r = resolveTarget(model, { target: e.target, platform: e.platform, buildArgs: e.buildArgs });
        assert.ok(r.found);
        assert.deepEqual(
          r.diagnostics.filter((d) => d.severity === "error"),
          [],
        );
        assert.deepEqual(r.stages.map(stageLabel), e.stages);
        assert.deepEqual(r.externalImages, e.images);
      });
    }
  }

  it("the Windows pattern keeps its backtick escape", () => {
    const { model } = parseDockerfile(
      fs.readFileSync(path.join(FIXTURES, "patterns", "windows-escape.Dockerfile"), "utf8"),
    );
    assert.equal(model.escape, "`");
  });
});
