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
import { DockerCommandError, type ImageSize, type RegistryCredentials } from "../../../src/executor";
import { type BuildPlan, inputsRecord, planBuild } from "../../../src/plan";
import { type PublishHost, type PublishRequest, publishImage } from "../../../src/publish";
import { targetInputs } from "../../../src/context";

const DIGEST = `sha256:${"d".repeat(64)}`;
const SOURCE = `sha256:${"5".repeat(64)}`;
const DOCKERFILE = "FROM busybox:1.36 AS test\nRUN true\nFROM busybox:1.36 AS app\nRUN true\n";

/** A plan of a small Dockerfile with a test stage, for `environment`. */
function planFor(environments: Record<string, object> = {}, environment = "production"): BuildPlan {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-pipeline-"));
  fs.writeFileSync(path.join(dir, "Dockerfile"), DOCKERFILE);
  return planBuild(parseDockerfile(DOCKERFILE, path.join(dir, "Dockerfile")), {
    context: dir,
    dockerfile: path.join(dir, "Dockerfile"),
    environment,
    environments,
    gitSha: "0123456789abcdef0123456789abcdef01234567",
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
    const result = await publishImage(req, undefined, {}, host);
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
    const result = await publishImage(request(plan), undefined, {}, host);
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
      publishImage(request(planFor()), undefined, {}, host),
      /confirm in registry\.example\.com failed: the push reported sha256:d+/,
    );
    assert.deepEqual(host.calls.at(-1), "dispose");
  });

  it("gated and failed: the test's own line is said, nothing is built or tagged", async () => {
    const host = fakeHost({}, { gateFails: true });
    await assert.rejects(publishImage(request(planFor()), undefined, {}, host), (err: Error) => {
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
      publishImage(request(plan), undefined, {}, host),
      /environments\.production\.sizeBudget: the image is 2\.0 MB, over its budget of 0\.5 MB; its largest layers: 0\.9 MB "RUN true"/,
    );
    assert.ok(host.calls.includes("measure"));
    assert.ok(!host.calls.some((c) => c.startsWith("tag")), host.calls.join("\n"));
  });

  it("promoted in the same repository: the source's manifest gets this environment's tags; nothing built", async () => {
    const plan = planFor({ staging: {}, production: { promoteFrom: "staging" } });
    const req = request(plan, { promote: { from: "staging", hash: `sha256:${"7".repeat(64)}` } });
    const host = fakeHost({ [`inputs-${"7".repeat(64)}`]: SOURCE });
    const result = await publishImage(req, undefined, {}, host);
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
    const result = await publishImage(req, undefined, {}, host);
    assert.equal(result.digest, DIGEST);
    assert.deepEqual(host.calls.slice(1, 3), [
      "login registry.example.com",
      `pull registry.example.com/team/app-staging@${SOURCE}`,
    ]);
    assert.ok(host.calls.some((c) => c.startsWith("push registry.example.com/team/app:")));
  });

  it("a promotion whose source has no image with its inputs says to run the source first", async () => {
    const plan = planFor({ staging: {}, production: { promoteFrom: "staging" } });
    const req = request(plan, { promote: { from: "staging", hash: `sha256:${"7".repeat(64)}` } });
    await assert.rejects(publishImage(req, undefined, {}, fakeHost()), /run pulumi up on "staging" first/);
  });

  it("drift repaired: the update after a refresh found drift says so first", async () => {
    const plan = planFor();
    const req = request(plan);
    const host = fakeHost({ [`inputs-${req.inputs.hash.replace("sha256:", "")}`]: DIGEST });
    const previous = {
      ...(await publishImage(req, undefined, {}, fakeHost())),
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
        publishImage(request(planFor()), undefined, {}, host),
        new RegExp(`cancelled before its ${next} step: nothing from that step on ran`),
      );
      assert.equal(host.calls.at(-2), after, host.calls.join("\n"));
      assert.equal(host.calls.at(-1), "dispose");
    });
});
