import { strict as assert } from "assert";
import { MultiStageError } from "../../../src/plan";
import { lambdaImageArgs, toLambdaImage } from "../../../src/consumers";
import { value } from "../../outputs";

const URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/fn@sha256:" + "ab".repeat(32);
const NONE = { provenance: false as const, sbom: false };
/** Each problem as `property: message`. */
const problems = (run: () => unknown): string[] => {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof MultiStageError, String(err));
    return err.diagnostics.map((d) => `${d.property}: ${d.message}`);
  }
  assert.fail("accepted");
};
const rejected = async (promise: Promise<unknown>): Promise<string[]> => {
  try {
    await promise;
  } catch (err) {
    return problems(() => {
      throw err;
    });
  }
  assert.fail("accepted");
};

describe("Lambda: one image manifest of one architecture", () => {
  it("lambdaImageArgs accepts one Lambda platform, common or per environment, and returns the args as they are", () => {
    const args = { context: "./fn", platform: "linux/arm64" };
    assert.equal(lambdaImageArgs(args), args);
    lambdaImageArgs({ environments: { dev: { platform: "linux/amd64" }, production: { platforms: ["linux/arm64"] } } });
  });

  it("lambdaImageArgs refuses, before anything is built, what would make an index or the wrong architecture", () => {
    assert.deepEqual(
      problems(() =>
        lambdaImageArgs({
          platforms: ["linux/amd64", "linux/arm64"],
          attestations: { sbom: true },
          environments: { production: { platform: "linux/arm/v7" } },
        }),
      ),
      [
        "attestations: make the push an image index with attestation manifests, which Lambda refuses.",
        "platforms: names 2 platforms: one push would be an index, which Lambda refuses.",
        'environments.production.platform: "linux/arm/v7" is not an architecture Lambda runs.',
      ],
    );
    // No platform: the building machine's, which need not be the function's.
    assert.deepEqual(
      problems(() => lambdaImageArgs({ environments: { dev: { platform: "linux/amd64" }, production: {} } })),
      [
        "platform: is not set: the image would be built for the building machine's platform, which need not be the function's.",
      ],
    );
  });

  it("toLambdaImage gives the function's image inputs from the plan", async () => {
    const image = {
      imageUri: URI,
      plan: { environment: "production", platforms: ["linux/arm64"], attestations: NONE },
    };
    assert.deepEqual(await value(toLambdaImage(image)), {
      packageType: "Image",
      imageUri: URI,
      architectures: ["arm64"],
    });
  });

  it("toLambdaImage refuses an index, the builder's own platform, an unpinned image", async () => {
    const of = (plan: object, imageUri = URI): Promise<unknown> =>
      value(toLambdaImage({ imageUri, plan: { environment: "production", attestations: NONE, ...plan } as never }));
    assert.match(
      (await rejected(of({ platforms: ["linux/amd64", "linux/arm64"] })))[0],
      /^plan\.platforms: .*builds linux\/amd64, linux\/arm64/,
    );
    assert.match((await rejected(of({ platforms: [] })))[0], /builder's own platform/);
    assert.match(
      (await rejected(of({ platforms: ["linux/amd64"], attestations: { provenance: "max", sbom: false } })))[0],
      /^plan\.attestations: .*index/,
    );
    assert.match(
      (await rejected(of({ platforms: ["linux/amd64"] }, "r.example/fn:latest")))[0],
      /not pinned by digest/,
    );
  });
});

describe("Lambda and attestations beside the image", () => {
  it("lambdaImageArgs takes attestations stored as referrers (the image stays one manifest), per environment too", () => {
    lambdaImageArgs({
      platform: "linux/arm64",
      attestations: { sbom: true, provenance: "max", store: "referrers" },
      environments: { production: { attestations: { sbom: true, store: "referrers" } } },
    });
    assert.deepEqual(
      problems(() =>
        lambdaImageArgs({ platform: "linux/arm64", environments: { production: { attestations: { sbom: true } } } }),
      ),
      [
        "environments.production.attestations: make the push an image index with attestation manifests, which Lambda refuses.",
      ],
    );
  });

  it("toLambdaImage takes a plan whose attestations are beside the image", async () => {
    const image = {
      imageUri: URI,
      plan: {
        environment: "production",
        platforms: ["linux/amd64"],
        attestations: { provenance: "max" as const, sbom: true, store: "referrers" as const },
      },
    };
    assert.deepEqual((await value(toLambdaImage(image))).architectures, ["x86_64"]);
  });
});

describe("Lambda's helpers on values as plain JavaScript or YAML sends them", () => {
  it("lambdaImageArgs of a non-object, or with null environments, is refused by property, not a TypeError", () => {
    assert.deepEqual(
      problems(() => lambdaImageArgs(null as never)),
      ["args: must be the component's args (an object), got null."],
    );
    // A null environment is the field check's to refuse, not a crash here.
    assert.doesNotThrow(() => lambdaImageArgs({ platform: "linux/arm64", environments: { dev: null } } as never));
  });

  it("toLambdaImage of a plain object without a plan's shape is refused naming plan, not a TypeError", async () => {
    assert.match(
      (await rejected(value(toLambdaImage({ imageUri: URI, plan: { environment: "prod" } } as never))))[0],
      /^plan: is not a MultiStageImage's plan \(it needs platforms and attestations\), got \{"environment":"prod"\}\.$/,
    );
  });
});
