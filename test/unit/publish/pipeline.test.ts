/**
 * The publish pipeline driven through a host of its own, without Docker or a registry: every
 * branch (reused, built, gated and failed, over budget, promoted, drift repaired, cancelled
 * between steps) by what the host was asked to do and what the pipeline reported.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { publish as providerPublish } from "../../../src/backends/docker-cli-provider";
import { parseDockerfile } from "../../../src/dockerfile";
import { DockerCommandError, type RegistryCredentials } from "../../../src/executor";
import { type ImageSize, RegistryError } from "../../../src/registry";
import { type BuildPlan, type BuildPlanOptions, inputsRecord, planBuild } from "../../../src/plan";
import { type PublishHost, type PublishRequest, publishImage } from "../../../src/publish";
import { targetInputs } from "../../../src/context";

const DIGEST = `sha256:${"d".repeat(64)}`;
/** The image config a digest's manifest names in the fake registry (`sha256:config` unless set). */
const configs: Record<string, string> = {};
const SOURCE = `sha256:${"5".repeat(64)}`;
const DOCKERFILE = "FROM busybox:1.36 AS test\nRUN true\nFROM busybox:1.36 AS app\nRUN true\n";

/** A plan of a small Dockerfile with a test stage, for `environment`, with `options` over the defaults. */
function planFor(
  environments: Record<string, object> = {},
  environment = "production",
  options: Partial<BuildPlanOptions> = {},
): BuildPlan {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-pipeline-"));
  fs.writeFileSync(path.join(dir, "Dockerfile"), DOCKERFILE);
  return planBuild(parseDockerfile(DOCKERFILE, path.join(dir, "Dockerfile")), {
    context: dir,
    dockerfile: path.join(dir, "Dockerfile"),
    environment,
    environments,
    gitSha: "0123456789abcdef0123456789abcdef01234567",
    ...options,
  });
}

function request(plan: BuildPlan, extra: Partial<PublishRequest> = {}): PublishRequest {
  const inputs = inputsRecord(targetInputs(plan));
  return {
    plan,
    references: plan.tags.map((t) => `registry.example.com/team/app:${t}`),
    push: true,
    registry: { server: "registry.example.com", username: "ci", password: "pw" },
    inputs,
    closureDockerfile: plan.dockerfile,
    ...extra,
  };
}

/** A host that records every call; its registry holds `held` (tag or digest → digest). */
function fakeHost(
  held: Record<string, string> = {},
  options: { size?: number; gateFails?: boolean; controller?: AbortController; abortAfter?: string } = {},
): PublishHost & { calls: string[]; statuses: string[] } {
  const calls: string[] = [];
  const statuses: string[] = [];
  const step = (name: string): void => {
    calls.push(name);
    if (options.abortAfter === name) options.controller?.abort();
  };
  const size: ImageSize = {
    bytes: options.size ?? 1_000_000,
    largestLayers: [{ bytes: 900_000, createdBy: "RUN true" }],
  };
  return {
    calls,
    statuses,
    status: (line) => statuses.push(line),
    signal: options.controller?.signal,
    registry: {
      findManifest: async (repository: string, reference: string, access: { server: string }) => {
        step(`find ${access.server}/${repository}:${reference.replace(/^inputs-.*/, "inputs-<hash>")}`);
        return held[reference];
      },
      getManifest: async (repository: string, digest: string) => {
        step(`get ${repository}@${digest.slice(0, 13)}`);
        return {
          digest,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          body: { config: { digest: configs[digest] ?? "sha256:config", mediaType: "" } },
        };
      },
      tagManifest: async (repository: string, digest: string, tags: readonly string[]) => {
        step(`tag ${repository}@${digest.slice(0, 13)} ${tags.join(",")}`);
        held[tags[0]] = digest;
      },
      imageSize: async () => {
        step("measure");
        return size;
      },
    },
    builder: {
      login: async (c: RegistryCredentials) => step(`login ${c.server}`),
      testGate: async (plan: BuildPlan) => {
        step(`gate ${plan.testTarget}`);
        if (options.gateFails)
          throw new DockerCommandError(
            "docker build --target test .",
            1,
            '#5 [test 2/2] RUN true\n#5 0.1 not ok 1 - adds\n#5 ERROR: process "/bin/sh -c true" did not complete successfully: exit code: 1',
            "test gate",
          );
      },
      buildImage: async (plan: BuildPlan, repository: string, o: { push: boolean }) => {
        step(`build ${plan.tags.map((t) => t.replace(/^inputs-.*/, "inputs-<hash>")).join(",")} push=${o.push}`);
        held[DIGEST] = DIGEST;
        return {
          digest: DIGEST,
          imageUri: `${repository}@${DIGEST}`,
          references: plan.tags.map((t) => `${repository}:${t}`),
        };
      },
      pull: async (reference: string) => step(`pull ${reference}`),
      tag: async (source: string, target: string) => step(`docker tag ${target}`),
      push: async (references: readonly string[]) => {
        step(`push ${references.join(",")}`);
        return { digest: DIGEST, imageUri: `x@${DIGEST}`, references: [...references] };
      },
      dispose: () => step("dispose"),
    } as unknown as PublishHost["builder"],
  };
}

describe("The publish pipeline, through a host of its own", () => {
  it("reused: the registry holds the inputs tag, so it is measured and tagged; nothing is built", async () => {
    const plan = planFor();
    const req = request(plan);
    const host = fakeHost({ [`inputs-${req.inputs.hash.replace("sha256:", "")}`]: DIGEST });
    const result = await publishImage(req, undefined, host);
    assert.equal(result.reused, true);
    assert.equal(result.imageUri, `registry.example.com/team/app@${DIGEST}`);
    assert.match(
      result.rebuildReason,
      /^reused: the registry holds inputs-[0-9a-f]{64} \(same inputs\); nothing built$/,
    );
    assert.deepEqual(host.calls, [
      "find registry.example.com/team/app:inputs-<hash>",
      "measure",
      `tag team/app@${DIGEST.slice(0, 13)} ${plan.tags.join(",")}`,
      "dispose",
    ]);
  });

  it("built: login, the gate, the build under the inputs tag alone, confirm, measure, then the release tags", async () => {
    const plan = planFor();
    const host = fakeHost();
    const result = await publishImage(request(plan), undefined, host);
    assert.equal(result.reused, false);
    assert.equal(result.digest, DIGEST);
    assert.match(result.rebuildReason, /^first build/);
    assert.deepEqual(host.calls, [
      "find registry.example.com/team/app:inputs-<hash>",
      "login registry.example.com",
      "gate test",
      "build inputs-<hash> push=true",
      `find registry.example.com/team/app:${DIGEST}`,
      "measure",
      `tag team/app@${DIGEST.slice(0, 13)} ${plan.tags.join(",")}`,
      "dispose",
    ]);
    assert.deepEqual(host.statuses, ["resolving its inputs in the registry", "tagging (1 tag)"]);
  });

  it("a push the registry does not hold is refused at confirm: no output names that digest", async () => {
    const host = fakeHost();
    host.registry.findManifest = async () => undefined;
    await assert.rejects(
      publishImage(request(planFor()), undefined, host),
      /confirm in registry\.example\.com failed: the push reported sha256:d+/,
    );
    assert.deepEqual(host.calls.at(-1), "dispose");
  });

  it("gated and failed: the test's own line is said, nothing is built or tagged", async () => {
    const host = fakeHost({}, { gateFails: true });
    await assert.rejects(publishImage(request(planFor()), undefined, host), (err: Error) => {
      assert.match(err.message, /^test gate of environment "production" failed in stage "test"/);
      assert.match(err.message, /what failed:\n {2}\| not ok 1 - adds/);
      return true;
    });
    assert.ok(!host.calls.some((c) => c.startsWith("build") || c.startsWith("tag")), host.calls.join("\n"));
    assert.equal(host.calls.at(-1), "dispose");
  });

  it("over budget: measured, refused naming the property, and given no release tag", async () => {
    const plan = planFor({ production: { sizeBudget: "500kB" } });
    const host = fakeHost({}, { size: 2_000_000 });
    await assert.rejects(
      publishImage(request(plan), undefined, host),
      /environments\.production\.sizeBudget: the image is 2\.0 MB, over its budget of 0\.5 MB; its largest layers: 0\.9 MB "RUN true"/,
    );
    assert.ok(host.calls.includes("measure"));
    assert.ok(!host.calls.some((c) => c.startsWith("tag")), host.calls.join("\n"));
  });

  it("promoted in the same repository: the source's manifest gets this environment's tags; nothing built", async () => {
    const plan = planFor({ staging: {}, production: { promoteFrom: "staging" } });
    const req = request(plan, { promote: { from: "staging", hash: `sha256:${"7".repeat(64)}` } });
    const host = fakeHost({ [`inputs-${"7".repeat(64)}`]: SOURCE });
    const result = await publishImage(req, undefined, host);
    assert.equal(result.digest, SOURCE);
    assert.equal(result.reused, true);
    assert.match(
      result.rebuildReason,
      /^promoted from staging: registry\.example\.com\/team\/app@sha256:5+ \(inputs-7+\); nothing built$/,
    );
    assert.deepEqual(host.calls, [
      "find registry.example.com/team/app:inputs-<hash>",
      `tag team/app@${SOURCE.slice(0, 13)} ${plan.tags.join(",")}`,
      "dispose",
    ]);
  });

  it("promoted from another repository: pulled by digest, tagged and pushed with the same credentials", async () => {
    const plan = planFor({ staging: {}, production: { promoteFrom: "staging" } });
    const req = request(plan, {
      promote: {
        from: "staging",
        hash: `sha256:${"7".repeat(64)}`,
        repository: "registry.example.com/team/app-staging",
      },
    });
    const host = fakeHost({ [`inputs-${"7".repeat(64)}`]: SOURCE });
    const result = await publishImage(req, undefined, host);
    assert.equal(result.digest, DIGEST);
    assert.deepEqual(host.calls.slice(1, 4), [
      `find registry.example.com/team/app:${plan.tags[0]}`,
      "login registry.example.com",
      `pull registry.example.com/team/app-staging@${SOURCE}`,
    ]);
    assert.ok(host.calls.some((c) => c.startsWith("push registry.example.com/team/app:")));
  });

  it("promoted from another repository again (empty state): the copy already there is the release, nothing pushed", async () => {
    const plan = planFor({ staging: {}, production: { promoteFrom: "staging" } });
    const req = request(plan, {
      promote: {
        from: "staging",
        hash: `sha256:${"7".repeat(64)}`,
        repository: "registry.example.com/team/app-staging",
      },
    });
    const copy = `sha256:${"c".repeat(64)}`;
    const host = fakeHost({ [`inputs-${"7".repeat(64)}`]: SOURCE, [plan.tags[0]]: copy });
    const result = await publishImage(req, undefined, host);
    assert.equal(result.digest, copy);
    assert.match(result.rebuildReason, /the copy in registry\.example\.com\/team\/app is already there$/);
    assert.ok(!host.calls.some((c) => /^(pull|push) /.test(c)), host.calls.join("\n"));
    // The same tags naming another image (its config differs): copied again, and the registry decides.
    configs[copy] = "sha256:another-config";
    const stale = fakeHost({ [`inputs-${"7".repeat(64)}`]: SOURCE, [plan.tags[0]]: copy });
    await publishImage(req, undefined, stale);
    assert.ok(stale.calls.some((c) => c.startsWith(`pull registry.example.com/team/app-staging@${SOURCE}`)));
    delete configs[copy];
  });

  it("a promotion whose source has no image with its inputs says to run the source first", async () => {
    const plan = planFor({ staging: {}, production: { promoteFrom: "staging" } });
    const req = request(plan, { promote: { from: "staging", hash: `sha256:${"7".repeat(64)}` } });
    await assert.rejects(publishImage(req, undefined, fakeHost()), /run pulumi up on "staging" first/);
  });

  it("drift repaired: the update after a refresh found drift says so first", async () => {
    const plan = planFor();
    const req = request(plan);
    const host = fakeHost({ [`inputs-${req.inputs.hash.replace("sha256:", "")}`]: DIGEST });
    const previous = {
      ...(await publishImage(req, undefined, fakeHost())),
      fingerprint: "f",
      drift: "tag production-x is gone",
    };
    const result = await providerPublish(req, previous, host);
    assert.match(result.rebuildReason, /^repaired \(tag production-x is gone\): reused: the registry holds inputs-/);
    assert.equal(result.drift, undefined);
  });

  for (const [after, next] of [
    ["find registry.example.com/team/app:inputs-<hash>", "gate"],
    ["gate test", "build"],
    ["build inputs-<hash> push=true", "confirm"],
    ["measure", "release"],
  ] as const)
    it(`cancelled after ${after.split(" ")[0]}: stops before its ${next} step, and the builder is disposed`, async () => {
      const controller = new AbortController();
      const host = fakeHost({}, { controller, abortAfter: after });
      await assert.rejects(
        publishImage(request(planFor()), undefined, host),
        new RegExp(`cancelled before its ${next} step: nothing from that step on ran`),
      );
      assert.equal(host.calls.at(-2), after, host.calls.join("\n"));
      assert.equal(host.calls.at(-1), "dispose");
    });
});

/** Signatures the fake supply chain holds: image → signatures by public key, with annotations. */
type Signatures = Record<string, Array<{ publicKey: string; annotations: Record<string, string> }>>;

/** A supply chain that signs with keys named `K…` (public `PUB:K…`), records calls, and gates by `gate`'s exit. */
function fakeChain(
  host: { calls: string[] },
  signatures: Signatures = {},
  options: { gateFails?: boolean; attested?: string[] } = {},
): NonNullable<PublishHost["supplyChain"]> {
  const short = (image: string): string => image.replace(/@sha256:(.{4}).*/, "@$1");
  return {
    publicKey: async (key) => `PUB:${key.key}`,
    sign: async (image, key, annotations) => {
      host.calls.push(`sign ${short(image)} ${annotations["dev.multistage.environment"]}`);
      (signatures[image] ??= []).push({ publicKey: `PUB:${key.key}`, annotations: { ...annotations } });
    },
    verify: async (image, keys, annotations = {}) => {
      host.calls.push(`verify ${short(image)} ${keys.join("+")}`);
      const found = (signatures[image] ?? []).filter(
        (s) => keys.includes(s.publicKey) && Object.entries(annotations).every(([k, v]) => s.annotations[k] === v),
      );
      return {
        verified: found.length > 0,
        signatures: found,
        detail: found.length ? "" : "no matching signatures: missing or incorrect annotation",
      };
    },
    attestationTypes: async () => [...(options.attested ?? [])],
    attest: async (image, _key, kind) => {
      host.calls.push(`attest ${kind} ${short(image)}`);
    },
    sbom: async (image) => {
      host.calls.push(`sbom ${short(image)}`);
      return "{}";
    },
    gate: async (command, variables) => {
      host.calls.push(`release gate ${command} ${short(variables.MULTISTAGE_IMAGE)}`);
      if (options.gateFails)
        throw new DockerCommandError("/bin/sh -c scan", 3, "CVE-2026-0001 critical in libfoo 1.2", "release gate");
      return "clean";
    },
  };
}

describe("The publish pipeline's release steps: signing, verification, attestations, the release gate", () => {
  const signing = { key: "K1" };
  const hashTag = (req: PublishRequest): string => `inputs-${req.inputs.hash.replace("sha256:", "")}`;
  const withRelease = (
    environments: Record<string, object>,
    environment: string,
    signing: { key: boolean; publicKeys: string[] },
    builder?: string,
  ): BuildPlan => planFor(environments, environment, { signing, ...(builder ? { builder } : {}) });

  it("built and signed: the signature (inputs hash, environment) is made before the release tags", async () => {
    const plan = withRelease({}, "staging", { key: true, publicKeys: [] });
    const host = fakeHost();
    const sigs: Signatures = {};
    const req = request(plan, { signing });
    const result = await publishImage(req, undefined, { ...host, supplyChain: fakeChain(host, sigs) });
    const signAt = host.calls.indexOf("sign registry.example.com/team/app@dddd staging");
    const tagAt = host.calls.findIndex((c) => c.startsWith("tag "));
    assert.ok(signAt > 0 && signAt < tagAt, host.calls.join("\n"));
    assert.deepEqual(sigs[`registry.example.com/team/app@${DIGEST}`][0].annotations, {
      "dev.multistage.inputs": req.inputs.hash,
      "dev.multistage.environment": "staging",
    });
    assert.ok((result.timings?.sign ?? -1) >= 0);
  });

  it("production refuses an image found by its inputs that no trusted key signed, naming the digest; no tags", async () => {
    const plan = withRelease({}, "production", { key: true, publicKeys: [] });
    const req = request(plan, { signing });
    const host = fakeHost({ [hashTag(req)]: DIGEST });
    await assert.rejects(
      publishImage(req, undefined, { ...host, supplyChain: fakeChain(host) }),
      new RegExp(
        `environment "production" refuses registry\\.example\\.com/team/app@${DIGEST}: it carries no signature by a trusted key \\(1 key\\) for inputs ${req.inputs.hash}`,
      ),
    );
    assert.ok(!host.calls.some((c) => c.startsWith("tag ") || c.startsWith("sign ")), host.calls.join("\n"));
  });

  it("production refuses a signature by another key, and one for other inputs", async () => {
    const plan = withRelease({}, "production", { key: true, publicKeys: ["PUB:K2"] });
    const req = request(plan, { signing });
    const image = `registry.example.com/team/app@${DIGEST}`;
    for (const signature of [
      { publicKey: "PUB:K9", annotations: { "dev.multistage.inputs": req.inputs.hash } },
      { publicKey: "PUB:K2", annotations: { "dev.multistage.inputs": `sha256:${"0".repeat(64)}` } },
    ]) {
      const host = fakeHost({ [hashTag(req)]: DIGEST });
      await assert.rejects(
        publishImage(req, undefined, { ...host, supplyChain: fakeChain(host, { [image]: [signature] }) }),
        /refuses .* no signature by a trusted key \(2 keys\)/,
      );
      assert.ok(!host.calls.some((c) => c.startsWith("tag ")));
    }
  });

  it("production takes an image signed by a trusted key for these inputs, adds its own signature, then tags", async () => {
    const plan = withRelease({}, "production", { key: true, publicKeys: ["PUB:K2"] });
    const req = request(plan, { signing });
    const image = `registry.example.com/team/app@${DIGEST}`;
    const host = fakeHost({ [hashTag(req)]: DIGEST });
    const sigs: Signatures = {
      [image]: [
        {
          publicKey: "PUB:K2",
          annotations: { "dev.multistage.inputs": req.inputs.hash, "dev.multistage.environment": "staging" },
        },
      ],
    };
    await publishImage(req, undefined, { ...host, supplyChain: fakeChain(host, sigs) });
    const steps = host.calls.filter((c) => /^(verify|sign|tag) /.test(c)).map((c) => c.split(" ")[0]);
    // Verified, then its own signature looked for (none yet), made, and the tags.
    assert.deepEqual(steps, ["verify", "verify", "sign", "tag"]);
    assert.equal(sigs[image].length, 2);
  });

  it("an environment that only verifies builds nothing when the registry holds no image with its inputs", async () => {
    const plan = withRelease({}, "production", { key: false, publicKeys: ["PUB:K2"] });
    const host = fakeHost();
    await assert.rejects(
      publishImage(request(plan), undefined, { ...host, supplyChain: fakeChain(host) }),
      /releases only images signed by a trusted key, and registry\.example\.com\/team\/app has no image with these inputs \(inputs-[0-9a-f]{64}\) to verify; nothing was built/,
    );
    assert.ok(!host.calls.some((c) => c.startsWith("gate") || c.startsWith("build")), host.calls.join("\n"));
  });

  it("a promotion verifies the source's signature for the source's inputs before tagging", async () => {
    const plan = withRelease({ staging: {}, production: { promoteFrom: "staging" } }, "production", {
      key: false,
      publicKeys: ["PUB:K1"],
    });
    const hash = `sha256:${"7".repeat(64)}`;
    const req = request(plan, { promote: { from: "staging", hash } });
    const image = `registry.example.com/team/app@${SOURCE}`;
    const unsigned = fakeHost({ [`inputs-${"7".repeat(64)}`]: SOURCE });
    await assert.rejects(
      publishImage(req, undefined, { ...unsigned, supplyChain: fakeChain(unsigned) }),
      new RegExp(`refuses registry\\.example\\.com/team/app@${SOURCE}: it carries no signature`),
    );
    assert.ok(!unsigned.calls.some((c) => c.startsWith("tag ")));
    const signed = fakeHost({ [`inputs-${"7".repeat(64)}`]: SOURCE });
    const sigs: Signatures = { [image]: [{ publicKey: "PUB:K1", annotations: { "dev.multistage.inputs": hash } }] };
    const result = await publishImage(req, undefined, { ...signed, supplyChain: fakeChain(signed, sigs) });
    assert.equal(result.digest, SOURCE);
    assert.ok(signed.calls.some((c) => c.startsWith("tag ")));
  });

  it("a promotion to another repository verifies and gates the source before the copy, and signs the copy", async () => {
    const plan = withRelease(
      { staging: { releaseGate: undefined }, production: { promoteFrom: "staging", releaseGate: { command: "scan" } } },
      "production",
      {
        key: true,
        publicKeys: [],
      },
    );
    const hash = `sha256:${"7".repeat(64)}`;
    const req = request(plan, {
      signing,
      promote: { from: "staging", hash, repository: "registry.example.com/team/app-staging" },
    });
    const source = `registry.example.com/team/app-staging@${SOURCE}`;
    const host = fakeHost({ [`inputs-${"7".repeat(64)}`]: SOURCE });
    const sigs: Signatures = { [source]: [{ publicKey: "PUB:K1", annotations: { "dev.multistage.inputs": hash } }] };
    await publishImage(req, undefined, { ...host, supplyChain: fakeChain(host, sigs) });
    const order = host.calls
      .filter((c) => /^(verify|release gate|pull|push|sign) /.test(c))
      .map((c) => c.replace(/ .*@/, " @").split(" ").slice(0, 2).join(" "));
    assert.deepEqual(order, [
      "verify @5555",
      "release @5555",
      `pull @${SOURCE}`,
      "push registry.example.com/team/app:production-0123456789ab",
      "verify @dddd",
      "sign @dddd",
    ]);
  });

  it("the release gate runs with the digest-pinned reference; its failure refuses the release with its output", async () => {
    const plan = withRelease({ staging: { releaseGate: { command: "scan" } } }, "staging", {
      key: false,
      publicKeys: [],
    });
    const passing = fakeHost();
    await publishImage(request(plan), undefined, { ...passing, supplyChain: fakeChain(passing) });
    const gateAt = passing.calls.indexOf("release gate scan registry.example.com/team/app@dddd");
    assert.ok(gateAt > 0 && gateAt < passing.calls.findIndex((c) => c.startsWith("tag ")), passing.calls.join("\n"));
    const failing = fakeHost();
    await assert.rejects(
      publishImage(request(plan), undefined, { ...failing, supplyChain: fakeChain(failing, {}, { gateFails: true }) }),
      (err: Error) =>
        /^environments\.staging\.releaseGate: the release gate refused registry\.example\.com\/team\/app@sha256:d{64} \(exit 3\)/.test(
          err.message,
        ) && /CVE-2026-0001 critical/.test(err.message),
    );
    assert.ok(!failing.calls.some((c) => c.startsWith("tag ")), failing.calls.join("\n"));
  });

  it("attestations beside the image: an SBOM and the build's provenance, attested once each", async () => {
    const plan = withRelease(
      { staging: { attestations: { sbom: true, provenance: "max" } } },
      "staging",
      { key: true, publicKeys: [] },
      "ci-builder",
    );
    assert.equal(plan.attestations.store, "referrers");
    const host = fakeHost();
    const builder = host.builder as unknown as { buildImage: (...a: unknown[]) => Promise<Record<string, unknown>> };
    const build = builder.buildImage;
    builder.buildImage = async (...a) => ({ ...(await build(...a)), provenance: { buildType: "x" } });
    await publishImage(request(plan, { signing }), undefined, { ...host, supplyChain: fakeChain(host) });
    assert.deepEqual(
      host.calls.filter((c) => /^(sbom|attest) /.test(c)),
      [
        "sbom registry.example.com/team/app@dddd",
        "attest sbom registry.example.com/team/app@dddd",
        "attest provenance registry.example.com/team/app@dddd",
      ],
    );
    // Found again by its inputs with both attached: neither is made again.
    const again = fakeHost({ [hashTag(request(plan))]: DIGEST });
    await publishImage(request(plan, { signing }), undefined, {
      ...again,
      supplyChain: fakeChain(
        again,
        {},
        { attested: ["https://spdx.dev/Document", "https://slsa.dev/provenance/v0.2"] },
      ),
    });
    assert.ok(!again.calls.some((c) => /^(sbom|attest) /.test(c)), again.calls.join("\n"));
  });

  it("a plan that signs with no key given to the resource fails before anything is tagged", async () => {
    const plan = withRelease({}, "staging", { key: true, publicKeys: [] });
    const host = fakeHost();
    await assert.rejects(
      publishImage(request(plan), undefined, { ...host, supplyChain: fakeChain(host) }),
      /signs its images, but no signing key reached the image resource/,
    );
    assert.ok(!host.calls.some((c) => c.startsWith("tag ")));
  });
});

describe("The release path never skips itself: however the login was given", () => {
  const anonymous = { server: "registry.example.com" };
  const hashTag = (req: PublishRequest): string => `inputs-${req.inputs.hash.replace("sha256:", "")}`;

  it("without registry.username/password, an image found by its inputs is still verified: production refuses the unsigned one, untagged", async () => {
    const plan = planFor({}, "production", { signing: { key: false, publicKeys: ["PUB:K2"] } });
    const req = request(plan, { registry: anonymous });
    const host = fakeHost({ [hashTag(req)]: DIGEST });
    await assert.rejects(
      publishImage(req, undefined, { ...host, supplyChain: fakeChain(host) }),
      /environment "production" refuses registry\.example\.com\/team\/app@sha256:d{64}: it carries no signature/,
    );
    assert.ok(!host.calls.some((c) => c.startsWith("tag ") || c.startsWith("build")), host.calls.join("\n"));
  });

  it("without a login, a build is pushed under its inputs tag alone, confirmed, measured, gated and only then tagged", async () => {
    const plan = planFor({ staging: { releaseGate: { command: "scan" }, sizeBudget: "10MB" } }, "staging");
    const host = fakeHost();
    await publishImage(request(plan, { registry: anonymous }), undefined, { ...host, supplyChain: fakeChain(host) });
    const order = host.calls.map((c) => c.split(" ")[0]);
    assert.deepEqual(
      order.filter((c) => ["find", "build", "measure", "release", "tag"].includes(c)),
      ["find", "build", "find", "measure", "release", "tag"],
      host.calls.join("\n"),
    );
    assert.match(host.calls.find((c) => c.startsWith("build")) ?? "", /^build inputs-<hash> push=true$/);
    assert.ok(!host.calls.some((c) => c.startsWith("login")), "nothing to log in with");
  });

  it("a failing release gate without a login refuses the release: no tag", async () => {
    const plan = planFor({ staging: { releaseGate: { command: "scan" } } }, "staging");
    const host = fakeHost();
    await assert.rejects(
      publishImage(request(plan, { registry: anonymous }), undefined, {
        ...host,
        supplyChain: fakeChain(host, {}, { gateFails: true }),
      }),
      /the release gate refused/,
    );
    assert.ok(!host.calls.some((c) => c.startsWith("tag ")), host.calls.join("\n"));
  });

  it("the machine's own login is used for the builder and the API, and never reported", async () => {
    const plan = planFor({}, "staging");
    const host = fakeHost();
    const used: string[] = [];
    const registry = {
      ...host.registry,
      machineLogin: async (server: string) => ({ server, username: "robot", password: "from-the-machine" }),
      findManifest: async (repository: string, reference: string, access: { username?: string }) => {
        used.push(access.username ?? "anonymous");
        return host.registry.findManifest(repository, reference, access as RegistryCredentials);
      },
    };
    const result = await publishImage(request(plan, { registry: anonymous }), undefined, { ...host, registry });
    assert.ok(host.calls.includes("login registry.example.com"), host.calls.join("\n"));
    assert.deepEqual([...new Set(used)], ["robot"]);
    assert.ok(!JSON.stringify(result).includes("from-the-machine"));
  });

  it("a registry that refuses anonymous access: the error names the missing credentials and how to give them", async () => {
    const plan = planFor({}, "staging");
    const host = fakeHost();
    const registry = {
      ...host.registry,
      findManifest: async () => {
        throw new RegistryError(
          "HEAD https://registry.example.com/v2/team/app/manifests/x answered 401 Unauthorized.",
          401,
        );
      },
    };
    await assert.rejects(
      publishImage(request(plan, { registry: anonymous }), undefined, { ...host, registry }),
      (err: Error) =>
        /lookup in registry\.example\.com failed/.test(err.message) &&
        /No credentials for registry\.example\.com were found: registry\.username and registry\.password are not set/.test(
          err.message,
        ) &&
        /docker login registry\.example\.com/.test(err.message) &&
        !/overloaded/.test(err.message),
    );
  });

  it("a push the registry refused is said as a refusal, not as an overloaded registry", async () => {
    const plan = planFor({}, "staging");
    const host = fakeHost();
    const builder = {
      ...host.builder,
      buildImage: async () => {
        throw new DockerCommandError("docker push x", 1, "unauthorized: authentication required", "push");
      },
    } as PublishHost["builder"];
    await assert.rejects(
      publishImage(request(plan, { registry: anonymous }), undefined, { ...host, builder }),
      (err: Error) =>
        /push in registry\.example\.com failed/.test(err.message) &&
        /No credentials/.test(err.message) &&
        !/overloaded/.test(err.message),
    );
  });

  it("a registry server that is not the repository's host cannot be asked: the release steps are refused, not skipped", async () => {
    const plan = planFor({ staging: { releaseGate: { command: "scan" } } }, "staging");
    const host = fakeHost();
    await assert.rejects(
      publishImage(request(plan, { registry: { server: "other.example.com" } }), undefined, {
        ...host,
        supplyChain: fakeChain(host),
      }),
      /registry\.server: other\.example\.com is not the registry of registry\.example\.com\/team\/app.*release gate would not run; nothing was built/,
    );
    assert.ok(!host.calls.some((c) => c.startsWith("build") || c.startsWith("gate")), host.calls.join("\n"));
  });

  it("no error shows a secret the publish holds: the gate's output quoting the login and the signing key", async () => {
    const plan = planFor({ staging: { releaseGate: { command: "scan" } } }, "staging", {
      signing: { key: true, publicKeys: [] },
    });
    const host = fakeHost();
    const chain = fakeChain(host);
    const leaky = {
      ...chain,
      gate: async () => {
        throw new DockerCommandError(
          "/bin/sh -c scan",
          1,
          `{"auths":{"registry.example.com":{"auth":"${Buffer.from("ci:pw-secret-1").toString("base64")}"}}}\nkey K1-private-key-text pw-secret-1`,
          "release gate",
        );
      },
    };
    await assert.rejects(
      publishImage(
        request(plan, {
          registry: { server: "registry.example.com", username: "ci", password: "pw-secret-1" },
          signing: { key: "K1-private-key-text" },
        }),
        undefined,
        { ...host, supplyChain: leaky },
      ),
      (err: Error) =>
        /the release gate refused/.test(err.message) &&
        !err.message.includes("pw-secret-1") &&
        !err.message.includes(Buffer.from("ci:pw-secret-1").toString("base64")) &&
        !err.message.includes("K1-private-key-text"),
    );
  });
});

describe("Sign only after every check", () => {
  it("a failing release gate leaves no signature and no attestation of this environment; a passing one comes before them", async () => {
    const plan = planFor(
      { staging: { releaseGate: { command: "scan" }, attestations: { sbom: true, store: "referrers" } } },
      "staging",
      {
        signing: { key: true, publicKeys: [] },
      },
    );
    const failing = fakeHost();
    await assert.rejects(
      publishImage(request(plan, { signing: { key: "K1" } }), undefined, {
        ...failing,
        supplyChain: fakeChain(failing, {}, { gateFails: true }),
      }),
      /the release gate refused/,
    );
    assert.ok(!failing.calls.some((c) => /^(sign|attest|tag) /.test(c)), failing.calls.join("\n"));
    const passing = fakeHost();
    await publishImage(request(plan, { signing: { key: "K1" } }), undefined, {
      ...passing,
      supplyChain: fakeChain(passing),
    });
    const order = passing.calls.filter((c) => /^(release gate|sign|attest|tag) /.test(c)).map((c) => c.split(" ")[0]);
    assert.deepEqual(order, ["release", "sign", "attest", "tag"]);
  });
});

describe("A push the registry failed for a moment", () => {
  const failingOnce = (host: ReturnType<typeof fakeHost>, output: string): PublishHost["builder"] => {
    let failures = 0;
    return {
      ...host.builder,
      buildImage: async (...args: Parameters<PublishHost["builder"]["buildImage"]>) => {
        if (failures++ === 0) throw new DockerCommandError("docker push x", 1, output, "push");
        return host.builder.buildImage(...args);
      },
    } as PublishHost["builder"];
  };

  it("a 500 (another publisher pushing the same image at once) is pushed again once, and the publish succeeds", async () => {
    const host = fakeHost();
    const builder = failingOnce(host, "received unexpected HTTP status: 500 Internal Server Error");
    const result = await publishImage(request(planFor({}, "staging")), undefined, { ...host, builder });
    assert.equal(result.digest, DIGEST);
    assert.ok(host.statuses.includes("the push failed for a moment; pushing again"), host.statuses.join("\n"));
  });

  it("a refusal (401) is not pushed again", async () => {
    const host = fakeHost();
    const builder = failingOnce(host, "unauthorized: authentication required");
    await assert.rejects(
      publishImage(request(planFor({}, "staging")), undefined, { ...host, builder }),
      /push in registry\.example\.com failed/,
    );
    assert.ok(!host.calls.some((c) => c.startsWith("build")), "pushed again after a refusal");
  });
});
