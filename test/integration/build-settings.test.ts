/**
 * Labels, annotations and the build settings through real builders: the Docker engine's own
 * (labels, hosts, network) and the standalone BuildKit (annotations, shm size, ulimits, the
 * no-cache filter too), read back from the image config, the registry and RUN's own output; and a
 * local cache directory exported and read back.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { type BuildPlanOptions, planBuildFromFiles } from "../../src";
import { checkoutGitContext, detectSourceUrl, inlineDockerfile, parseGitContext } from "../../src/context";
import { startGitServer } from "../git-server";
import { getBlob, getManifest } from "../../src/registry";
import { type Builder, type Engine, requireBuilder, requireEngine } from "./engine";

const RUN = Date.now().toString(36);
const SHA = "0123456789abcdef0123456789abcdef01234567";
// RUN prints what it was given: the open-files limit, /dev/shm's size in kB, the hosts entry and
// how many network interfaces it sees (lo only: 3 lines of /proc/net/dev).
const DOCKERFILE = `FROM multistage-local/busybox:1 AS deps
RUN echo deps-built-$(cat /proc/sys/kernel/random/uuid) > /deps
FROM deps AS final
RUN echo "nofile=$(ulimit -n) shm=$(df -k /dev/shm | tail -1 | awk '{print $2}') host=$(grep -c db.internal /etc/hosts) ifaces=$(wc -l < /proc/net/dev)"
`;

/** RUN's line from a plain-progress log: `nofile=… shm=… host=… ifaces=…`. */
function reported(log: string): Record<string, string> {
  const line = log.split("\n").find((l) => /nofile=\d+ shm=/.test(l) && !l.includes("RUN echo"));
  assert.ok(line, `RUN's line is not in the log:\n${log.slice(-2000)}`);
  return Object.fromEntries([...line.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
}

/** Whether the deps stage's RUN was built or taken from a cache, read from a plain-progress log. */
function depsStatus(log: string): "built" | "cached" {
  const id = /^#(\d+) \[deps \d\/\d\] RUN echo deps-built/m.exec(log)?.[1];
  assert.ok(id, `no deps step in:\n${log.slice(-1500)}`);
  return new RegExp(`^#${id} CACHED`, "m").test(log) ? "cached" : "built";
}

describe("Integration: labels, annotations and build settings reach the image", function () {
  this.timeout(600_000);
  let engine: Engine;
  let app: string;
  const planOf = (extra: Partial<BuildPlanOptions>): ReturnType<typeof planBuildFromFiles> =>
    planBuildFromFiles({
      context: app,
      environment: "production",
      gitSha: SHA,
      version: "2.1.0",
      sourceUrl: "https://github.com/example/app",
      testStage: false,
      labels: { "com.example.team": "payments" },
      ...extra,
    });

  before(function () {
    engine = requireEngine(this);
    app = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-settings-"));
    fs.writeFileSync(path.join(app, "Dockerfile"), DOCKERFILE);
  });
  after(() => app && fs.rmSync(app, { recursive: true, force: true }));

  it("the Docker engine's builder: the labels in the image config, hosts and network in RUN", async () => {
    const plan = planOf({ network: "none", addHosts: ["db.internal:10.0.0.5"], noCache: true });
    const repository = `multistage-tests/settings-engine-${RUN}`;
    const built = await engine.executor.build(plan, repository);
    const run = reported(built.log);
    assert.equal(run.host, "1", "the added host is in /etc/hosts");
    assert.equal(run.ifaces, "3", "network none: only lo");
    const labels = JSON.parse(
      execFileSync(
        engine.env.MULTISTAGE_DOCKER_CLI ?? "docker",
        ["image", "inspect", "--format", "{{json .Config.Labels}}", built.imageId],
        {
          env: engine.env,
        },
      ).toString(),
    ) as Record<string, string>;
    assert.deepEqual(labels, {
      "com.example.team": "payments",
      "dev.multistage.target": "final",
      "org.opencontainers.image.revision": SHA,
      "org.opencontainers.image.source": "https://github.com/example/app",
      "org.opencontainers.image.version": "2.1.0",
    });
    // Without the settings, RUN sees the network and no such host: the flags did it.
    const plain = reported((await engine.executor.build(planOf({ noCache: true }), repository)).log);
    assert.equal(plain.host, "0");
    assert.notEqual(plain.ifaces, "3");
  });

  it("an inline Dockerfile (dockerfileInline) builds like a file", async () => {
    const text = "FROM multistage-local/busybox:1 AS final\nRUN echo inline > /inline\n";
    const plan = planOf({ dockerfile: inlineDockerfile(text), noCache: true });
    assert.equal(fs.readFileSync(plan.dockerfile, "utf8"), text);
    const built = await engine.executor.build(plan, `multistage-tests/settings-inline-${RUN}`);
    assert.ok(built.log.includes("RUN echo inline > /inline"), "the inline text's RUN ran");
    const files = await engine.executor.listFiles(built.imageId);
    assert.ok(files.includes("/inline"), "the inline RUN's file is in the image");
  });

  it("a Git context: fetched over git:// at its branch's commit, built by the engine, the commit in the labels", async () => {
    const server = await startGitServer({
      "services/api/Dockerfile": "FROM multistage-local/busybox:1 AS final\nCOPY hello.txt /hello.txt\n",
      "services/api/hello.txt": "from git\n",
    });
    try {
      const checkout = checkoutGitContext(parseGitContext(`${server.url}#main:services/api`));
      // As the component plans it: the commit, and the source found in the checkout.
      const plan = planBuildFromFiles({
        context: checkout.directory,
        environment: "dev",
        gitSha: checkout.commit,
        sourceUrl: detectSourceUrl(checkout.directory, {}),
        target: "final",
      });
      const built = await engine.executor.build(plan, `multistage-tests/settings-git-${RUN}`);
      assert.ok((await engine.executor.listFiles(built.imageId)).includes("/hello.txt"));
      const inspected = await engine.executor.inspect(built.imageId);
      assert.equal(inspected.Config.Labels?.["org.opencontainers.image.revision"], checkout.commit);
      assert.match(inspected.Config.Labels?.["org.opencontainers.image.source"] ?? "", /^https:\/\/127\.0\.0\.1\/app$/);
    } finally {
      server.stop();
    }
  });

  describe("a standalone BuildKit builder", () => {
    let builder: Builder;
    before(async function () {
      builder = requireBuilder(this);
      await builder.executor.login(engine.registry);
    });

    it("annotations on the pushed manifest, labels in its config; shm size, ulimits and hosts in RUN", async () => {
      const repositoryPath = `multistage-tests/settings-${RUN}`;
      const plan = planOf({
        builder: builder.name,
        registryCache: false,
        annotations: { "org.opencontainers.image.description": "The checkout API" },
        shmSize: "128MB",
        ulimits: ["nofile=1024:2048"],
        addHosts: ["db.internal:10.0.0.5"],
        noCache: true,
      });
      const built = await builder.executor.buildWithBuilder(plan, `${engine.registry.server}/${repositoryPath}`, {
        push: true,
      });
      const run = reported(built.log);
      assert.deepEqual([run.nofile, run.shm, run.host], ["1024", "125000", "1"]);
      const manifest = await getManifest(repositoryPath, built.digest, engine.registry);
      const annotations = (manifest.body as { annotations?: Record<string, string> }).annotations ?? {};
      assert.equal(annotations["org.opencontainers.image.description"], "The checkout API");
      const config = JSON.parse(
        (await getBlob(repositoryPath, manifest.body.config?.digest as string, engine.registry)).toString(),
      ) as { config: { Labels: Record<string, string> } };
      assert.equal(config.config.Labels["com.example.team"], "payments");
      assert.equal(config.config.Labels["org.opencontainers.image.revision"], SHA);
    });

    it("allow: RUN --security=insecure runs privileged when allowed; without --allow BuildKit refuses the step", async () => {
      // Privileged, RUN holds (nearly) every capability (CapEff 000001fffeffffff: 40); the sandbox's 14 (00000000a80425fb).
      const text =
        "FROM multistage-local/busybox:1 AS final\nRUN --security=insecure echo \"caps=$(grep CapEff /proc/self/status | awk '{print $2}')\"\n";
      const plan = planOf({
        dockerfile: inlineDockerfile(text),
        builder: builder.name,
        registryCache: false,
        noCache: true,
        allow: ["security.insecure"],
      });
      const repository = `${engine.registry.server}/multistage-tests/settings-allow-${RUN}`;
      const built = await builder.executor.buildWithBuilder(plan, repository, { push: true });
      const caps = /caps=([0-9a-f]+)/.exec(built.log.split("\n").find((l) => /^#\d+ [\d.]+ caps=/.test(l)) ?? "");
      assert.ok(caps, `RUN printed no capabilities:\n${built.log.slice(-1500)}`);
      const held = [...BigInt(`0x${caps[1]}`).toString(2)].filter((bit) => bit === "1").length;
      assert.ok(held >= 38, `the RUN held ${held} capabilities (${caps[1]}), not the privileged set`);
      // The plan refuses this (the RUN's line names allow); forced past it, the builder refuses the step.
      const unallowed = { ...plan, settings: { ...plan.settings, allow: [] } };
      await assert.rejects(
        builder.executor.buildWithBuilder(unallowed, repository, { push: true }),
        /security\.insecure|entitlement/,
      );
    });

    it("named contexts: a base image routed through a mirror, files copied from a directory of their own", async () => {
      const shared = path.join(app, "shared");
      fs.mkdirSync(path.join(shared, "lib"), { recursive: true });
      fs.writeFileSync(path.join(shared, "lib", "a.txt"), "from-the-named-context\n");
      // No registry has "alpine:3.99": only the image context makes FROM resolve.
      const text = "FROM alpine:3.99 AS final\nCOPY --from=shared lib/a.txt /a.txt\nRUN cat /a.txt\n";
      const plan = planOf({
        dockerfile: inlineDockerfile(text),
        builder: builder.name,
        registryCache: false,
        noCache: true,
        contexts: { "alpine:3.99": "docker-image://multistage-local/busybox:1", shared },
      });
      const built = await builder.executor.buildWithBuilder(
        plan,
        `${engine.registry.server}/multistage-tests/settings-ctx-${RUN}`,
        {
          push: true,
        },
      );
      assert.match(built.log, /\[context alpine:3\.99\] .*multistage-local\/busybox:1/);
      assert.match(built.log, /^#\d+ \d+\.\d+ from-the-named-context$/m, "RUN read the file the named context served");
    });

    it("load and an OCI tarball beside the push: the engine holds the image, the tarball the pushed digest", async () => {
      const tarball = path.join(app, "dist", "app.oci.tar");
      fs.mkdirSync(path.dirname(tarball), { recursive: true });
      const plan = planOf({
        builder: builder.name,
        registryCache: false,
        load: true,
        exports: [`type=oci,dest=${tarball}`],
      });
      const repository = `${engine.registry.server}/multistage-tests/settings-out-${RUN}`;
      const built = await builder.executor.buildWithBuilder(plan, repository, { push: true });
      // The engine has it under the pushed tag.
      const inspected = await engine.executor.inspect(built.references[0]);
      assert.equal(inspected.Config.Labels?.["com.example.team"], "payments");
      // The tarball is an OCI layout whose index names the pushed manifest.
      const listing = execFileSync("tar", ["-tf", tarball]).toString().split("\n");
      assert.ok(listing.includes("index.json") && listing.includes("oci-layout"), listing.join(" "));
      const index = JSON.parse(execFileSync("tar", ["-xOf", tarball, "index.json"]).toString()) as {
        manifests: Array<{ digest: string }>;
      };
      assert.deepEqual(
        index.manifests.map((m) => m.digest),
        [built.digest],
      );
    });

    it("a local cache: exported to a directory, and read back by a builder whose own cache is gone", async () => {
      const cacheDir = path.join(app, "cache");
      const plan = planOf({
        builder: builder.name,
        registryCache: false,
        cacheFrom: [`type=local,src=${cacheDir}`],
        cacheTo: [`type=local,dest=${cacheDir},mode=max`],
      });
      const repository = `${engine.registry.server}/multistage-tests/settings-local-${RUN}`;
      await builder.executor.pruneBuilder(builder.name);
      // The first build finds no cache (BuildKit warns and goes on), builds, and exports one.
      const cold = await builder.executor.buildWithBuilder(plan, repository, { push: true });
      assert.equal(depsStatus(cold.log), "built");
      assert.ok(fs.existsSync(path.join(cacheDir, "index.json")), "the cache directory holds an OCI layout");
      await builder.executor.pruneBuilder(builder.name);
      const warm = await builder.executor.buildWithBuilder(plan, repository, { push: true });
      assert.equal(depsStatus(warm.log), "cached", "the deps stage came from the local cache");
      assert.equal(warm.digest, cold.digest, "the same image");
      // Without the local cache, the pruned builder builds it again.
      await builder.executor.pruneBuilder(builder.name);
      const without = await builder.executor.buildWithBuilder(
        planOf({ builder: builder.name, registryCache: false }),
        repository,
        {
          push: false,
        },
      );
      assert.equal(depsStatus(without.log), "built");
    });

    it("noCacheFilter rebuilds the named stage and takes the others from the cache", async () => {
      const plan = planOf({ builder: builder.name, registryCache: false });
      const repository = `${engine.registry.server}/multistage-tests/settings-filter-${RUN}`;
      await builder.executor.buildWithBuilder(plan, repository, { push: false });
      const cached = await builder.executor.buildWithBuilder(plan, repository, { push: false });
      const filtered = await builder.executor.buildWithBuilder(
        planOf({ builder: builder.name, registryCache: false, noCacheFilter: ["deps"] }),
        repository,
        { push: false },
      );
      assert.equal(depsStatus(cached.log), "cached");
      assert.equal(depsStatus(filtered.log), "built");
    });
  });
});
