import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main, registryAccess, verifyVerdict } from "../../../src/cli/main";
import { REPO_ROOT } from "../../helpers";

/** Run the CLI in `cwd`; its exit code and what it printed. */
async function run(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, {
    out: (t) => (out += t),
    err: (t) => (err += t),
    cwd,
    env: { ...process.env, MULTISTAGE_GIT_SHA: "c0ffee0000000000000000000000000000000001" },
  });
  return { code, out, err };
}

const PHP = path.join(REPO_ROOT, "examples", "php-laravel", "app");
const NODE = path.join(REPO_ROOT, "examples", "node-service", "app");
const GO = path.join(REPO_ROOT, "examples", "go-service", "app");

describe("the multistage CLI", () => {
  it("plan: the environment's target, closure, test gate, what it reads and its inputs hash", async () => {
    const { code, out } = await run(PHP, "plan", "--env", "production", "--build-arg", "APP_VERSION=1.0.0");
    assert.equal(code, 0);
    const line = (key: string): string =>
      out
        .split("\n")
        .find((l) => l.startsWith(key))
        ?.slice(13) ?? "";
    assert.equal(line("environment"), "production (production)");
    assert.equal(line("target"), "production (the final stage)");
    assert.equal(line("stages"), "composer-build → production   (skipped: dev, test)");
    assert.equal(line("test gate"), "test");
    assert.equal(line("tags"), "production-c0ffee000000");
    assert.equal(line("reads"), "app, composer.json, composer.lock, packages, public, routes");
    assert.match(line("inputs"), /^sha256:[0-9a-f]{64}$/);
    const dev = await run(PHP, "plan", "-e", "dev");
    assert.match(dev.out, /^target {7}dev$/m);
  });

  it("plan says when the closure reads the whole context, and why; --json gives the plan and the inputs", async () => {
    const { out } = await run(NODE, "plan", "-e", "production");
    assert.match(
      out,
      /^reads {8}the whole context: COPY \. \. \(stage "builder", line 21\)\. Copy only what this stage needs/m,
    );
    const json = JSON.parse((await run(NODE, "plan", "-e", "production", "--json")).out) as {
      plan: { targetStage: string; closure: { wholeContext: { stage: string } } };
      inputs: { hash: string; files: string[] };
    };
    assert.equal(json.plan.targetStage, "production");
    assert.equal(json.plan.closure.wholeContext.stage, "builder");
    assert.ok(json.inputs.files.includes("src/server.js"));
  });

  it("plan errors exit 1 with the property and the fix; usage errors exit 2 with the command's help", async () => {
    const bad = await run(PHP, "plan", "--env", "dev", "--target", "nope");
    assert.equal(bad.code, 1);
    assert.match(bad.err, /target "nope" is not a stage of this Dockerfile/);
    const usage = await run(PHP, "plan", "--frobnicate");
    assert.equal(usage.code, 2);
    assert.match(usage.err, /Unknown option '--frobnicate'/);
    assert.match(usage.err, /Usage: multistage plan/);
    assert.equal((await run(PHP, "launch")).code, 2);
    assert.equal((await run(PHP)).code, 2);
    const helped = await run(PHP, "--help");
    assert.equal(helped.code, 0);
    assert.match(helped.out, /Commands:\n {2}plan/);
    for (const command of ["plan", "graph", "lint", "why", "bake", "build"]) {
      const h = await run(PHP, command, "--help");
      assert.equal(h.code, 0, command);
      assert.match(h.out, new RegExp(`^Usage: multistage ${command}`), command);
    }
  });

  it("graph: Mermaid with the target's closure highlighted, or DOT", async () => {
    const mermaid = (await run(PHP, "graph", "-e", "production")).out;
    assert.match(mermaid, /^flowchart LR$/m);
    assert.match(mermaid, /^ {2}s3\["production \(target\)"\]$/m);
    assert.match(mermaid, /^ {2}s0 -->\|COPY --from\| s3$/m);
    assert.match(mermaid, /^ {2}class s0,s3 closure$/m);
    const dot = (await run(PHP, "graph", "-e", "dev", "--format", "dot")).out;
    assert.match(dot, /^digraph stages \{/);
    assert.match(dot, /s1 \[shape=box, label="dev", style="bold,filled"/);
    assert.match(dot, /s3 \[shape=box, label="production"\];/);
    assert.equal((await run(PHP, "graph", "--format", "svg")).code, 2);
  });

  it("lint: findings with rule, line, stage and fix; production fails on errors, other environments report them", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-cli-lint-"));
    try {
      fs.writeFileSync(
        path.join(dir, "Dockerfile"),
        fs.readFileSync(path.join(REPO_ROOT, "test/fixtures/seeds/003-go.Dockerfile")),
      );
      const prod = await run(dir, "lint", "-e", "production");
      assert.equal(prod.code, 1);
      assert.match(prod.out, /^Dockerfile:8: error unpinned-base \(stage "#1"\): FROM alpine:latest is tagged latest/m);
      assert.match(prod.out, /^ {2}fix: Pin a version \(FROM alpine:<version>\)/m);
      assert.match(prod.out, /^Dockerfile:5: warning copy-whole-context \(stage "builder"\)/m);
      assert.match(prod.out, /missing-dockerignore/);
      assert.match(prod.out, /^4 finding\(s\): 1 error\(s\), 3 warning\(s\)$/m);
      const dev = await run(dir, "lint", "-e", "dev", "--target", "builder");
      assert.equal(dev.code, 0);
      const demoted = await run(dir, "lint", "-e", "production", "--severity", "unpinned-base=warning");
      assert.equal(demoted.code, 0);
      const strict = await run(
        dir,
        "lint",
        "-e",
        "production",
        "--severity",
        "unpinned-base=off",
        "--fail-on",
        "warning",
      );
      assert.equal(strict.code, 1);
      const json = JSON.parse((await run(dir, "lint", "--json", "-e", "dev", "--target", "builder")).out) as Array<{
        rule: string;
      }>;
      assert.ok(json.some((f) => f.rule === "unpinned-base"));
      assert.equal((await run(dir, "lint", "--severity", "no-such-rule=off")).code, 2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const clean = await run(GO, "lint", "-e", "production");
    assert.equal(clean.code, 0);
    assert.match(clean.out, /^0 finding\(s\)/m);
  });

  it("bake: one target per environment, with tags in the repository and the registry cache", async () => {
    const { code, out } = await run(
      GO,
      "bake",
      "-e",
      "dev",
      "-e",
      "production",
      "--repository",
      "registry.example.com/go",
      "--build-arg",
      "APP_VERSION=1.0.0",
    );
    assert.equal(code, 0);
    const bake = JSON.parse(out) as {
      group: { default: { targets: string[] } };
      target: Record<
        string,
        { context: string; dockerfile: string; target: string; args: Record<string, string>; tags: string[] }
      >;
    };
    assert.deepEqual(bake.group.default.targets, ["dev", "production"]);
    assert.deepEqual(bake.target.dev, {
      context: ".",
      dockerfile: "Dockerfile",
      target: "builder",
      args: { APP_VERSION: "1.0.0" },
      // The labels the builders get too (they were left out of the Bake file before).
      labels: {
        "dev.multistage.target": "builder",
        "org.opencontainers.image.revision": "c0ffee0000000000000000000000000000000001",
      },
      tags: ["registry.example.com/go:dev-c0ffee000000"],
    });
    assert.equal(bake.target.production.target, "production");
  });

  it("bake carries every setting the builders get, from the same plan; the steps around a build are named", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-cli-bake-"));
    fs.writeFileSync(path.join(dir, "base.txt"), "x");
    const config = {
      dockerfileInline: "FROM busybox:1.36 AS app\nRUN --mount=type=ssh true\nCOPY --from=assets /a /a\n",
      builder: "multistage",
      labels: { "com.example.team": "web" },
      annotations: { "org.opencontainers.image.description": "an app" },
      cacheFrom: ["type=local,src=/tmp/cache"],
      cacheTo: ["type=local,dest=/tmp/cache,mode=max"],
      contexts: { assets: "docker-image://busybox:1.36" },
      exports: ["type=local,dest=out"],
      ssh: [{ id: "default" }],
      network: "none",
      addHosts: ["db.internal:10.0.0.5"],
      noCacheFilter: ["app"],
      pull: true,
      shmSize: "128MB",
      ulimits: ["nofile=1024:2048"],
      reproducible: true,
      attestations: { provenance: "max", sbom: true, store: "index" },
      environments: { dev: { target: "app", releaseGate: { command: "true" }, allowUnpinnedBaseImages: true } },
    };
    fs.writeFileSync(path.join(dir, "multistage.json"), JSON.stringify(config));
    const { code, out, err } = await run(dir, "bake", "--config", "multistage.json", "-e", "dev");
    assert.equal(code, 0, err);
    const dev = (JSON.parse(out) as { target: Record<string, Record<string, unknown>> }).target.dev;
    assert.equal(dev["dockerfile-inline"], config.dockerfileInline, "the inline text, not a temporary path");
    assert.equal(dev.dockerfile, undefined);
    assert.equal((dev.labels as Record<string, string>)["com.example.team"], "web");
    assert.deepEqual(dev.annotations, ["org.opencontainers.image.description=an app"]);
    assert.deepEqual(dev["cache-from"], ["type=local,src=/tmp/cache"]);
    assert.deepEqual(dev["cache-to"], ["type=local,dest=/tmp/cache,mode=max"]);
    assert.deepEqual(dev.contexts, { assets: "docker-image://busybox:1.36" });
    assert.deepEqual(dev.ssh, ["default"]);
    assert.equal((dev.output as string[])[0], "type=image,rewrite-timestamp=true");
    assert.match((dev.output as string[])[1], /^type=local,dest=\S*out$/);
    assert.deepEqual(dev.attest, ["type=provenance,mode=max", "type=sbom"]);
    assert.equal(dev.network, "none");
    assert.deepEqual(dev["extra-hosts"], { "db.internal": "10.0.0.5" });
    assert.deepEqual(dev["no-cache-filter"], ["app"]);
    assert.equal(dev.pull, true);
    assert.equal(dev["shm-size"], "128000000");
    assert.deepEqual(dev.ulimits, ["nofile=1024:2048"]);
    assert.match(String((dev.args as Record<string, string>).SOURCE_DATE_EPOCH), /^\d+$/);
    assert.match(
      err,
      /note: bake builds the image; these run only in pulumi up and multistage build: builder \(run bake with --builder multistage\); environments\.dev\.releaseGate \(after the push\)/,
    );
  });

  it("why: whether an environment rebuilds since a git revision, and through which file", async () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-cli-why-"));
    const git = (...args: string[]): string =>
      execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], {
        cwd: repo,
        encoding: "utf8",
      });
    try {
      fs.cpSync(PHP, path.join(repo, "php"), { recursive: true });
      fs.writeFileSync(path.join(repo, "README.md"), "# repo\n");
      git("init", "-q");
      git("add", "-A");
      git("commit", "-qm", "first");
      const app = path.join(repo, "php");
      const none = await run(app, "why", "-e", "production");
      assert.equal(none.code, 0);
      assert.match(none.out, /^production: does not rebuild production \(since HEAD\)$/m);
      fs.appendFileSync(path.join(repo, "README.md"), "more\n");
      fs.appendFileSync(path.join(app, "tests", "HelloTest.php"), "\n// more\n");
      assert.match((await run(app, "why", "-e", "production")).out, /does not rebuild production/);
      const dev = await run(app, "why", "-e", "dev");
      assert.match(dev.out, /^dev: rebuilds dev \(since HEAD\)\n {2}stage "dev": tests\/HelloTest\.php changed$/m);
      fs.appendFileSync(path.join(app, "routes", "web.php"), "\n// more\n");
      const prod = JSON.parse((await run(app, "why", "-e", "production", "--json")).out) as {
        rebuild: boolean;
        causes: Array<{ stage: string; detail: string }>;
      };
      assert.equal(prod.rebuild, true);
      assert.deepEqual(prod.causes, [{ stage: "production", kind: "file", detail: "routes/web.php changed" }]);
      assert.equal((await run(app, "why")).code, 2, "--env is required");
      assert.equal((await run(app, "why", "-e", "dev", "--since", "no-such-ref")).code, 2);
    } finally {
      fs.rmSync(repo, { recursive: true, force: true });
    }
  });

  it("build logs in to the repository's registry: Docker Hub for acme/api, the host otherwise", () => {
    const env = { MULTISTAGE_REGISTRY_USER: "ci", MULTISTAGE_REGISTRY_PASSWORD: "pw" };
    assert.deepEqual(registryAccess("acme/api", env), { server: "docker.io", username: "ci", password: "pw" });
    assert.equal(registryAccess("ghcr.io/acme/api", env).server, "ghcr.io");
    assert.equal(registryAccess("127.0.0.1:5055/team/api", env).server, "127.0.0.1:5055");
    assert.equal(registryAccess("localhost/api", env).server, "localhost");
    assert.deepEqual(registryAccess("acme/api", {}), { server: "docker.io" });
    // One without the other is refused, not dropped (the push would go out anonymous).
    assert.throws(
      () => registryAccess("acme/api", { MULTISTAGE_REGISTRY_PASSWORD: "pw" }),
      /MULTISTAGE_REGISTRY_PASSWORD is set but MULTISTAGE_REGISTRY_USER is not: they go together/,
    );
    assert.throws(() => registryAccess("acme/api", { MULTISTAGE_REGISTRY_USER: "ci" }), /_PASSWORD is not/);
  });

  it("--repository and MULTISTAGE_GIT_SHA are checked as the component's registry.repository and gitSha are", async () => {
    for (const bad of ["ghcr.io/acme/api:latest", "ghcr.io/Acme/API", "ghcr.io/acme/api@sha256:" + "a".repeat(64)]) {
      const bake = await run(PHP, "bake", "-e", "dev", "--repository", bad);
      assert.equal(bake.code, 2, bad);
      assert.match(bake.err, /--repository ".*" (has a tag or digest|is not a valid repository)/);
      const build = await run(PHP, "build", "-e", "dev", "--push", "--repository", bad);
      assert.equal(build.code, 2, bad);
    }
    let err = "";
    const code = await main(["plan", "-e", "dev"], {
      out: () => undefined,
      err: (t) => (err += t),
      cwd: PHP,
      env: { ...process.env, MULTISTAGE_GIT_SHA: "main branch" },
    });
    assert.equal(code, 2);
    assert.match(err, /MULTISTAGE_GIT_SHA="main branch" is not a commit \(7 to 64 hexadecimal digits\)/);
  });

  it("--config: reads every plan field of the component's args, and refuses an unknown field or a non-object by name", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-config-"));
    const write = (config: unknown): string => {
      const file = path.join(dir, "multistage.json");
      fs.writeFileSync(file, JSON.stringify(config));
      return file;
    };
    try {
      const config = write({
        context: NODE,
        platform: "linux/arm64",
        movingTags: ["latest"],
        version: "2.1.0",
        tagStrategy: "v{version}",
      });
      const json = JSON.parse((await run(dir, "plan", "-e", "production", "--json", "--config", config)).out) as {
        plan: { platforms: string[]; tags: string[] };
      };
      // platform, movingTags and version were dropped before: the tags were production-<sha>.
      assert.deepEqual(json.plan.platforms, ["linux/arm64"]);
      assert.deepEqual(json.plan.tags, ["v2.1.0", "latest"]);
      const typo = await run(dir, "plan", "-e", "production", "--config", write({ context: NODE, enviroments: {} }));
      assert.equal(typo.code, 2);
      assert.match(
        typo.err,
        /--config \S*multistage\.json: enviroments: is not an argument that decides the plan\. Did you mean "environments"\? The plan arguments: context, /,
      );
      // Each field's type, by the component's own check: a TypeError before.
      const wrong = await run(
        dir,
        "plan",
        "--config",
        write({ context: NODE, tags: "x", environments: { dev: { target: 3 } }, lint: [] }),
      );
      assert.equal(wrong.code, 2);
      assert.match(wrong.err, /tags: must be a list of strings, got "x"/);
      assert.match(wrong.err, /environments\.dev\.target: must be a string, got 3/);
      assert.match(wrong.err, /lint: must be an object/);
      const lintTypo = await run(dir, "plan", "--config", write({ context: NODE, lint: { severity: {} } }));
      assert.equal(lintTypo.code, 2);
      assert.match(lintTypo.err, /lint\.severity: is not a field of lint/);
      // gitSha is a plan arg too: the config's wins over the one found in git.
      const sha = JSON.parse(
        (
          await run(
            dir,
            "plan",
            "-e",
            "production",
            "--json",
            "--config",
            write({ context: NODE, gitSha: "abcdef1234567" }),
          )
        ).out,
      ) as { plan: { tags: string[] } };
      assert.deepEqual(sha.plan.tags, ["production-abcdef123456"]);
      const nothing = await run(dir, "plan", "--config", write(null));
      assert.equal(nothing.code, 2);
      assert.match(nothing.err, /must hold a JSON object of the component's args, got null/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--config: dockerfileInline is planned from its text, refused beside a path; a Git context holding a token is refused", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-source-"));
    const write = (config: unknown): string => {
      const file = path.join(dir, "multistage.json");
      fs.writeFileSync(file, JSON.stringify(config));
      return file;
    };
    try {
      const inline = "FROM busybox:1.36 AS build\nFROM busybox:1.36 AS final\n";
      const planned = await run(
        dir,
        "plan",
        "-e",
        "production",
        "--json",
        "--config",
        write({ dockerfileInline: inline }),
      );
      assert.equal(planned.code, 0, planned.err);
      const { plan } = JSON.parse(planned.out) as { plan: { dockerfile: string; targetStage: string } };
      assert.equal(fs.readFileSync(plan.dockerfile, "utf8"), inline);
      assert.equal(plan.targetStage, "final");
      const both = await run(dir, "plan", "--config", write({ dockerfileInline: inline, dockerfile: "Dockerfile" }));
      assert.equal(both.code, 2);
      assert.match(both.err, /dockerfileInline: is set together with dockerfile/);
      const token = await run(dir, "plan", "--context", "https://ci:ghp_s3cret@github.com/example/app.git#main");
      assert.equal(token.code, 2);
      assert.match(token.err, /context: holds a password or token in its URL/);
      assert.ok(!token.err.includes("ghp_s3cret"), "the token is not repeated");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lint reads the Dockerfile through the component's checks: a FIFO, a device, garbage or comments only fail at once", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-lint-"));
    const dockerfile = path.join(dir, "Dockerfile");
    try {
      execFileSync("mkfifo", [dockerfile]);
      const started = Date.now();
      const fifo = await run(dir, "lint");
      assert.equal(fifo.code, 1);
      assert.match(fifo.err, /the Dockerfile is not a regular file/);
      assert.ok(Date.now() - started < 5000, "a FIFO must not hang lint");
      fs.rmSync(dockerfile);
      fs.symlinkSync("/dev/zero", dockerfile);
      assert.match((await run(dir, "lint")).err, /not a regular file/);
      fs.rmSync(dockerfile);
      fs.writeFileSync(dockerfile, "# nothing but comments\n");
      const comments = await run(dir, "lint");
      assert.equal(comments.code, 1);
      assert.match(comments.err, /has no instructions/);
      fs.writeFileSync(dockerfile, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x0a, 0x00, 0xff, 0x0a]));
      assert.equal((await run(dir, "lint")).code, 1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("-e with a misspelt environment is a usage error naming the closest, not a silent staging plan", async () => {
    const typo = await run(NODE, "plan", "-e", "prodution");
    assert.equal(typo.code, 2);
    assert.match(typo.err, /-e prodution: .*would be planned as staging\. Did you mean "production"/);
    assert.equal((await run(NODE, "plan", "-e", "qa")).code, 0, "a name close to no kind is planned as staging");
  });
});

describe("multistage verify: usage", () => {
  it("needs an environment and one image reference with a registry and a tag or digest", async () => {
    const noEnv = await run(PHP, "verify", "127.0.0.1:5055/app:v1");
    assert.equal(noEnv.code, 2);
    assert.match(noEnv.err, /verify needs --env <environment>/);
    const noRef = await run(PHP, "verify", "-e", "production");
    assert.equal(noRef.code, 2);
    assert.match(noRef.err, /verify needs one image reference/);
    const bare = await run(PHP, "verify", "-e", "production", "app");
    assert.equal(bare.code, 2);
    assert.match(bare.err, /app: not an image reference with a registry and a tag or digest/);
  });

  it("refuses a --key that is not a public key by its position, before asking any registry", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-verify-key-"));
    fs.writeFileSync(path.join(dir, "cosign.key"), "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nx\n");
    const wrong = await run(
      PHP,
      "verify",
      "-e",
      "production",
      "--key",
      path.join(dir, "cosign.key"),
      "127.0.0.1:1/app:v1",
    );
    assert.equal(wrong.code, 2);
    assert.match(wrong.err, /--key\[0\]: \S*cosign\.key: the file holds a private key/);
    assert.doesNotMatch(wrong.err, /ENCRYPTED SIGSTORE/);
    const missing = await run(
      PHP,
      "verify",
      "-e",
      "production",
      "--key",
      path.join(dir, "nope.pub"),
      "127.0.0.1:1/app:v1",
    );
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--key\[0\]: \S*nope\.pub: the public key file does not exist/);
  });
});

describe("multistage verify's verdict", () => {
  const check = (name: "signature" | "inputs tag" | "reproducible", result: "yes" | "no" | "not checked") => ({
    check: name,
    result,
    detail: "",
  });
  it("a ✘ on any check is never 'verified' (a signed image whose inputs tag or reproducibility differs)", () => {
    assert.equal(
      verifyVerdict([check("signature", "yes"), check("inputs tag", "no"), check("reproducible", "not checked")]),
      false,
    );
    assert.equal(
      verifyVerdict([check("signature", "yes"), check("inputs tag", "yes"), check("reproducible", "no")]),
      false,
    );
  });
  it("verified: a trusted signature with nothing against it, or (no key) the inputs tag", () => {
    assert.equal(
      verifyVerdict([check("signature", "yes"), check("inputs tag", "yes"), check("reproducible", "not checked")]),
      true,
    );
    assert.equal(
      verifyVerdict([check("signature", "not checked"), check("inputs tag", "yes"), check("reproducible", "yes")]),
      true,
    );
    assert.equal(
      verifyVerdict([
        check("signature", "not checked"),
        check("inputs tag", "not checked"),
        check("reproducible", "not checked"),
      ]),
      false,
    );
  });
});
