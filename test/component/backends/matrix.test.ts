/**
 * The README's back-end table, cell by cell: for every feature row and back end, a "yes" cell
 * is a component that is accepted and whose provider inputs (or outputs) carry the feature; a
 * "no" cell is refused before anything is created, naming the back ends that can, or (where
 * the cell says so) the feature is simply absent. The table is read from the README, so a
 * cell that changes without the code (or the code without the cell) fails here.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { MultiStageImage, type MultiStageImageArgs } from "../../../src";
import { BUILD_INPUTS } from "../../../src/plan";
import { REPO_ROOT } from "../../helpers";
import { type Recorded, inputErrors, resources, settle, useStack, value } from "../mocks";

type Backend = "docker-build" | "docker" | "docker-cli";
const TYPES: Record<Backend, string> = {
  "docker-build": "docker-build:index:Image",
  docker: "docker:index/image:Image",
  "docker-cli": "pulumi-nodejs:dynamic/multistage:DockerCliImage",
};

// FROM scratch: nothing to resolve in a registry under mocks.
const DOCKERFILE = `FROM scratch AS build
ARG BUILD_NUMBER
RUN echo built > /out
FROM build AS test
RUN test -f /out
FROM scratch AS final
COPY --from=build /out /out
`;
const WITH_MOUNTS = DOCKERFILE.replace(
  "RUN echo built",
  "RUN --mount=type=secret,id=NPM_TOKEN --mount=type=ssh echo built",
);

/** What the probe of a row sees: the image resource's inputs, every resource, the component. */
interface Seen {
  inputs: Record<string, unknown>;
  plan: Record<string, unknown>;
  all: Recorded[];
  image: MultiStageImage;
  retainOnDelete?: boolean;
}

interface Probe {
  args: Partial<MultiStageImageArgs>;
  dockerfile?: string;
  /** A "no" cell means the feature is absent (an output left `undefined`), not refused. */
  absent?: boolean;
  /** True when the resources carry the feature. */
  carried: (backend: Backend, seen: Seen) => boolean | Promise<boolean>;
}

const planOf = (b: Backend, s: Seen): Record<string, unknown> => (b === "docker-cli" ? s.plan : {});
/** The closure Dockerfile each back end's image resource builds from. */
const closureFile = (b: Backend, s: Seen): string => {
  const file =
    b === "docker-cli"
      ? s.inputs.closureDockerfile
      : b === "docker"
        ? (s.inputs.build as { dockerfile: string }).dockerfile
        : (s.inputs.dockerfile as { location: string }).location;
  assert.equal(typeof file, "string", `${b}: no closure Dockerfile in the inputs`);
  return file as string;
};
/** A build setting where each back end puts it: the plan's `settings`, docker-build's inputs, docker's build block. */
const buildInput = (b: Backend, s: Seen, name: string): unknown =>
  b === "docker-cli"
    ? (s.plan.settings as Record<string, unknown>)[name]
    : b === "docker"
      ? (s.inputs.build as Record<string, unknown>)[name]
      : s.inputs[name];
const has = (v: unknown): boolean => v !== undefined && v !== null && JSON.stringify(v) !== "[]";

/** One probe per README row, keyed by the row's first cell as written. */
const PROBES: Record<string, Probe> = {
  "`secrets`": {
    dockerfile: WITH_MOUNTS,
    args: { secrets: { NPM_TOKEN: pulumi.secret("t0ken-value") }, ssh: [{ id: "default" }] },
    carried: (b, s) => JSON.stringify(b === "docker-cli" ? s.inputs.secrets : s.inputs.secrets).includes("NPM_TOKEN"),
  },
  "`ssh`": {
    dockerfile: WITH_MOUNTS,
    args: { ssh: [{ id: "default" }], secrets: { NPM_TOKEN: pulumi.secret("t0ken-value") } },
    carried: (b, s) => JSON.stringify(b === "docker-cli" ? s.plan.ssh : s.inputs.ssh).includes('"default"'),
  },
  "`builder` by name": {
    args: { builder: "farm" },
    carried: (b, s) => JSON.stringify(b === "docker-cli" ? s.plan.builder : s.inputs.builder).includes('"farm"'),
  },
  "`builder` by endpoint (`tcp://`, `unix://`)": {
    args: { builder: "tcp://127.0.0.1:1234" },
    carried: (b, s) => JSON.stringify(planOf(b, s).builder ?? {}).includes("tcp://127.0.0.1:1234"),
  },
  "`registryCache`": {
    args: { builder: "farm", registryCache: true },
    carried: (b, s) => has(b === "docker-cli" ? s.plan.cache : s.inputs.cacheTo),
  },
  "several `platforms` in one index": {
    args: { builder: "farm", platforms: ["linux/amd64", "linux/arm64"] },
    carried: (b, s) => ((b === "docker-cli" ? s.plan.platforms : s.inputs.platforms) as unknown[]).length === 2,
  },
  "`attestations`": {
    args: { attestations: true },
    carried: (b, s) => (planOf(b, s).attestations as { provenance?: unknown } | undefined)?.provenance === "max",
  },
  '`engine: "podman"` or `"buildah"` (no Docker daemon)': {
    args: { engine: "podman" },
    carried: (b, s) => planOf(b, s).engine === "podman",
  },
  "`signing` (cosign; verified before production and promotion)": {
    args: { signing: { key: pulumi.secret("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nx") } },
    carried: (b, s) => {
      const release = planOf(b, s).release as { sign?: boolean; verify?: boolean } | undefined;
      // Carried as a Pulumi secret: the engine's secret envelope around the key.
      const envelope = s.inputs.signing as Record<string, unknown> | undefined;
      const secret = envelope?.["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270";
      const key = (envelope?.value as { key?: string } | undefined)?.key;
      return secret && release?.sign === true && release.verify === true && key?.startsWith("-----BEGIN") === true;
    },
  },
  "`attestations` beside the image (signed, one manifest)": {
    args: {
      builder: "farm",
      signing: { key: pulumi.secret("k") },
      attestations: { sbom: true, provenance: "max", store: "referrers" },
    },
    carried: (b, s) => (planOf(b, s).attestations as { store?: string } | undefined)?.store === "referrers",
  },
  "`environments.<env>.releaseGate`": {
    args: { environments: { production: { releaseGate: { command: "scan" } } } },
    carried: (b, s) => (planOf(b, s).release as { gate?: { command: string } } | undefined)?.gate?.command === "scan",
  },
  "`testStage` gate": {
    args: {},
    carried: (b, s) =>
      b === "docker-cli" ? s.plan.testTarget === "test" : s.all.some((r) => r.name === "app-image-test"),
  },
  "the target's closure only (Dockerfile and ignore file)": {
    args: {},
    carried: (b, s) => {
      const file = closureFile(b, s);
      return !fs.readFileSync(file, "utf8").includes("RUN test -f /out") && fs.existsSync(`${file}.dockerignore`);
    },
  },
  "registry first (`inputs-<hash>`), `rebuildReason`, `size`": {
    args: {},
    absent: true,
    carried: async (b, s) =>
      b === "docker-cli"
        ? /^sha256:/.test((s.inputs.inputs as { hash: string }).hash)
        : (await value(s.image.rebuildReason)) !== undefined || (await value(s.image.size)) !== undefined,
  },
  "`environments.<env>.sizeBudget`": {
    args: { environments: { production: { sizeBudget: "100MB" } } },
    carried: (b, s) => (planOf(b, s).sizeBudget as { bytes?: number } | undefined)?.bytes === 100_000_000,
  },
  "`volatileArgs`": {
    args: { buildArgs: { BUILD_NUMBER: "7" }, volatileArgs: ["BUILD_NUMBER"] },
    carried: (b, s) => JSON.stringify(planOf(b, s).volatileArgs) === '["BUILD_NUMBER"]',
  },
  "`promoteFrom`": {
    args: { environments: { staging: {}, production: { promoteFrom: "staging" } } },
    carried: (b, s) => (planOf(b, s).promotion as { from?: string } | undefined)?.from === "staging",
  },
  "`labels` (and the default OCI labels)": {
    args: { labels: { "com.example.team": "payments" } },
    carried: (b, s) => {
      const labels = (b === "docker-cli" ? s.plan.labels : s.inputs.labels) as Record<string, string> | undefined;
      // docker-build: the commit's label is left off (its provider rebuilds on any label change).
      const revision = labels?.["org.opencontainers.image.revision"];
      return labels?.["com.example.team"] === "payments" && (b === "docker-build" ? !revision : !!revision);
    },
  },
  "`annotations` (with a `builder`)": {
    args: { builder: "farm", annotations: { "org.opencontainers.image.description": "API" } },
    carried: (b, s) => JSON.stringify(planOf(b, s).annotations ?? {}).includes('"API"'),
  },
  "`network`": {
    args: { network: "none" },
    carried: (b, s) => buildInput(b, s, "network") === "none",
  },
  "`addHosts`": {
    args: { addHosts: ["db:10.0.0.5"] },
    carried: (b, s) => JSON.stringify(buildInput(b, s, "addHosts")) === '["db:10.0.0.5"]',
  },
  "`noCache`": {
    args: { noCache: true },
    carried: (b, s) => buildInput(b, s, "noCache") === true,
  },
  "`noCacheFilter` (with a `builder`)": {
    args: { builder: "farm", noCacheFilter: ["build"] },
    carried: (b, s) => JSON.stringify(buildInput(b, s, "noCacheFilter")) === '["build"]',
  },
  "`pull`": {
    args: { pull: true },
    carried: (b, s) => buildInput(b, s, "pull") === true,
  },
  "`shmSize` (with a `builder`)": {
    args: { builder: "farm", shmSize: "64MB" },
    carried: (b, s) => buildInput(b, s, "shmSize") === 64_000_000,
  },
  "`ulimits` (with a `builder`)": {
    args: { builder: "farm", ulimits: ["nofile=1024:2048"] },
    carried: (b, s) => JSON.stringify(buildInput(b, s, "ulimits")) === '["nofile=1024:2048"]',
  },
  "`allow` (with a `builder`)": {
    args: { builder: "farm", allow: ["security.insecure"] },
    carried: (b, s) => JSON.stringify(buildInput(b, s, "allow")) === '["security.insecure"]',
  },
  "`cacheFrom` entries (`type=local`, `gha`, `s3`; with a `builder`)": {
    args: { builder: "farm", cacheFrom: ["type=gha,scope=app"] },
    carried: (b, s) =>
      JSON.stringify(b === "docker-cli" ? s.plan.cacheFrom : s.inputs.cacheFrom).includes("type=gha,scope=app"),
  },
  "`cacheTo` (with a `builder`)": {
    args: { builder: "farm", cacheTo: ["type=local,dest=/var/cache/app,mode=max"] },
    carried: (b, s) =>
      JSON.stringify(b === "docker-cli" ? s.plan.cacheTo : s.inputs.cacheTo).includes(
        "type=local,dest=/var/cache/app,mode=max",
      ),
  },
  "`dockerfileInline`": {
    // The context's Dockerfile is another one: the closure must come from the inline text.
    args: { dockerfileInline: DOCKERFILE.replace("FROM scratch AS final", "FROM scratch AS final\nENV FROM_INLINE=1") },
    carried: (b, s) => fs.readFileSync(closureFile(b, s), "utf8").includes("ENV FROM_INLINE=1"),
  },
  "`contexts` (named, with a `builder`)": {
    args: {
      builder: "farm",
      contexts: { shared: os.tmpdir(), "busybox:1.36": "docker-image://mirror.example/busybox:1.36" },
    },
    carried: (b, s) => {
      const named =
        b === "docker-cli"
          ? (s.plan.contexts as Record<string, unknown>)
          : ((s.inputs.context as { named?: Record<string, unknown> }).named ?? {});
      return JSON.stringify(named).includes("mirror.example/busybox:1.36") && "shared" in named;
    },
  },
  "`load`": {
    args: { load: true },
    // docker: its Image builds in the local engine, where the image stays.
    carried: (b, s) =>
      b === "docker"
        ? true
        : (b === "docker-cli" ? (s.plan.outputs as { load: boolean }).load : s.inputs.load) === true,
  },
  "`exports` (with a `builder`)": {
    args: { builder: "farm", exports: ["type=oci,dest=/tmp/app.oci.tar"] },
    carried: (b, s) =>
      JSON.stringify(b === "docker-cli" ? s.plan.outputs : s.inputs.exports).includes("type=oci,dest=/tmp/app.oci.tar"),
  },
  "`reproducible` (with a `builder`)": {
    args: { builder: "farm", reproducible: true },
    carried: (b, s) =>
      typeof (planOf(b, s).reproducible as { sourceDateEpoch?: number } | undefined)?.sourceDateEpoch === "number",
  },
  "pushed images kept on replacement and destroy": {
    args: {},
    // docker-build: retained by option; docker-cli: its provider's delete keeps the image (and
    // test/e2e/pulumi.test.ts pulls every digest after destroy); docker: its Image never deletes
    // from the registry (its provider's behaviour: nothing here can show it under mocks).
    carried: (b, s) => (b === "docker-build" ? s.retainOnDelete === true : true),
  },
  "`deletePushedImages: true`": {
    args: { deletePushedImages: true },
    carried: (b, s) => b === "docker-build" && s.retainOnDelete === false,
  },
};

/** The back-end table of the README: feature → back end → cell text. */
function readmeTable(): Map<string, Record<Backend, string>> {
  const markdown = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
  const section = markdown.slice(markdown.indexOf("### Back ends"));
  const lines = section.split("\n").filter((l) => l.startsWith("|"));
  const header = lines[0].split("|").map((c) => c.trim());
  const column = (b: Backend): number => header.findIndex((c) => c.startsWith(`\`${b}\``));
  const table = new Map<string, Record<Backend, string>>();
  for (const line of lines.slice(2)) {
    const cells = line.split("|").map((c) => c.trim());
    if (cells[1] === "`backend`") break; // the next table
    table.set(cells[1], {
      "docker-build": cells[column("docker-build")],
      docker: cells[column("docker")],
      "docker-cli": cells[column("docker-cli")],
    });
  }
  return table;
}

describe("The README's back-end table, cell by cell", () => {
  const table = readmeTable();
  let app: string;
  before(() => {
    app = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-matrix-"));
  });
  after(() => fs.rmSync(app, { recursive: true, force: true }));

  it("has a probe for every row, and a row for every probe", () => {
    assert.deepEqual([...table.keys()].sort(), Object.keys(PROBES).sort());
  });

  it("has a row for every build input the field table says which back ends carry", () => {
    const rows = [...table.keys()];
    assert.deepEqual(
      BUILD_INPUTS.filter((input) => !rows.some((row) => row.startsWith(`\`${input}\``))),
      [],
    );
  });

  for (const [feature, probe] of Object.entries(PROBES)) {
    for (const backend of ["docker-build", "docker", "docker-cli"] as const) {
      it(`${feature} × ${backend}`, async () => {
        const cell = table.get(feature)?.[backend];
        assert.ok(cell, `no README cell for ${feature} × ${backend}`);
        const yes = cell.startsWith("yes");
        fs.writeFileSync(path.join(app, "Dockerfile"), probe.dockerfile ?? DOCKERFILE);
        const args: MultiStageImageArgs = {
          context: app,
          backend,
          gitSha: "0123456789abcdef0123456789abcdef01234567",
          registry: { repository: "127.0.0.1:5055/team/app", username: "ci", password: pulumi.secret("pw") },
          ...probe.args,
        };
        useStack("production");
        let retainOnDelete: boolean | undefined;
        const construct = (): MultiStageImage =>
          new MultiStageImage("app", args, {
            transformations: [
              (a) => {
                if (a.name === "app-image") retainOnDelete = a.opts.retainOnDelete;
                return undefined;
              },
            ],
          });
        const refusedHere = !yes && !probe.absent;
        let image: MultiStageImage;
        try {
          image = construct();
        } catch (err) {
          assert.ok(refusedHere, `${feature} × ${backend} says "${cell}" but was refused: ${String(err)}`);
          const errors = inputErrors(() => {
            throw err;
          });
          assert.ok(
            errors.some((e) => /back end/.test(e.reason) && /backend "/.test(e.reason)),
            `refused without naming the back ends that can: ${JSON.stringify(errors)}`,
          );
          assert.deepEqual(
            resources.map((r) => r.type),
            [],
            "a refusal creates nothing",
          );
          return;
        }
        assert.ok(!refusedHere, `${feature} × ${backend} says "${cell}" but was accepted`);
        await settle(image.imageUri);
        const main = resources.find((r) => r.type === TYPES[backend] && r.name === "app-image");
        assert.ok(main, `no ${TYPES[backend]} named app-image`);
        const plan = (await value(image.plan)) as unknown as Record<string, unknown>;
        const seen: Seen = { inputs: main.inputs, plan, all: [...resources], image, retainOnDelete };
        assert.equal(await probe.carried(backend, seen), yes, `${feature} × ${backend} says "${cell}"`);
      });
    }
  }
});
