/** Cache entries as buildx and Bake write them: checked, made absolute, and kept free of credentials. */
import { strict as assert } from "assert";
import * as path from "path";
import { type BuildPlanOptions, cacheImage, parseCacheEntry, planBuild } from "../../../src/plan";
import { dockerfile, planProblems } from "../../helpers";

const PARSED = dockerfile(`
  FROM busybox:1.36 AS build
  FROM busybox:1.36 AS production
  COPY --from=build /a /a
`);
const plan = (extra: Partial<BuildPlanOptions>): ReturnType<typeof planBuild> =>
  planBuild(PARSED, { context: ".", environment: "production", gitSha: "0123456789ab", builder: "farm", ...extra });
const refused = (extra: Partial<BuildPlanOptions>): string[] => planProblems(() => plan(extra));

describe("cache entries (cacheFrom, cacheTo)", () => {
  it("parses key=value lists; an image is not one", () => {
    assert.deepEqual(parseCacheEntry("type=local,src=/c,digest=sha256:1"), {
      type: "local",
      attributes: [
        ["src", "/c"],
        ["digest", "sha256:1"],
      ],
    });
    assert.equal(parseCacheEntry("type=local,/c"), undefined);
    assert.equal(cacheImage("r.example/app:cache"), "r.example/app:cache");
    assert.equal(cacheImage("type=registry,ref=r.example/app:cache"), "r.example/app:cache");
    assert.equal(cacheImage("type=gha"), undefined);
  });

  it("keeps images and entries in order, the environment's after the common ones, local directories absolute", () => {
    const made = plan({
      cacheFrom: ["r.example/app:previous", "type=local,src=.cache/app"],
      cacheTo: ["type=local,dest=.cache/app,mode=max", "type=inline"],
      environments: {
        production: { cacheFrom: ["type=gha,scope=prod"], cacheTo: ["type=s3,bucket=c,region=eu-west-1"] },
      },
    });
    assert.deepEqual(made.cacheFrom, [
      "r.example/app:previous",
      `type=local,src=${path.resolve(".cache/app")}`,
      "type=gha,scope=prod",
    ]);
    assert.deepEqual(made.cacheTo, [
      `type=local,dest=${path.resolve(".cache/app")},mode=max`,
      "type=inline",
      "type=s3,bucket=c,region=eu-west-1",
    ]);
  });

  it("refuses a type, an attribute, a mode or a missing attribute, by path, with the closest name", () => {
    assert.deepEqual(
      refused({
        cacheFrom: ["type=locl,src=x", "type=local,source=x", "type=local,src", "not an image"],
        cacheTo: ["type=local,dest=x,mode=all", "type=s3,bucket=b", "type=inline,x=1"],
      }),
      [
        'cacheFrom[0]: "locl" is not a cache type to import from. Did you mean "local"?',
        'cacheFrom[1]: "source" is not an attribute of type=local to import.',
        "cacheFrom[1]: type=local needs src.",
        'cacheFrom[2]: "type=local,src" is not a list of key=value.',
        'cacheFrom[3]: "not an image" is neither an image nor a cache entry.',
        'cacheTo[0]: mode "all" is neither min nor max.',
        "cacheTo[1]: type=s3 needs region.",
        'cacheTo[2]: "x" is not an attribute of type=inline to export.',
      ],
    );
    // inline is an export only.
    assert.match(refused({ cacheFrom: ["type=inline"] })[0], /"inline" is not a cache type to import from/);
  });

  it("refuses credentials in an entry: they would be kept in the plan, the state and the log", () => {
    const found = refused({
      environments: {
        production: {
          cacheTo: ["type=s3,bucket=b,region=r,access_key_id=AKIA0,secret_access_key=s3cr3t"],
          cacheFrom: ["type=gha,token=ghs_x"],
        },
      },
    });
    assert.deepEqual(found, [
      "environments.production.cacheFrom[0]: holds a credential (token), which would be kept in the plan, the state and the build's log.",
      "environments.production.cacheTo[0]: holds a credential (access_key_id), which would be kept in the plan, the state and the build's log.",
      "environments.production.cacheTo[0]: holds a credential (secret_access_key), which would be kept in the plan, the state and the build's log.",
    ]);
    assert.ok(!found.join().includes("s3cr3t"));
  });

  it("without a builder: images and registry entries are read; any other type and any export are refused", () => {
    const noBuilder = { builder: undefined };
    assert.deepEqual(plan({ ...noBuilder, cacheFrom: ["r/app:c", "type=registry,ref=r/app:d"] }).cacheFrom, [
      "r/app:c",
      "type=registry,ref=r/app:d",
    ]);
    assert.deepEqual(
      refused({ ...noBuilder, cacheFrom: ["type=local,src=/c"], cacheTo: ["type=registry,ref=r/app:c"] }),
      [
        "cacheFrom[0]: type=local needs a builder: the Docker engine's own builder reads registry caches only.",
        "cacheTo[0]: exporting a cache needs a builder: the Docker engine's own builder exports none.",
      ],
    );
  });
});
