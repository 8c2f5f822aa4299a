/**
 * The package as users get it: `npm pack` (which builds on prepack), installed from the
 * tarball into fresh projects of their own, one on the newest `@pulumi/pulumi` npm serves and
 * one on the oldest the peer range allows: one SDK copy in each tree, compiled against the
 * declarations with the project's own TypeScript, run under mocks, and a real `pulumi preview`
 * of the project's program through its own Automation API (the Pulumi CLI built by
 * scripts/pulumi-tools.sh). Through the root and the `./dockerfile` subpath only.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  type Consumer,
  consumerOn,
  drive,
  newestSdk,
  oldestSdk,
  packTarball,
  sdkCopies,
  writeConsumerApp,
} from "../consumer";
import { pulumiEnv, pulumiTools } from "../e2e/workspace";
import { REPO_ROOT } from "../helpers";

describe("The published package", function () {
  this.timeout(900_000);
  let work: string;
  let tarball: string;
  let files: string[];

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-pack-"));
    ({ tarball, files } = packTarball());
  });

  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it("is built on prepack and ships the compiled entry points with their declarations, the provider plugin, its schema and the Python and Go SDKs, nothing else", () => {
    for (const entry of [
      "lib/index",
      "lib/dockerfile/index",
      "lib/executor/index",
      "lib/cli/main",
      "lib/provider/main",
    ]) {
      assert.ok(files.includes(`${entry}.js`), `${entry}.js missing from ${tarball}`);
      assert.ok(files.includes(`${entry}.d.ts`), `${entry}.d.ts missing`);
    }
    assert.deepEqual(
      files
        .filter(
          (f) =>
            !f.startsWith("lib/") &&
            !f.startsWith("sdk/python/") &&
            !f.startsWith("sdk/go/") &&
            !["package.json", "README.md"].includes(f),
        )
        .sort(),
      ["bin/pulumi-resource-multistage", "schema.json"],
    );
    // The Python SDK generated from that schema, for `pip install ./node_modules/pulumi-multistage-image/sdk/python`.
    // And the Go SDK's module, for a replace of its path with ./node_modules/pulumi-multistage-image/sdk/go.
    for (const file of [
      "sdk/python/pyproject.toml",
      "sdk/python/pulumi_multistage/__init__.py",
      "sdk/go/go.mod",
      "sdk/go/go.sum",
      "sdk/go/multistage/multiStageImage.go",
    ])
      assert.ok(files.includes(file), `${file} missing from ${tarball}`);
    assert.ok(!files.some((f) => /__pycache__|\.pyc$/.test(f)), "compiled Python in the tarball");
  });

  it("ships the provider plugin as an executable, beside the schema it serves", () => {
    const dir = path.join(work, "plugin");
    fs.mkdirSync(dir);
    execFileSync("tar", ["-xzf", tarball, "-C", dir]);
    const plugin = path.join(dir, "package", "bin", "pulumi-resource-multistage");
    assert.ok(fs.statSync(plugin).mode & 0o111, "pulumi-resource-multistage is not executable in the tarball");
    const schema = JSON.parse(fs.readFileSync(path.join(dir, "package", "schema.json"), "utf8")) as { name: string };
    assert.equal(schema.name, "multistage");
  });

  it("the source plugin (provider/, for pulumi package add from git) runs this version through the exported subpath", () => {
    const plugin = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "provider", "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const own = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
      version: string;
      exports: Record<string, unknown>;
    };
    assert.equal(plugin.dependencies["pulumi-multistage-image"], own.version);
    assert.match(
      fs.readFileSync(path.join(REPO_ROOT, "provider", "index.js"), "utf8"),
      /"pulumi-multistage-image\/provider"/,
    );
    assert.ok(own.exports["./provider"], "the ./provider subpath is not exported");
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

  it("leaves @pulumi/pulumi to the program (a peer) and takes the providers in ranges", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(work, "inspect", "package", "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    assert.equal(manifest.dependencies["@pulumi/pulumi"], undefined, "an SDK of its own nests a second copy");
    assert.match(manifest.peerDependencies["@pulumi/pulumi"], /^\^3\.\d+\.\d+$/);
    for (const provider of ["@pulumi/aws", "@pulumi/docker", "@pulumi/docker-build"])
      assert.doesNotMatch(manifest.dependencies[provider], /^\d/, `${provider} is pinned exactly`);
  });

  const sdks: Array<[string, () => string]> = [
    ["the newest @pulumi/pulumi npm serves", newestSdk],
    ["the oldest @pulumi/pulumi the peer range allows", oldestSdk],
  ];
  for (const [which, version] of sdks) {
    describe(`in a program on ${which}`, () => {
      let consumer: Consumer;
      let app: string;

      before(function () {
        consumer = consumerOn(version());
        console.log(
          `      @pulumi/pulumi ${consumer.sdk}: install ${consumer.timings.install}s, compile ${consumer.timings.compile}s`,
        );
        app = writeConsumerApp(consumer, "scratch", "scratch");
      });

      it("installs with one copy of @pulumi/pulumi, the program's", () => {
        const { npmLs, onDisk, npmLsOk } = sdkCopies(consumer);
        assert.deepEqual(
          onDisk,
          [`node_modules/@pulumi/pulumi@${consumer.sdk}`],
          `copies on disk: ${onDisk.join(", ")}`,
        );
        assert.deepEqual(npmLs, [`node_modules/@pulumi/pulumi@${consumer.sdk}`]);
        assert.ok(npmLsOk, "npm ls reports a missing or invalid dependency");
      });

      it("compiles against the declarations and runs under mocks; the CLI is a bin; deep imports are closed", () => {
        const output = execFileSync(process.execPath, [path.join("out", "mocks.js"), app], {
          cwd: consumer.dir,
          encoding: "utf8",
        });
        const result = JSON.parse(output.trim().split("\n").pop() as string);
        assert.deepEqual(result, {
          stages: ["dev", "app"],
          found: true,
          imageUri: `123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:${"ab".repeat(32)}`,
          target: "production",
          tags: ["123456789012.dkr.ecr.us-east-1.amazonaws.com/app:production-0123456789ab"],
          image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:${"ab".repeat(32)}`,
        });
        // The CLI is installed as a bin, and runs without Pulumi.
        const plan = execFileSync(
          path.join(consumer.dir, "node_modules", ".bin", "multistage"),
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
              cwd: consumer.dir,
              stdio: ["ignore", "pipe", "pipe"],
            }),
          /ERR_PACKAGE_PATH_NOT_EXPORTED/,
        );
      });

      it("from plain JavaScript, a misspelt argument and a value outside an enum are refused by path, before anything exists", () => {
        const program = path.join(consumer.dir, "bad-args.js");
        fs.writeFileSync(
          program,
          `const pulumi = require("@pulumi/pulumi");
let created = 0;
pulumi.runtime.setMocks(
  { newResource: (a) => { created++; return { id: a.name, state: a.inputs }; }, call: () => ({}) },
  "app", "production", false,
);
const { MultiStageImage } = require("pulumi-multistage-image");
try {
  new MultiStageImage("app", {
    context: process.argv[2],
    buildArg: { APP_VERSION: "1" },
    repository: { imageTagMutability: "mutable" },
    gitSha: "0123456789abcdef0123456789abcdef01234567",
  });
  console.log(JSON.stringify({ refused: false }));
} catch (err) {
  console.log(JSON.stringify({ refused: true, paths: err.errors.map((e) => e.propertyPath), message: err.message, created }));
}
`,
        );
        const output = execFileSync(process.execPath, [program, app], { cwd: consumer.dir, encoding: "utf8" });
        const result = JSON.parse(output.trim().split("\n").pop() as string);
        assert.equal(result.refused, true);
        assert.deepEqual(result.paths.sort(), ["buildArg", "repository.imageTagMutability"]);
        assert.match(result.message, /Did you mean "buildArgs"/);
        assert.match(result.message, /"mutable" is not one of "MUTABLE", "IMMUTABLE"\. Did you mean "MUTABLE"\?/);
        assert.equal(result.created, 0, "nothing may be created");
      });

      it("a real pulumi preview of the program registers the component and its image", function () {
        const tools = pulumiTools();
        if ("reason" in tools) {
          console.log(`    SKIPPED (package): ${tools.reason}`);
          this.skip();
        }
        const root = fs.mkdtempSync(path.join(work, "state-"));
        const env = { ...process.env, ...pulumiEnv(tools.bin, root, "package-passphrase") } as Record<string, string>;
        const preview = drive(consumer, env, "production", "preview", {
          context: { value: app },
          repository: { value: "127.0.0.1:5055/multistage-package/app" },
        });
        console.log(
          `      preview on @pulumi/pulumi ${consumer.sdk}: ${preview.seconds}s, ${JSON.stringify(preview.changeSummary)}`,
        );
        assert.deepEqual(preview.changeSummary, { create: 3 });
        assert.match(preview.stdout ?? "", /multistage:index:MultiStageImage\s+app\s+create/);
        assert.match(preview.stdout ?? "", /DockerCliImage\s+app-image\s+create/);
        assert.match(preview.stdout ?? "", /target\s*: "production"/);
      });
    });
  }
});
