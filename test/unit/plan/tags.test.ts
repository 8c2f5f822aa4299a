import { strict as assert } from "assert";
import { parseDockerfile } from "../../../src/dockerfile";
import {
  type BuildPlanOptions,
  type Diagnostic,
  type MultiStageError,
  planBuild,
  releaseTags,
  tagsFor,
  withInputsHash,
} from "../../../src/plan";

describe("Tag strategy", () => {
  const ctx = {
    env: "production",
    target: "app",
    gitSha: "0123456789abcdef0123456789abcdef01234567",
    version: "1.4.0",
  };

  it("defaults to {env}-{gitShortSha}, or {env}-{inputsHash} without git, filled in once the inputs are read", () => {
    assert.deepEqual(tagsFor(undefined, ctx), ["production-0123456789ab"]);
    const tags = tagsFor(undefined, { env: "dev", target: "builder" });
    assert.deepEqual(tags, ["dev-{inputsHash}"]);
    assert.deepEqual(withInputsHash(tags, `sha256:${"ab12".repeat(16)}`), ["dev-ab12ab12ab12"]);
    assert.deepEqual(withInputsHash(["v{inputsHash}-{inputsHash}", "latest"], "0123456789abcdef"), [
      "v0123456789ab-0123456789ab",
      "latest",
    ]);
  });

  it("checks a tag with {inputsHash} at the length it will have (12 hex digits)", () => {
    const diagnostics: Diagnostic[] = [];
    // 116 + 12 = 128 characters: the longest tag Docker accepts; one more is refused.
    releaseTags(ctx, { tagStrategy: `${"a".repeat(116)}{inputsHash}` }, diagnostics);
    assert.equal(diagnostics.length, 0);
    releaseTags(ctx, { tagStrategy: `${"a".repeat(117)}{inputsHash}` }, diagnostics);
    assert.equal(diagnostics.length, 1);
    assert.match(diagnostics[0].message, /is not a valid image tag/);
  });

  it("in an IMMUTABLE repository, refuses only a template without a per-release placeholder", () => {
    const diagnostics: Diagnostic[] = [];
    const noCommit = { env: "production", target: "app" };
    releaseTags(noCommit, { immutable: true }, diagnostics); // the default carries the inputs hash
    releaseTags(noCommit, { immutable: true, tagStrategy: "{env}-{inputsHash}" }, diagnostics);
    assert.equal(diagnostics.length, 0);
    releaseTags(noCommit, { immutable: true, tagStrategy: "{env}-{target}" }, diagnostics);
    assert.match(diagnostics[0].message, /"\{env\}-\{target\}" gives every release the same tag \("production-app"\)/);
  });

  it("expands a list of templates, a tag each, naming the template of any problem by index", () => {
    assert.deepEqual(tagsFor(["{env}-{gitShortSha}", "build-{target}", "v{version}"], ctx), [
      "production-0123456789ab",
      "build-app",
      "v1.4.0",
    ]);
    const diagnostics: Diagnostic[] = [];
    releaseTags(ctx, { tagStrategy: ["{env}-{gitShortSha}", "x-{nope}"] }, diagnostics);
    assert.deepEqual(
      diagnostics.map((d) => [d.property, d.code]),
      [["tagStrategy[1]", "invalid-tag-strategy"]],
    );
    const empty: Diagnostic[] = [];
    assert.deepEqual(releaseTags(ctx, { tagStrategy: [] }, empty), []);
    assert.match(empty[0].message, /empty list/);
    // IMMUTABLE: every template must change per release.
    const immutable: Diagnostic[] = [];
    releaseTags(ctx, { tagStrategy: ["{env}-{gitShortSha}", "build-{target}"], immutable: true }, immutable);
    assert.deepEqual(
      immutable.map((d) => d.property),
      ["tagStrategy[1]"],
    );
  });

  it("expands templates and functions", () => {
    assert.deepEqual(tagsFor("v{version}-{gitShortSha}", ctx), ["v1.4.0-0123456789ab"]);
    assert.deepEqual(
      tagsFor((c) => [`${c.env}-${c.version}`, c.target], ctx),
      ["production-1.4.0", "app"],
    );
  });

  it("refuses unknown placeholders, missing values and invalid tags", () => {
    assert.throws(
      () => tagsFor("{branch}", ctx),
      /tagStrategy: the template "\{branch\}" uses \{branch\}, which is not a placeholder\. Use \{env\}/,
    );
    assert.throws(
      () => tagsFor("v{version}", { env: "dev", target: "x" }),
      /\{version\}, which has no value here\. Pass version/,
    );
    assert.throws(() => tagsFor(() => ["-bad"], ctx), /tagStrategy: "-bad" is not a valid image tag/);
    assert.throws(
      () =>
        tagsFor(() => {
          throw new Error("no branch");
        }, ctx),
      /the tag strategy function threw: no branch/,
    );
    assert.throws(() => tagsFor(() => [], ctx), /returned \[\], not a non-empty list of tags/);
  });

  it("puts the unique release tag first and moving tags last, so a moving tag is never the only one", () => {
    const diagnostics: Diagnostic[] = [];
    const tags = releaseTags(
      { env: "dev", target: "builder", gitSha: ctx.gitSha },
      {
        fixed: [{ tag: "nightly", property: "tags[0]" }],
        moving: [
          { tag: "latest", property: "movingTags[0]" },
          { tag: "dev", property: "movingTags[1]" },
        ],
      },
      diagnostics,
    );
    assert.deepEqual(tags, ["dev-0123456789ab", "nightly", "latest", "dev"]);
    assert.deepEqual(diagnostics, []);
  });

  it("validates every tag once, prefix included, with the property it came from", () => {
    const diagnostics: Diagnostic[] = [];
    const tags = releaseTags(
      { env: "production", target: "app", gitSha: ctx.gitSha },
      {
        fixed: [
          { tag: "ok", property: "tags[0]" },
          { tag: "bad/tag:x", property: "tags[1]" },
          { tag: "x".repeat(120), property: "environments.production.tags[0]" },
        ],
        prefix: "migrations",
      },
      diagnostics,
    );
    assert.equal(tags[0], "migrations-production-0123456789ab");
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.property]),
      [
        ["invalid-tag", "tags[1]"],
        ["invalid-tag", "environments.production.tags[0]"],
      ],
    );
    assert.match(diagnostics[1].message, /\(131 characters\)/);
  });
});

describe("Tags two owners would push", () => {
  const DOCKERFILE =
    "FROM busybox:1.36 AS build\nRUN true\nFROM busybox:1.36 AS app\nCOPY --from=build /bin/true /true\n";
  const plan = (options: Partial<BuildPlanOptions>): Diagnostic[] => {
    try {
      planBuild(parseDockerfile(DOCKERFILE, "Dockerfile"), {
        context: ".",
        environment: "production",
        gitSha: "0123456789abcdef0123456789abcdef01234567",
        ...options,
      });
      return [];
    } catch (err) {
      return (err as MultiStageError).diagnostics.filter((d) => d.severity === "error");
    }
  };

  it("a template without {env} or {inputsHash} is refused when another environment pushes to the repository, per template", () => {
    const environments = { staging: {}, production: {} };
    assert.deepEqual(
      plan({ environments, tagStrategy: ["{env}-{gitShortSha}", "{gitShortSha}"] }).map((d) => d.property),
      ["tagStrategy[1]"],
    );
    assert.deepEqual(plan({ environments, tagStrategy: "{gitShortSha}-{inputsHash}" }), []);
    assert.deepEqual(plan({ environments: { production: {} }, tagStrategy: "{gitShortSha}" }), []);
  });

  it("not when the other environment shares the image (promotion): the same tag is the same digest", () => {
    const environments = { staging: {}, production: { promoteFrom: "staging" } };
    assert.deepEqual(plan({ environments, tagStrategy: "{gitShortSha}" }), []);
  });

  it("a tag in the registry cache's namespace (cache-*) is refused wherever it comes from", () => {
    const found = plan({ tags: ["cache-x"], movingTags: ["cache-latest"], tagStrategy: "cache-{gitShortSha}" });
    assert.deepEqual(found.map((d) => d.property).sort(), ["movingTags[0]", "tagStrategy", "tags[0]"]);
  });
});
