/** The executor's pure parts: the CLI arguments for a plan, and the process runner's failures. */
import { strict as assert } from "assert";
import { type BuildPlan, planBuild } from "../../../src/plan";
import { parseDockerfile } from "../../../src/dockerfile";
import { DockerCommandError } from "../../../src/executor";
import {
  bakeTarget,
  buildArguments,
  buildxArguments,
  engineBuildArguments,
  remoteBuilder,
} from "../../../src/executor/argv";
import { runProcess } from "../../../src/executor/process";

const plan = (extra: Partial<BuildPlan> = {}): BuildPlan => ({
  ...planBuild(parseDockerfile("FROM busybox:1.36 AS build\nARG V\nFROM build AS final\n"), {
    context: "/ctx",
    environment: "production",
    gitSha: "0123456789abcdef0123456789abcdef01234567",
    buildArgs: { V: "1" },
  }),
  ...extra,
});

describe("executor arguments", () => {
  it("podman/buildah build: layers cached, OCI manifests, the closure's ignore file named, the same plan flags", () => {
    const args = engineBuildArguments(plan(), "r.example/app", "/tmp/iid", {
      secretFiles: { NPM_TOKEN: "/s/NPM_TOKEN" },
      ignoreFile: "/ctx/Dockerfile.dockerignore",
    });
    assert.deepEqual(args.slice(0, 11), [
      "build",
      "--layers",
      "--format",
      "oci",
      "--file",
      "/ctx/Dockerfile",
      "--iidfile",
      "/tmp/iid",
      "--ignorefile",
      "/ctx/Dockerfile.dockerignore",
      "--secret",
    ]);
    assert.ok(!args.includes("--progress=plain"), "buildah takes no --progress");
    assert.deepEqual(args.slice(-3), ["--tag", "r.example/app:production-0123456789ab", "/ctx"]);
  });

  it("docker build: file, target, args, secrets by file, tags in the repository, the context last", () => {
    const args = buildArguments(plan(), "r.example/app", "/tmp/iid", { secretFiles: { NPM_TOKEN: "/s/NPM_TOKEN" } });
    assert.deepEqual(args, [
      "build",
      "--progress=plain",
      "--file",
      "/ctx/Dockerfile",
      "--iidfile",
      "/tmp/iid",
      "--secret",
      "id=NPM_TOKEN,src=/s/NPM_TOKEN",
      "--target",
      "final",
      "--build-arg",
      "V=1",
      "--label",
      "org.opencontainers.image.revision=0123456789abcdef0123456789abcdef01234567",
      "--label",
      "dev.multistage.target=final",
      "--tag",
      "r.example/app:production-0123456789ab",
      "/ctx",
    ]);
  });

  it("labels, annotations and the build settings: each flag once, the buildx-only ones only to buildx", () => {
    const set = planBuild(parseDockerfile("FROM busybox:1.36 AS deps\nFROM deps AS final\n"), {
      context: "/ctx",
      environment: "production",
      gitSha: "0123456789abcdef0123456789abcdef01234567",
      builder: "farm",
      defaultLabels: false,
      labels: { "com.example.team": "payments" },
      annotations: { "org.opencontainers.image.description": "API" },
      network: "none",
      addHosts: ["db:10.0.0.5", "v6:fd00::5"],
      noCache: true,
      noCacheFilter: ["deps"],
      pull: true,
      shmSize: "64MB",
      allow: ["security.insecure"],
      ulimits: ["nofile=1024:2048"],
    });
    const shared = [
      "--label",
      "com.example.team=payments",
      "--network",
      "none",
      "--add-host",
      "db:10.0.0.5",
      "--add-host",
      "v6:fd00::5",
      "--no-cache",
      "--pull",
      "--shm-size",
      "64000000",
      "--ulimit",
      "nofile=1024:2048",
    ];
    const engine = buildArguments(
      { ...set, annotations: {}, settings: { ...set.settings, noCacheFilter: [], allow: [] } },
      "r/app",
      "/i",
    );
    const at = engine.indexOf("--label");
    assert.deepEqual(engine.slice(at, at + shared.length), shared);
    assert.ok(!engine.includes("--annotation") && !engine.includes("--no-cache-filter") && !engine.includes("--allow"));
    const buildx = buildxArguments(set, "r/app", "farm", "/m", { push: true });
    const from = buildx.indexOf("--label");
    assert.deepEqual(buildx.slice(from, from + shared.length + 6), [
      ...shared,
      "--annotation",
      "org.opencontainers.image.description=API",
      "--no-cache-filter",
      "deps",
      "--allow",
      "security.insecure",
    ]);
    // --no-cache once, whether the plan or the caller (the drift repair) asks for it.
    const twice = buildArguments(set, "r/app", "/i", { noCache: true });
    assert.equal(twice.filter((a) => a === "--no-cache").length, 1);
  });

  it("bake carries every flag buildx build gets for the same plan: a new flag without a Bake key fails here", () => {
    // A plan with every setting a build flag carries.
    const every = planBuild(
      parseDockerfile(
        "FROM busybox:1.36 AS deps\nRUN --mount=type=secret,id=TOKEN --mount=type=ssh true\nCOPY --from=shared / /s\nFROM deps AS final\n",
      ),
      {
        context: "/ctx",
        environment: "production",
        gitSha: "0123456789abcdef0123456789abcdef01234567",
        builder: "farm",
        buildArgs: { V: "1" },
        secrets: ["TOKEN"],
        ssh: [{ id: "default" }],
        contexts: { shared: "/libs/shared" },
        platforms: ["linux/amd64", "linux/arm64"],
        labels: { "com.example.team": "payments" },
        annotations: { "org.opencontainers.image.description": "API" },
        network: "none",
        addHosts: ["db:10.0.0.5"],
        noCache: true,
        noCacheFilter: ["deps"],
        pull: true,
        shmSize: "64MB",
        ulimits: ["nofile=1024:2048"],
        cacheFrom: ["type=local,src=/cache"],
        cacheTo: ["type=local,dest=/cache"],
        exports: ["type=oci,dest=/out/app.tar"],
        registryCache: true,
        reproducible: true,
        attestations: true,
      },
    );
    const buildx = buildxArguments(every, "r/app", "farm", "/m", {
      push: true,
      exportCache: true,
      secretFiles: { TOKEN: "/s/TOKEN" },
    });
    const flags = new Set(buildx.filter((a) => a.startsWith("--")).map((a) => a.split("=")[0]));
    // Each flag's Bake key (docs.docker.com/build/bake/reference/#target).
    const BAKE: Record<string, string> = {
      "--file": "dockerfile",
      "--target": "target",
      "--build-arg": "args",
      "--platform": "platforms",
      "--label": "labels",
      "--annotation": "annotations",
      "--build-context": "contexts",
      "--secret": "secret",
      "--ssh": "ssh",
      "--cache-from": "cache-from",
      "--cache-to": "cache-to",
      "--no-cache": "no-cache",
      "--no-cache-filter": "no-cache-filter",
      "--pull": "pull",
      "--network": "network",
      "--add-host": "extra-hosts",
      "--shm-size": "shm-size",
      "--ulimit": "ulimits",
      "--allow": "entitlements",
      "--output": "output",
      "--provenance": "attest",
      "--sbom": "attest",
      "--tag": "tags",
    };
    // How this run builds, not what: the builder (named in the notes), progress, where metadata goes, push or load.
    const RUN_ONLY = ["--builder", "--progress", "--metadata-file", "--push", "--load"];
    const unmapped = [...flags].filter((f) => !(f in BAKE) && !RUN_ONLY.includes(f));
    assert.deepEqual(
      unmapped,
      [],
      "flags of buildx build with no Bake key in this test's map (add it, and to bakeTarget)",
    );
    const { target, notExpressed } = bakeTarget(every, "r/app", { context: "/ctx", dockerfile: "/ctx/Dockerfile" });
    const missing = [...flags]
      .filter((f) => f in BAKE && target[BAKE[f]] === undefined)
      .map((f) => `${f} → ${BAKE[f]}`);
    assert.deepEqual(missing, [], "bake lost settings buildx build gets");
    assert.ok(flags.size >= 20, `${flags.size} flags`);
    assert.match(notExpressed.join("; "), /builder \(run bake with --builder farm\)/);
  });

  it("buildx build: the registry cache in the repository, pushed by BuildKit, or loaded when one platform", () => {
    const cached = plan({ cache: { to: "cache-final-production", from: ["cache-final-production"], mode: "max" } });
    const pushed = buildxArguments(cached, "r.example/app", "farm", "/tmp/meta", { push: true });
    assert.ok(pushed.includes("--push"));
    assert.ok(
      pushed.includes(
        "type=registry,ref=r.example/app:cache-final-production,mode=max,image-manifest=true,oci-mediatypes=true",
      ),
    );
    const local = buildxArguments(cached, "r.example/app", "farm", "/tmp/meta", { push: false });
    assert.ok(local.includes("--load") && !local.includes("--cache-to"));
  });

  it("cache entries: raw to buildx, exported with the image's build only; the engine reads a registry entry's image", () => {
    const cached = plan({
      cacheFrom: ["r.example/app:prev", "type=local,src=/c"],
      cacheTo: ["type=local,dest=/c,mode=max"],
    });
    const pushed = buildxArguments(cached, "r.example/app", "farm", "/m", { push: true });
    const pairs = (args: string[], flag: string): string[] => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));
    assert.deepEqual(pairs(pushed, "--cache-from"), ["type=registry,ref=r.example/app:prev", "type=local,src=/c"]);
    assert.deepEqual(pairs(pushed, "--cache-to"), ["type=local,dest=/c,mode=max"]);
    const gate = buildxArguments(cached, "r.example/app", "farm", "/m", { push: false });
    assert.deepEqual(pairs(gate, "--cache-to"), []);
    const engine = buildArguments(
      plan({ cacheFrom: ["type=registry,ref=r.example/app:c", "r.example/app:d"] }),
      "r",
      "/i",
    );
    assert.deepEqual(pairs(engine, "--cache-from"), ["r.example/app:c", "r.example/app:d"]);
  });

  it("reproducible: SOURCE_DATE_EPOCH, and the push rewrites every timestamp to it; none without a builder", () => {
    const made = planBuild(parseDockerfile("FROM busybox:1.36 AS final\n"), {
      context: "/ctx",
      environment: "production",
      gitSha: "0123456789ab",
      builder: "farm",
      reproducible: true,
      sourceDateEpoch: 1767225600,
    });
    const args = buildxArguments(made, "r/app", "farm", "/m", { push: true });
    assert.equal(args[args.indexOf("--build-arg") + 1], "SOURCE_DATE_EPOCH=1767225600");
    assert.equal(args[args.indexOf("--output") + 1], "type=image,push=true,rewrite-timestamp=true");
    assert.ok(!args.includes("--push"));
    const node = buildxArguments({ ...made, tags: [] }, "r/app", "farm", "/m", { push: true, pushByDigest: true });
    assert.match(node[node.indexOf("--output") + 1], /push-by-digest=true.*,rewrite-timestamp=true$/);
    assert.throws(
      () =>
        planBuild(parseDockerfile("FROM busybox:1.36 AS final\n"), {
          context: "/ctx",
          environment: "production",
          reproducible: true,
        }),
      /reproducible: needs a builder/,
    );
  });

  it("refuses a tag still holding {inputsHash}, naming it and the fix, on either builder", () => {
    const unfilled = plan({ tags: ["production-{inputsHash}"] });
    const expected =
      /plan\.tags\[0\] \("production-\{inputsHash\}"\) still holds \{inputsHash\}: fill it in before building, with withInputsHash/;
    assert.throws(() => buildArguments(unfilled, "r.example/app", "/tmp/iid"), expected);
    assert.throws(() => buildxArguments(unfilled, "r.example/app", "b", "/tmp/m", { push: true }), expected);
  });

  it("a remote builder's name depends on its endpoint and TLS files only", () => {
    const a = remoteBuilder({ endpoint: "tcp://127.0.0.1:1234" });
    assert.equal(a.name, remoteBuilder({ endpoint: "tcp://127.0.0.1:1234" }).name);
    assert.notEqual(a.name, remoteBuilder({ endpoint: "tcp://127.0.0.1:1234", tls: { caCert: "/ca.pem" } }).name);
    assert.deepEqual(a.create, ["create", "--name", a.name, "--driver", "remote", "tcp://127.0.0.1:1234"]);
  });

  it("a command that exits at once, before reading its stdin, fails with its exit code, not EPIPE", async () => {
    const err = await runProcess("/bin/false", ["login"], process.env, { stdin: "x".repeat(4 << 20) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof DockerCommandError, String(err));
    assert.equal(err.exitCode, 1);
    assert.match(err.message, /`false login` failed \(exit 1\)/);
  });
});
