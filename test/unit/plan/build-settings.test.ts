/** Labels, annotations and the build settings in the plan: defaults, what names the release, and every bad value. */
import { strict as assert } from "assert";
import { type BuildPlanOptions, type Diagnostic, planBuild, validatePlanArgs } from "../../../src/plan";
import { dockerfile, planProblems } from "../../helpers";

const PARSED = dockerfile(`
  FROM busybox:1.36 AS deps
  FROM deps AS builder
  FROM busybox:1.36 AS production
  COPY --from=builder /a /a
`);
const SHA = "0123456789abcdef0123456789abcdef01234567";
const plan = (extra: Partial<BuildPlanOptions> = {}): ReturnType<typeof planBuild> =>
  planBuild(PARSED, { context: ".", environment: "production", gitSha: SHA, ...extra });
/** The diagnostics a plan is refused with, as `property: message`. */
const refused = (extra: Partial<BuildPlanOptions>): string[] => planProblems(() => plan(extra));

describe("labels, annotations and build settings in the plan", () => {
  it("fills the OCI labels from what it knows; the commit and version name the release", () => {
    const made = plan({ version: "1.4.0", sourceUrl: "https://github.com/example/app" });
    assert.deepEqual(made.labels, {
      "org.opencontainers.image.source": "https://github.com/example/app",
      "org.opencontainers.image.revision": SHA,
      "org.opencontainers.image.version": "1.4.0",
      "dev.multistage.target": "production",
    });
    assert.deepEqual(made.volatileLabels, ["org.opencontainers.image.revision", "org.opencontainers.image.version"]);
    // Nothing known, nothing said (no empty source or version).
    assert.deepEqual(plan({ gitSha: undefined }).labels, { "dev.multistage.target": "production" });
  });

  it("labels override the defaults, the environment's the common ones; defaultLabels: false turns them off", () => {
    const made = plan({
      labels: { "com.example.team": "payments", "org.opencontainers.image.revision": "v7" },
      environments: { production: { labels: { "com.example.team": "checkout" } } },
    });
    assert.equal(made.labels["com.example.team"], "checkout");
    assert.equal(made.labels["org.opencontainers.image.revision"], "v7");
    // Set by the user, the revision is theirs: it counts.
    assert.deepEqual(made.volatileLabels, []);
    assert.deepEqual(plan({ defaultLabels: false, labels: { a: "b" } }).labels, { a: "b" });
  });

  it("annotations merge per environment and need a builder", () => {
    const made = plan({
      builder: "farm",
      annotations: { a: "1", b: "2" },
      environments: { production: { annotations: { b: "3" } } },
    });
    assert.deepEqual(made.annotations, { a: "1", b: "3" });
    assert.deepEqual(refused({ annotations: { a: "1" } }), [
      "annotations: needs a builder: the Docker engine's own builder writes no manifest annotations.",
    ]);
  });

  it("refuses label keys and values the command line cannot carry, by path", () => {
    assert.deepEqual(refused({ labels: { "has space": "x", ok: "line\nbreak" } }), [
      'labels.has space: "has space" is not a key: keys are 1 to 255 characters without spaces or "=".',
      "labels.ok: holds a line break or a NUL, which the build's command line cannot carry.",
    ]);
    assert.match(
      refused({ environments: { production: { labels: { "a=b": "x" } } } })[0],
      /^environments\.production\.labels\.a=b: /,
    );
  });

  it("carries the build settings as given, with the defaults off", () => {
    assert.deepEqual(plan().settings, {
      addHosts: [],
      noCache: false,
      noCacheFilter: [],
      pull: false,
      allow: [],
      ulimits: [],
    });
    const made = plan({
      builder: "farm",
      network: "none",
      addHosts: ["db:10.0.0.5", "v6:fd00::5", "gw:host-gateway"],
      noCache: true,
      noCacheFilter: ["deps"],
      pull: true,
      shmSize: "1GB",
      allow: ["security.insecure"],
      ulimits: ["nofile=1024:2048", "nproc=-1"],
    });
    assert.deepEqual(made.settings, {
      network: "none",
      addHosts: ["db:10.0.0.5", "v6:fd00::5", "gw:host-gateway"],
      noCache: true,
      noCacheFilter: ["deps"],
      pull: true,
      shmSize: 1_000_000_000,
      allow: ["security.insecure"],
      ulimits: ["nofile=1024:2048", "nproc=-1"],
    });
  });

  it("refuses a host, a limit, a size or a stage that is not one, each by its path with the fix", () => {
    const found = refused({
      addHosts: ["db", "db:10.0.0.256", "-x:10.0.0.1"],
      ulimits: ["nofiles=1", "nofile", "nofile=20:10"],
      shmSize: "lots",
      noCacheFilter: ["dep"],
      builder: "farm",
    });
    assert.deepEqual(found, [
      'addHosts[0]: "db" is not a host entry.',
      'addHosts[1]: "db:10.0.0.256" is not a host entry.',
      'addHosts[2]: "-x:10.0.0.1" is not a host entry.',
      'ulimits[0]: "nofiles" is not a limit BuildKit sets. Did you mean "nofile"?',
      'ulimits[1]: "nofile" is not a limit.',
      'ulimits[2]: "nofile=20:10": the soft limit is above the hard one.',
      'shmSize: "lots" is not a size.',
      'noCacheFilter[0]: "dep" is not a stage of Dockerfile. Did you mean "deps"?',
    ]);
  });

  it("refuses what the Docker engine's own builder would drop: noCacheFilter, shmSize, ulimits need a builder", () => {
    assert.deepEqual(refused({ noCacheFilter: ["deps"], shmSize: "128MB", ulimits: ["nofile=1024"] }), [
      "noCacheFilter: needs a builder: the Docker engine's own builder has no --no-cache-filter.",
      "shmSize: needs a builder: the Docker engine's own builder leaves /dev/shm at its default.",
      "ulimits: needs a builder: the Docker engine's own builder leaves RUN's limits at their defaults.",
    ]);
  });

  it("a RUN that needs an entitlement allow does not grant is refused by its line and stage, with a builder", () => {
    const privileged = dockerfile(`
      FROM busybox:1.36 AS unused
      RUN --security=insecure true
      FROM busybox:1.36 AS deps
      RUN --security=insecure mount -t tmpfs none /mnt
      FROM deps AS production
      RUN --device=/dev/fuse true
    `);
    const options: BuildPlanOptions = { context: ".", environment: "production", gitSha: SHA, builder: "farm" };
    assert.deepEqual(
      planProblems(() => planBuild(privileged, options)),
      [
        'allow: RUN --security=insecure needs the "security.insecure" entitlement, which allow does not grant: BuildKit would refuse the step.',
        'allow: RUN --device needs the "device" entitlement, which allow does not grant: BuildKit would refuse the step.',
      ],
    );
    try {
      planBuild(privileged, options);
    } catch (err) {
      const [first] = (err as { diagnostics: Array<{ line?: number; stage?: string; hint?: string }> }).diagnostics;
      assert.deepEqual([first.line, first.stage], [4, "deps"]);
      assert.match(
        first.hint ?? "",
        /Add allow: \["security.insecure"\].*--allow-insecure-entitlement security.insecure/,
      );
    }
    // Granted, the plan carries it; the stage the target does not build is not asked about.
    const granted = planBuild(privileged, { ...options, allow: ["security.insecure", "device"] });
    assert.deepEqual(granted.settings.allow, ["security.insecure", "device"]);
    // The engine's own builder takes no --allow (its daemon's configuration decides): not asked, and allow is refused.
    assert.doesNotThrow(() => planBuild(privileged, { ...options, builder: undefined }));
    assert.deepEqual(refused({ allow: ["security.insecure"] }), [
      "allow: needs a builder: the Docker engine's own builder takes no --allow (its daemon's builder.entitlements setting decides).",
    ]);
    // Its values are the table's: the args' check refuses another by its path.
    const diagnostics: Diagnostic[] = [];
    validatePlanArgs({ allow: ["root"] }, diagnostics);
    assert.deepEqual(
      diagnostics.map((d) => `${d.property}: ${d.message}`),
      ['allow[0]: "root" is not one of "security.insecure", "device".'],
    );
  });
});
