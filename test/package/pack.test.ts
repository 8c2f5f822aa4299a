/**
 * The package as users get it: `npm pack` (which builds on prepack), installed from the
 * tarball into a fresh project, compiled against its declarations and run under mocks,
 * through the root and the `./dockerfile` subpath only.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../helpers";

const TSC = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");

const PROGRAM = `
import * as pulumi from "@pulumi/pulumi";
import { MultiStageImage, type MultiStageImageArgs, toKubernetesContainer } from "pulumi-multistage-image";
import { parseDockerfile, resolveTarget, stageNames } from "pulumi-multistage-image/dockerfile";

pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      const state: Record<string, unknown> = { ...args.inputs };
      if (args.type === "aws:ecr/repository:Repository") state.repositoryUrl = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app";
      if (args.type === "docker-build:index:Image") state.digest = "sha256:" + "ab".repeat(32);
      return { id: args.name + "-id", state };
    },
    call: (args) => (args.token.endsWith("getAuthorizationToken") ? { userName: "AWS", password: "p" } : args.inputs),
  },
  "packed",
  "production",
  false,
);

const { model } = parseDockerfile("FROM busybox:1.36 AS dev\\nFROM busybox:1.36 AS app\\n");
const resolution = resolveTarget(model, { target: "dev" });
const args: MultiStageImageArgs = { context: process.argv[2], gitSha: "0123456789abcdef0123456789abcdef01234567" };
const image = new MultiStageImage("app", args);
pulumi
  .all([image.imageUri, image.target, image.tags, toKubernetesContainer(image, { name: "app" })])
  .apply(([imageUri, target, tags, container]) => {
    console.log(JSON.stringify({ stages: stageNames(model), found: resolution.found, imageUri, target, tags, image: container.image }));
  });
`;

describe("The published package", function () {
  this.timeout(600000);
  let work: string;
  let tarball: string;
  let files: string[];

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-pack-"));
    const out = execFileSync("npm", ["pack", "--json", "--pack-destination", work], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const [packed] = JSON.parse(out.slice(out.indexOf("["))) as Array<{ filename: string; files: { path: string }[] }>;
    tarball = path.join(work, packed.filename);
    files = packed.files.map((f) => f.path);
  });

  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it("is built on prepack and ships the compiled entry points with their declarations, nothing else", () => {
    for (const entry of ["lib/index", "lib/dockerfile/index", "lib/executor/index", "lib/cli/main"]) {
      assert.ok(files.includes(`${entry}.js`), `${entry}.js missing from ${tarball}`);
      assert.ok(files.includes(`${entry}.d.ts`), `${entry}.d.ts missing`);
    }
    assert.deepEqual(
      files.filter((f) => !f.startsWith("lib/") && !["package.json", "README.md"].includes(f)),
      [],
    );
  });

  it("strips internals from the declarations", () => {
    const dir = path.join(work, "inspect");
    fs.mkdirSync(dir);
    execFileSync("tar", ["-xzf", tarball, "-C", dir]);
    const images = fs.readFileSync(path.join(dir, "package", "lib", "component", "images.d.ts"), "utf8");
    assert.doesNotMatch(images, /planImages|PlannedImage/);
    const index = fs.readFileSync(path.join(dir, "package", "lib", "index.d.ts"), "utf8");
    assert.match(index, /MultiStageImage/);
  });

  it("installs into a fresh project, compiles against its types and runs under mocks; deep imports are closed", () => {
    const project = path.join(work, "consumer");
    const app = path.join(project, "app");
    fs.mkdirSync(app, { recursive: true });
    fs.writeFileSync(path.join(app, "Dockerfile"), "FROM busybox:1.36 AS dev\nFROM busybox:1.36 AS app\n");
    fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "consumer", private: true }));
    execFileSync(
      "npm",
      ["install", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund", "--no-package-lock", tarball],
      { cwd: project, stdio: ["ignore", "pipe", "pipe"] },
    );
    fs.writeFileSync(path.join(project, "index.ts"), PROGRAM);
    fs.writeFileSync(
      path.join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "commonjs",
          strict: true,
          esModuleInterop: true,
          skipLibCheck: true,
          typeRoots: [path.join(REPO_ROOT, "node_modules", "@types")],
          types: ["node"],
          outDir: "out",
        },
        files: ["index.ts"],
      }),
    );
    execFileSync(process.execPath, [TSC, "-p", "."], { cwd: project, stdio: ["ignore", "pipe", "pipe"] });
    const output = execFileSync(process.execPath, [path.join("out", "index.js"), app], {
      cwd: project,
      encoding: "utf8",
    });
    const result = JSON.parse(output.trim().split("\n").pop() as string);
    assert.deepEqual(result, {
      stages: ["dev", "app"],
      found: true,
      imageUri: `123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:${"ab".repeat(32)}`,
      target: "app",
      tags: ["123456789012.dkr.ecr.us-east-1.amazonaws.com/app:production-0123456789ab"],
      image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:${"ab".repeat(32)}`,
    });
    // The CLI is installed as a bin, and runs without Pulumi.
    const plan = execFileSync(
      path.join(project, "node_modules", ".bin", "multistage"),
      ["plan", "-e", "dev", "--json"],
      {
        cwd: app,
        encoding: "utf8",
        env: { ...process.env, MULTISTAGE_GIT_SHA: "0123456789abcdef0123456789abcdef01234567" },
      },
    );
    assert.equal((JSON.parse(plan) as { plan: { targetStage: string } }).plan.targetStage, "dev");
    assert.throws(
      () =>
        execFileSync(process.execPath, ["-e", 'require("pulumi-multistage-image/lib/component/images")'], {
          cwd: project,
          stdio: ["ignore", "pipe", "pipe"],
        }),
      /ERR_PACKAGE_PATH_NOT_EXPORTED/,
    );
  });
});
