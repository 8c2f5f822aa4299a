/**
 * BuildKit features through a real standalone BuildKit daemon (scripts/buildkit-up.sh),
 * selected as a buildx builder by name and by endpoint: the registry cache per target and
 * environment, several platforms in one index, attestations (off by default) and SSH
 * forwarding. Everything is pushed to the real registry and read back through its API.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { type BuildPlan, planBuildFromFiles } from "../../src";
import { BuilderEndpointError } from "../../src/executor";
import { executedSteps } from "../../src/executor/progress";
import { probeBuilderEndpoint } from "../../src/executor/endpoint";
import { getBlob, getManifest, manifestDigest } from "../../src/registry";
import { localPlan } from "../../scripts/lib/local";
import { type Builder, type Engine, requireBuilder, requireEngine } from "./engine";

const RUN = Date.now().toString(36);
const ELF_MACHINE = { amd64: 0x3e, arm64: 0xb7 } as const;

/** The bytes of `file` in a gzipped layer tarball (ustar: 512-byte headers, name in the first 100 bytes). */
function fileInLayer(layer: Buffer, file: string): Buffer | undefined {
  const tar = zlib.gunzipSync(layer);
  for (let offset = 0; offset + 512 <= tar.length;) {
    const name = tar
      .subarray(offset, offset + 100)
      .toString("utf8")
      .replace(/\0.*$/s, "");
    if (!name) return undefined;
    const size = parseInt(
      tar
        .subarray(offset + 124, offset + 136)
        .toString("utf8")
        .replace(/\0.*$/s, "")
        .trim(),
      8,
    );
    if (name.replace(/^\.?\//, "") === file) return tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

describe("Integration: a standalone BuildKit builder (registry cache, platforms, attestations, SSH)", function () {
  this.timeout(900_000);
  let engine: Engine;
  let builder: Builder;

  before(async function () {
    engine = requireEngine(this);
    builder = requireBuilder(this);
    await builder.executor.login(engine.registry);
  });

  describe("registry cache per target and environment", () => {
    const repositoryPath = `multistage-tests/cache-${RUN}`;
    let plan: BuildPlan;
    let cold: Awaited<ReturnType<Builder["executor"]["buildWithBuilder"]>>;
    let warm: typeof cold;

    before(async () => {
      plan = localPlan("node-service", "production", {}, { builder: builder.name, testStage: false });
      const repository = `${engine.registry.server}/${repositoryPath}`;
      // Cold: nothing in the builder, nothing in the registry under this repository.
      await builder.executor.pruneBuilder(builder.name);
      cold = await builder.executor.buildWithBuilder(plan, repository, { push: true });
      // The builder's own cache is removed: only the registry cache can help now.
      await builder.executor.pruneBuilder(builder.name);
      warm = await builder.executor.buildWithBuilder(plan, repository, { push: true });
      console.log(
        `      cold ${(cold.durationMs / 1000).toFixed(1)}s, from the registry cache ${(warm.durationMs / 1000).toFixed(1)}s (${((100 * warm.durationMs) / cold.durationMs).toFixed(0)}%)`,
      );
    });

    it("exports the cache to <repo>:cache-<target>-<env> as an OCI image manifest (the shape ECR accepts)", async () => {
      assert.equal(plan.cache?.to, "cache-production-production");
      const cache = await getManifest(repositoryPath, plan.cache.to, engine.registry);
      assert.equal(cache.mediaType, "application/vnd.oci.image.manifest.v1+json");
      assert.equal(cache.body.config?.mediaType, "application/vnd.buildkit.cacheconfig.v0");
      assert.ok((cache.body.layers ?? []).length >= 3, "mode=max exports the intermediate stages' layers too");
    });

    it("after the builder's cache is removed, the rebuild runs no instruction: every layer comes from the registry", () => {
      assert.ok(
        executedSteps(cold.steps).some((s) => s.instruction.startsWith("RUN")),
        "the cold build ran its RUNs",
      );
      assert.deepEqual(
        executedSteps(warm.steps).map((s) => `${s.stage}: ${s.instruction}`),
        [],
        "steps that ran again",
      );
      assert.match(warm.log, /importing cache manifest from .*cache-production-production/);
    });

    it("pushes a plain image manifest (no attestation index by default) whose digest is the registry's", async () => {
      const pushed = await getManifest(repositoryPath, plan.tags[0], engine.registry);
      assert.equal(pushed.digest, warm.digest);
      assert.equal(warm.imageUri, `${engine.registry.server}/${repositoryPath}@${warm.digest}`);
      assert.match(pushed.mediaType, /image\.manifest/);
    });

    it("production reads dev's cache too, and dev reads production's, where their stages meet", () => {
      const environments = { dev: {}, production: {} };
      const prod = localPlan("node-service", "production", {}, { builder: builder.name, environments });
      const dev = localPlan("node-service", "dev", {}, { builder: builder.name, environments });
      assert.deepEqual(prod.cache?.from, ["cache-production-production", "cache-builder-dev"]);
      assert.deepEqual(dev.cache?.from, ["cache-builder-dev", "cache-production-production"]);
    });
  });

  describe("a builder of two nodes: each platform on its own node, one index, a cache per platform", () => {
    const repositoryPath = `multistage-tests/go-nodes-${RUN}`;

    it("builds linux/amd64 on the amd64 node and linux/arm64 on the arm64 one, and merges them into one index", async () => {
      const plan = localPlan(
        "go-service",
        "production",
        {},
        {
          builder: builder.nodes.name,
          platforms: ["linux/amd64", "linux/arm64"],
          registryCache: true,
          testStage: false,
        },
      );
      assert.deepEqual(Object.keys(plan.cache?.platforms ?? {}), ["linux/amd64", "linux/arm64"]);
      const repository = `${engine.registry.server}/${repositoryPath}`;
      const built = await builder.executor.buildWithBuilder(plan, repository, { push: true });
      assert.deepEqual(built.nodes, { "linux/amd64": "nodes-amd64", "linux/arm64": "nodes-arm64" });
      const index = await getManifest(repositoryPath, plan.tags[0], engine.registry);
      assert.equal(index.digest, built.digest, "the plan's tag names the merged index");
      const entries = Object.fromEntries(
        (index.body.manifests ?? []).map((m) => [`${m.platform?.os}/${m.platform?.architecture}`, m.digest]),
      );
      assert.deepEqual(Object.keys(entries).sort(), ["linux/amd64", "linux/arm64"]);
      // Each daemon's own build history holds the build of its platform's manifest, and not the other's.
      for (const [platform, node] of Object.entries(built.nodes ?? {})) {
        const history = execFileSync(
          path.join(path.dirname(builder.executor.buildx()), "buildctl"),
          ["--addr", builder.nodes.sockets[node], "debug", "histories", "--format", "{{json .}}"],
          { encoding: "utf8" },
        );
        const other = Object.entries(entries).find(([p]) => p !== platform)?.[1] as string;
        assert.ok(
          history.includes(entries[platform]),
          `${node}'s history has no build of ${platform}'s ${entries[platform]}`,
        );
        assert.ok(!history.includes(other), `${node}'s history has the other platform's build too`);
      }
      // A cache per platform, each from its own node's build.
      for (const tag of ["cache-production-production-linux-amd64", "cache-production-production-linux-arm64"]) {
        const cache = await getManifest(repositoryPath, tag, engine.registry);
        assert.equal(cache.body.config?.mediaType, "application/vnd.buildkit.cacheconfig.v0", tag);
      }
    });
  });

  describe("several platforms in one index, by cross-compiling (no emulation)", () => {
    const repositoryPath = `multistage-tests/go-${RUN}`;
    let digest: string;
    let plan: BuildPlan;

    before(async () => {
      plan = localPlan(
        "go-service",
        "production",
        {},
        {
          builder: { endpoint: builder.endpoint },
          platforms: ["linux/amd64", "linux/arm64"],
        },
      );
      const repository = `${engine.registry.server}/${repositoryPath}`;
      // The test gate runs `go test` on the build platform first; then both platforms are pushed.
      assert.equal(plan.testTarget, "test");
      await builder.executor.buildWithBuilder({ ...plan, target: plan.testTarget, tags: [] }, repository, {
        push: false,
      });
      const built = await builder.executor.buildWithBuilder(plan, repository, { push: true });
      digest = built.digest;
      assert.match(built.builder, /^multistage-[0-9a-f]{12}$/, "an endpoint gets a remote builder of its own");
    });

    it("the endpoint was registered as a buildx remote builder", () => {
      const list = execFileSync(builder.executor.buildx(), ["ls"], {
        env: { ...process.env, BUILDX_CONFIG: builder.executor.buildxConfig },
        encoding: "utf8",
      });
      assert.match(list, /multistage-[0-9a-f]{12}\s+remote/);
    });

    it("one push makes one index listing linux/amd64 and linux/arm64; imageUri pins the index", async () => {
      const index = await getManifest(repositoryPath, plan.tags[0], engine.registry);
      assert.equal(index.digest, digest);
      assert.equal(await manifestDigest(repositoryPath, digest, engine.registry), digest);
      assert.match(index.mediaType, /index|manifest\.list/);
      const platforms = (index.body.manifests ?? []).map((m) => `${m.platform?.os}/${m.platform?.architecture}`);
      assert.deepEqual(platforms.sort(), ["linux/amd64", "linux/arm64"]);
      console.log(`      index ${digest}: ${platforms.join(", ")}`);
    });

    it("each platform's binary is an ELF for its architecture (aarch64 for arm64)", async () => {
      const index = await getManifest(repositoryPath, digest, engine.registry);
      for (const entry of index.body.manifests ?? []) {
        const arch = entry.platform?.architecture as keyof typeof ELF_MACHINE;
        const image = await getManifest(repositoryPath, entry.digest, engine.registry);
        const layers = image.body.layers ?? [];
        assert.equal(layers.length, 1, "FROM scratch + one COPY: one layer");
        const binary = fileInLayer(await getBlob(repositoryPath, layers[0].digest, engine.registry), "server");
        assert.ok(binary, `${arch}: /server in the layer`);
        assert.equal(binary.subarray(0, 4).toString("latin1"), "\x7fELF");
        assert.equal(binary.readUInt16LE(18), ELF_MACHINE[arch], `${arch}: e_machine`);
        console.log(`      ${arch}: ${entry.digest}, /server ${(binary.length / 1e6).toFixed(1)} MB`);
      }
    });
  });

  describe("a tcp:// endpoint with mutual TLS (a shared build farm)", () => {
    const repositoryPath = `multistage-tests/tls-${RUN}`;
    const planWith = (tls: NonNullable<BuildPlan["builder"]>["tls"], tag: string): BuildPlan =>
      localPlan("static-binary", "production", {}, { builder: { endpoint: builder.tls.endpoint, tls }, tags: [tag] });
    const repository = (): string => `${engine.registry.server}/${repositoryPath}`;

    it("builds and pushes through the endpoint with the CA, the client's certificate and key, and a server name", async () => {
      const { caCert, cert, key } = builder.tls;
      const plan = planWith({ caCert, cert, key, serverName: "localhost" }, "tls-ok");
      const built = await builder.executor.buildWithBuilder(plan, repository(), { push: true });
      assert.equal(built.digest, await manifestDigest(repositoryPath, "tls-ok", engine.registry));
      const inspect = execFileSync(builder.executor.buildx(), ["inspect", built.builder], {
        env: { ...process.env, BUILDX_CONFIG: builder.executor.buildxConfig },
        encoding: "utf8",
      });
      assert.match(inspect, new RegExp(`Driver:\\s+remote[\\s\\S]*Endpoint:\\s+${builder.tls.endpoint}`));
      assert.match(inspect, /Status:\s+running/);
    });

    it("without a client certificate the daemon refuses the build, and nothing is pushed", async () => {
      const plan = planWith({ caCert: builder.tls.caCert }, "tls-no-client-cert");
      await assert.rejects(
        builder.executor.buildWithBuilder(plan, repository(), { push: true }),
        /certificate required/,
      );
      await assert.rejects(manifestDigest(repositoryPath, "tls-no-client-cert", engine.registry));
    });

    it("a server name the daemon's certificate does not carry is refused", async () => {
      const { caCert, cert, key } = builder.tls;
      const plan = planWith({ caCert, cert, key, serverName: "buildkit.example.invalid" }, "tls-wrong-name");
      await assert.rejects(
        builder.executor.buildWithBuilder(plan, repository(), { push: true }),
        /buildkit\.example\.invalid.*set builder\.tls\.serverName to a name it carries/,
      );
    });
  });

  describe("a tcp:// endpoint that cannot be used: the reason and the fix, before buildx waits", () => {
    const port = (endpoint: string): string => new URL(endpoint).port;
    const cases: Array<[string, () => [string, Parameters<typeof probeBuilderEndpoint>[1]], RegExp]> = [
      ["TLS files for a daemon that wants them: it answers", () => [builder.tls.endpoint, builder.tls], /^$/],
      [
        "no TLS for a TLS port",
        () => [builder.tls.endpoint, undefined],
        /closed the connection without answering\. It may expect TLS: set builder\.tls\./,
      ],
      [
        "no CA for a daemon whose certificate this machine does not trust",
        () => [builder.tls.endpoint, { cert: builder.tls.cert, key: builder.tls.key }],
        /unable to verify the first certificate\. .*set builder\.tls\.caCert\./,
      ],
      [
        "TLS to a plain HTTP port (the registry)",
        () => [`tcp://${engine.registry.server}`, builder.tls],
        /wrong version number\. The daemon does not speak TLS there: remove builder\.tls\./,
      ],
      [
        "a port something else listens on (the registry's HTTP/1)",
        () => [`tcp://${engine.registry.server}`, undefined],
        /not BuildKit's gRPC .*HTTP\/1\.1 \d{3}.*Check that it is a BuildKit daemon's address/,
      ],
      [
        "a port nothing listens on",
        () => [`tcp://127.0.0.1:${Number(port(builder.tls.endpoint)) + 40}`, builder.tls],
        /ECONNREFUSED.*Nothing listens there: start buildkitd with --addr tcp:\/\/127\.0\.0\.1:\d+/,
      ],
    ];
    for (const [title, args, expected] of cases) {
      it(title, async () => {
        const [endpoint, tls] = args();
        const error = await probeBuilderEndpoint(endpoint, tls).then(
          () => undefined,
          (err: Error) => err,
        );
        if (expected.source === "^$") assert.equal(error, undefined);
        else {
          assert.ok(error instanceof BuilderEndpointError, `${title}: ${String(error)}`);
          assert.match(error.message, expected);
          assert.ok(error.message.startsWith(`builder ${endpoint}: `));
        }
      });
    }
  });

  describe("attestations, when asked for", () => {
    it("provenance makes the push an index with an attestation manifest", async () => {
      const repositoryPath = `multistage-tests/attest-${RUN}`;
      const plan = localPlan(
        "static-binary",
        "production",
        {},
        {
          builder: builder.name,
          attestations: { provenance: "min" },
          registryCache: false,
        },
      );
      assert.equal(plan.cache, undefined);
      const built = await builder.executor.buildWithBuilder(plan, `${engine.registry.server}/${repositoryPath}`, {
        push: true,
      });
      const index = await getManifest(repositoryPath, built.digest, engine.registry);
      const kinds = (index.body.manifests ?? []).map(
        (m) => m.annotations?.["vnd.docker.reference.type"] ?? `${m.platform?.os}/${m.platform?.architecture}`,
      );
      assert.deepEqual(kinds.sort(), ["attestation-manifest", "linux/amd64"]);
    });
  });

  describe("SSH forwarding", () => {
    let dir: string;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-ssh-"));
      execFileSync("ssh-keygen", [
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-C",
        "multistage-test",
        "-f",
        path.join(dir, "id"),
      ]);
      fs.writeFileSync(
        path.join(dir, "Dockerfile"),
        [
          "FROM multistage-local/busybox:1",
          // The agent socket exists for this RUN only; the key itself never enters the build.
          'RUN --mount=type=ssh,required=true test -S "$SSH_AUTH_SOCK" && echo agent-forwarded > /ssh.txt',
          "",
        ].join("\n"),
      );
      fs.writeFileSync(path.join(dir, ".dockerignore"), "id\nid.pub\n");
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    for (const how of ["the Docker engine's builder", "the BuildKit builder"] as const) {
      it(`a RUN sees the forwarded agent, with ${how}; the key is in no layer`, async () => {
        const repositoryPath = `multistage-tests/ssh-${how.includes("engine") ? "engine" : "builder"}-${RUN}`;
        const repository = `${engine.registry.server}/${repositoryPath}`;
        const plan = planBuildFromFiles({
          context: dir,
          environment: "staging",
          gitSha: "0123456789abcdef",
          ssh: [{ id: "default", paths: [path.join(dir, "id")] }],
          ...(how.includes("BuildKit") ? { builder: builder.name, registryCache: false } : {}),
        });
        assert.deepEqual(plan.ssh, [{ id: "default", paths: [path.join(dir, "id")] }]);
        let digest: string;
        if (plan.builder) {
          digest = (await builder.executor.buildWithBuilder(plan, repository, { push: true })).digest;
        } else {
          const built = await engine.executor.build(plan, repository);
          await engine.executor.login(engine.registry);
          digest = (await engine.executor.push(built.references)).digest;
        }
        const image = await getManifest(repositoryPath, digest, engine.registry);
        const key = fs.readFileSync(path.join(dir, "id"), "utf8").split("\n")[1];
        let found = false;
        for (const layer of image.body.layers ?? []) {
          const bytes = await getBlob(repositoryPath, layer.digest, engine.registry);
          const text = zlib.gunzipSync(bytes).toString("latin1");
          assert.ok(!text.includes(key), "a line of the private key is in a layer");
          found ||= fileInLayer(bytes, "ssh.txt")?.toString() === "agent-forwarded\n";
        }
        assert.ok(found, "/ssh.txt written by the RUN that saw the agent");
      });
    }

    it("without the forwarding, the required mount fails the build before anything is pushed", () => {
      assert.throws(
        () => planBuildFromFiles({ context: dir, environment: "staging" }),
        /RUN mounts the required SSH agent "default", which is not forwarded/,
      );
    });
  });
});
