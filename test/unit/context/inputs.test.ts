import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import ignore from "@balena/dockerignore";
import {
  BUILD_SETTINGS,
  type BuildPlan,
  type BuildPlanOptions,
  closureImages,
  imageSettings,
  inputsRecord,
  rebuildReason,
} from "../../../src/plan";
import { planBuildFromFiles, targetInputs, writeClosureFiles } from "../../../src/context";
import { fingerprint } from "../../../src/backends/docker-cli-provider";

/** A small monorepo: two services, a shared library, a README, a dev-only folder. */
const FILES: Record<string, string> = {
  "README.md": "# monorepo\n",
  ".dockerignore": "**/node_modules\n**/*.log\n",
  "libs/shared/index.js": "module.exports = 1;\n",
  "services/api/package.json": '{"name":"api"}\n',
  "services/api/src/index.js": "console.log('api');\n",
  "services/api/src/debug.log": "noise\n",
  "services/api/src/node_modules/x/index.js": "ignored\n",
  "services/api/test/index.test.js": "test\n",
  "services/api/dev/seed.sql": "insert\n",
  "services/web/src/index.html": "<html></html>\n",
  "services/api/Dockerfile": [
    "ARG BASE=busybox:1.36",
    "FROM ${BASE} AS deps",
    "COPY services/api/package.json /app/",
    "FROM deps AS build",
    "COPY services/api/src /app/src",
    "COPY libs/shared /app/libs/shared",
    "ARG APP_VERSION=0.0.0",
    "ARG BUILD_NUMBER=0",
    "RUN echo $APP_VERSION $BUILD_NUMBER > /app/version",
    "FROM build AS dev",
    "COPY services/api/test /app/test",
    "COPY services/api/dev /app/dev",
    "FROM busybox:1.36 AS production",
    "COPY --from=build /app /app",
    "",
  ].join("\n"),
};

describe("the inputs of a target, read from disk, and why it rebuilds", () => {
  let root: string;
  const write = (file: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  const planOf = (environment: string, buildArgs: Record<string, string> = {}): BuildPlan =>
    planBuildFromFiles({
      context: root,
      dockerfile: path.join(root, "services/api/Dockerfile"),
      environment,
      buildArgs,
      volatileArgs: ["BUILD_NUMBER"],
      environments: { production: { allowUnpinnedBaseImages: true } },
    });
  const hashes = (): Record<string, string> => ({
    dev: targetInputs(planOf("dev")).hash,
    production: targetInputs(planOf("production")).hash,
  });

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-inputs-"));
    for (const [file, text] of Object.entries(FILES)) write(file, text);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("admits exactly the files the closure copies, after the user's .dockerignore", () => {
    const prod = targetInputs(planOf("production"));
    assert.deepEqual(prod.files, ["libs/shared/index.js", "services/api/package.json", "services/api/src/index.js"]);
    const dev = targetInputs(planOf("dev"));
    assert.deepEqual(dev.files, [
      "libs/shared/index.js",
      "services/api/dev/seed.sql",
      "services/api/package.json",
      "services/api/src/index.js",
      "services/api/test/index.test.js",
    ]);
    assert.deepEqual(
      prod.stages.map((s) => [s.stage, Object.keys(s.files)]),
      [
        ["deps", ["services/api/package.json"]],
        ["build", ["libs/shared/index.js", "services/api/src/index.js"]],
        ["production", []],
      ],
    );
  });

  it("the ignore file admits those files and nothing else, by Docker's own matching rules", () => {
    const prod = targetInputs(planOf("production"));
    const rules = ignore().add(prod.ignoreFile);
    const every = (dir: string): string[] =>
      fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
        const rel = path.posix.join(dir, e.name);
        return e.isDirectory() ? every(rel) : [rel.replace(/^\.\//, "")];
      });
    const admitted = every(".").filter((f) => !rules.ignores(f));
    assert.deepEqual(admitted.sort(), [...prod.files]);
    // A folder copied whole, with nothing ignored inside, is one line.
    assert.ok(prod.ignoreFile.split("\n").includes("!libs/shared"));
    assert.ok(prod.ignoreFile.split("\n").includes("!services/api/src/index.js"), "src holds an ignored log");
  });

  it("an edit outside the closure changes nothing; inside it, only the targets that read it", () => {
    const before = hashes();
    write("README.md", "# edited\n");
    write("services/web/src/index.html", "<html>edited</html>\n");
    write("services/api/src/debug.log", "more noise\n");
    assert.deepEqual(hashes(), before, "README, another service and an ignored file");
    write("services/api/test/index.test.js", "test 2\n");
    const afterTest = hashes();
    assert.equal(afterTest.production, before.production, "a test file: production stays");
    assert.notEqual(afterTest.dev, before.dev);
    write("libs/shared/index.js", "module.exports = 2;\n");
    const afterLib = hashes();
    assert.notEqual(afterLib.production, afterTest.production);
    assert.notEqual(afterLib.dev, afterTest.dev);
  });

  it("a new file in a copied folder, a mode change and a build-arg change are changes; a volatile arg is not", () => {
    const base = targetInputs(planOf("production")).hash;
    assert.equal(targetInputs(planOf("production", { BUILD_NUMBER: "42" })).hash, base);
    assert.notEqual(targetInputs(planOf("production", { APP_VERSION: "1.0.0" })).hash, base);
    fs.chmodSync(path.join(root, "services/api/src/index.js"), 0o755);
    const chmod = targetInputs(planOf("production")).hash;
    assert.notEqual(chmod, base);
    write("services/api/src/extra.js", "x\n");
    assert.notEqual(targetInputs(planOf("production")).hash, chmod);
  });

  it("a label or an annotation is a change; the release's labels (commit, version) and the target's are not", () => {
    const with_ = (extra: Partial<BuildPlanOptions>): string =>
      targetInputs(
        planBuildFromFiles({
          context: root,
          dockerfile: path.join(root, "services/api/Dockerfile"),
          environment: "production",
          environments: { production: { allowUnpinnedBaseImages: true } },
          builder: "farm",
          ...extra,
        }),
      ).hash;
    const base = with_({});
    // With none, the hash is the one it was before labels existed (the default target label is not hashed).
    assert.equal(base, with_({ defaultLabels: false }));
    assert.equal(with_({ gitSha: "0123456789abcdef0123456789abcdef01234567", version: "1.2.3" }), base);
    assert.equal(with_({ gitSha: "89abcdef0123456789abcdef0123456789abcdef", version: "1.2.4" }), base);
    const labelled = with_({ labels: { "com.example.team": "payments" } });
    assert.notEqual(labelled, base);
    assert.notEqual(with_({ labels: { "com.example.team": "search" } }), labelled);
    assert.notEqual(with_({ sourceUrl: "https://github.com/example/app" }), base);
    assert.notEqual(with_({ annotations: { "org.opencontainers.image.description": "API" } }), base);
    // A revision the user sets is theirs, and counts.
    assert.notEqual(with_({ labels: { "org.opencontainers.image.revision": "v1" } }), base);
    // The build settings change how it builds, not what: no change.
    assert.equal(
      with_({ network: "none", noCache: true, pull: true, shmSize: "64MB", ulimits: ["nofile=10:20"] }),
      base,
    );
  });

  it("a named directory context counts by the files the closure copies from it, nothing else of it", () => {
    write("libs/shared/unused.txt", "u\n");
    write("services/ctx/Dockerfile", "FROM busybox:1.36 AS build\nCOPY --from=shared index.js /app/index.js\n");
    const hash = (): string =>
      targetInputs(
        planBuildFromFiles({
          context: root,
          dockerfile: path.join(root, "services/ctx/Dockerfile"),
          environment: "dev",
          builder: "farm",
          contexts: { shared: path.join(root, "libs/shared") },
        }),
      ).hash;
    const base = hash();
    write("libs/shared/unused.txt", "edited\n");
    assert.equal(hash(), base, "a file of the context the closure does not copy");
    write("libs/shared/index.js", "module.exports = 2;\n");
    assert.notEqual(hash(), base, "the file it copies");
    fs.rmSync(path.join(root, "libs/shared"), { recursive: true });
    assert.throws(hash, (err: Error & { diagnostics?: Array<{ property?: string }> }) => {
      assert.equal(err.diagnostics?.[0]?.property, "contexts.shared");
      return /does not exist/.test(err.message);
    });
  });

  it("says why: the file and the stage it changed, the stages built on it, the arg, the base image", () => {
    const first = inputsRecord(targetInputs(planOf("production")));
    assert.deepEqual(rebuildReason(undefined, first).rebuild, true);
    assert.deepEqual(rebuildReason(first, first), {
      rebuild: false,
      causes: [],
      summary: "unchanged: the inputs hash is the last build's",
    });
    write("services/api/src/index.js", "console.log('api 2');\n");
    const edited = inputsRecord(targetInputs(planOf("production")));
    const reason = rebuildReason(first, edited);
    assert.equal(reason.rebuild, true);
    assert.deepEqual(
      reason.causes.map((c) => [c.stage, c.kind, c.detail]),
      [
        ["build", "file", "services/api/src/index.js changed"],
        ["production", "copied-stage", 'copies from stage "build", which changed'],
      ],
    );
    assert.equal(
      reason.summary,
      'stage "build": services/api/src/index.js changed; stage "production": copies from stage "build", which changed',
    );
    const argued = inputsRecord(targetInputs(planOf("production", { APP_VERSION: "2.0.0" })));
    assert.deepEqual(rebuildReason(edited, argued).causes[0], {
      stage: "build",
      kind: "arg",
      detail: "arg APP_VERSION changed",
    });
    const bumped = inputsRecord(targetInputs(planOf("production", { BASE: "busybox:1.37" })));
    assert.deepEqual(
      rebuildReason(edited, bumped).causes.map((c) => c.detail),
      [
        "base image busybox:1.36 → busybox:1.37",
        "arg BASE changed",
        'builds on stage "deps", which changed',
        'copies from stage "build", which changed',
      ],
    );
  });

  it("a base republished under the same tag: its digest changes the inputs of every stage on it, named", () => {
    const plan = planOf("production");
    assert.deepEqual(closureImages(plan).sort(), ["busybox:1.36"]);
    const a = `sha256:${"a".repeat(64)}`;
    const b = `sha256:${"b".repeat(64)}`;
    // Without digests (no engine at hand) the hash is what it was; with them, it follows them.
    const unresolved = targetInputs(plan);
    const before = targetInputs(plan, { "busybox:1.36": a });
    assert.notEqual(before.hash, unresolved.hash);
    assert.deepEqual(before.stages.find((s) => s.stage === "production")?.digests, { "busybox:1.36": a });
    assert.equal(targetInputs(plan, { "busybox:1.36": a }).hash, before.hash);
    // Another image's digest does not count: only the closure's.
    assert.equal(targetInputs(plan, { "busybox:1.36": a, "node:20": b }).hash, before.hash);
    const after = targetInputs(plan, { "busybox:1.36": b });
    assert.notEqual(after.hash, before.hash);
    assert.deepEqual(
      rebuildReason(inputsRecord(before), inputsRecord(after)).causes.map((c) => [c.stage, c.kind, c.detail]),
      [
        ["deps", "base-image", "base image busybox:1.36 changed (sha256:aaaaaaaaaaaa → sha256:bbbbbbbbbbbb)"],
        ["build", "base-stage", 'builds on stage "deps", which changed'],
        ["production", "base-image", "base image busybox:1.36 changed (sha256:aaaaaaaaaaaa → sha256:bbbbbbbbbbbb)"],
        ["production", "copied-stage", 'copies from stage "build", which changed'],
      ],
    );
    assert.match(
      rebuildReason(inputsRecord(unresolved), inputsRecord(before)).summary,
      /stage "deps": base image busybox:1\.36 resolved to sha256:aaaaaaaaaaaa/,
    );
    // A record kept before digests existed (older state) reads as none resolved.
    const old = {
      ...inputsRecord(unresolved),
      stages: inputsRecord(unresolved).stages.map(({ digests: _, ...s }) => s),
    };
    assert.equal(rebuildReason(old, inputsRecord(before)).rebuild, true);
  });

  it("writes the closure Dockerfile and its <Dockerfile>.dockerignore at a path that stays the same", () => {
    const plan = planOf("production");
    const inputs = targetInputs(plan);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-closure-"));
    try {
      const file = writeClosureFiles(plan, inputs, out);
      assert.equal(fs.readFileSync(file, "utf8"), plan.closure?.dockerfile);
      assert.equal(fs.readFileSync(`${file}.dockerignore`, "utf8"), inputs.ignoreFile);
      const mtime = fs.statSync(file).mtimeMs;
      assert.equal(writeClosureFiles(plan, inputs, out), file);
      assert.equal(fs.statSync(file).mtimeMs, mtime, "unchanged files are not rewritten");
      assert.notEqual(writeClosureFiles(planOf("dev"), targetInputs(planOf("dev")), out), file);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it("a closure that reads the whole context keeps the user's rules as they are", () => {
    write("services/api/Dockerfile", "FROM busybox:1.36 AS production\nCOPY . /app\n");
    const inputs = targetInputs(planOf("production"));
    assert.equal(inputs.wholeContext?.what, "COPY . /app");
    assert.equal(inputs.ignoreFile, FILES[".dockerignore"]);
    assert.ok(inputs.files.includes("README.md"));
    assert.ok(!inputs.files.includes("services/api/src/debug.log"));
  });

  it("the inputs hash and the image resource's fingerprint change on the same settings: one rule (imageSettings)", () => {
    const plan = (options: Partial<BuildPlanOptions>): BuildPlan =>
      planBuildFromFiles({
        context: root,
        dockerfile: path.join(root, "services/api/Dockerfile"),
        environment: "dev",
        builder: "ci-farm",
        volatileArgs: ["BUILD_NUMBER"],
        ...options,
      });
    const both = (options: Partial<BuildPlanOptions>): [string, string] => {
      const p = plan(options);
      const inputs = inputsRecord(targetInputs(p));
      const request = {
        plan: p,
        inputs,
        references: [],
        push: false,
        registry: { server: "r" },
        closureDockerfile: "",
      };
      return [inputs.hash, fingerprint(request)];
    };
    const base = both({ buildArgs: { APP_VERSION: "1" } });
    const changes: Array<[string, Partial<BuildPlanOptions>, boolean]> = [
      ["a declared arg's value", { buildArgs: { APP_VERSION: "2" } }, true],
      ["a volatile arg's value", { buildArgs: { APP_VERSION: "1", BUILD_NUMBER: "7" } }, false],
      ["an arg no stage declares", { buildArgs: { APP_VERSION: "1", UNUSED: "x" } }, false],
      ["a label", { buildArgs: { APP_VERSION: "1" }, labels: { team: "api" } }, true],
      ["an annotation", { buildArgs: { APP_VERSION: "1" }, annotations: { "org.example.a": "b" } }, true],
      ["the release's version label", { buildArgs: { APP_VERSION: "1" }, version: "9.9.9" }, false],
      // Each build setting as its table column says (none rebuilds today: they change how, not what, is built).
      ...BUILD_SETTINGS.map(([name, column]): [string, Partial<BuildPlanOptions>, boolean] => {
        assert.ok(name in SETTING_VALUES, `no sample value for the build setting ${name}`);
        return [name, { buildArgs: { APP_VERSION: "1" }, [name]: SETTING_VALUES[name] }, column.rebuilds === true];
      }),
    ];
    const wrong = changes
      .map(([what, options, rebuilds]) => {
        const [hash, print] = both(options);
        return [what, hash !== base[0], print !== base[1], rebuilds] as const;
      })
      .filter(([, hash, print, rebuilds]) => hash !== rebuilds || print !== rebuilds)
      .map(
        ([what, hash, print]) =>
          `${what}: inputs hash ${hash ? "changed" : "same"}, fingerprint ${print ? "changed" : "same"}`,
      );
    assert.deepEqual(wrong, []);
  });

  it("a build setting whose column says it rebuilds counts in both, and only while in use", () => {
    const p = planBuildFromFiles({
      context: root,
      dockerfile: path.join(root, "services/api/Dockerfile"),
      environment: "dev",
      builder: "ci-farm",
      ulimits: ["nofile=1024:2048"],
    });
    const columns = BUILD_SETTINGS.map(
      ([name, column]) => [name, name === "ulimits" ? { ...column, rebuilds: true } : column] as const,
    );
    assert.deepEqual(imageSettings(p).rebuilding, []);
    assert.deepEqual(imageSettings(p, columns).rebuilding, [{ settings: [["ulimits", ["nofile=1024:2048"]]] }]);
    assert.deepEqual(imageSettings({ ...p, settings: { ...p.settings, ulimits: [] } }, columns).rebuilding, []);
  });
});

/** A value for each build setting that asks for something (every one, with a builder). */
const SETTING_VALUES: Record<string, unknown> = {
  network: "none",
  addHosts: ["db:10.0.0.5"],
  noCache: true,
  noCacheFilter: ["build"],
  pull: true,
  shmSize: "64MB",
  allow: ["security.insecure"],
  ulimits: ["nofile=1024:2048"],
};
