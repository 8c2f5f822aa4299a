/** Which node of a buildx builder builds which platform, from `buildx inspect`. */
import { strict as assert } from "assert";
import { builderNodes, spreadOverNodes } from "../../../src/executor/nodes";
import { buildxArguments } from "../../../src/executor/argv";
import { planBuild } from "../../../src/plan";
import { dockerfile } from "../../helpers";

const INSPECT = `Name:          farm
Driver:        remote

Nodes:
Name:             nodes-amd64
Endpoint:         unix:///run/a.sock
Status:           running
Platforms:        linux/amd64*, linux/amd64/v2, linux/386
Labels:
 org.mobyproject.buildkit.worker.executor:         oci

Name:             nodes-arm64
Endpoint:         unix:///run/b.sock
Status:           running
Platforms:        linux/arm64*, linux/amd64, linux/386
`;

describe("a builder's nodes", () => {
  it("reads each node's declared and supported platforms", () => {
    assert.deepEqual(builderNodes(INSPECT), [
      { name: "nodes-amd64", declared: ["linux/amd64"], platforms: ["linux/amd64", "linux/amd64/v2", "linux/386"] },
      { name: "nodes-arm64", declared: ["linux/arm64"], platforms: ["linux/arm64", "linux/amd64", "linux/386"] },
    ]);
  });

  it("spreads platforms over the nodes declaring them; one node, or a platform none has, is no spread", () => {
    const nodes = builderNodes(INSPECT);
    assert.deepEqual(spreadOverNodes(["linux/amd64", "linux/arm64"], nodes), {
      "linux/amd64": "nodes-amd64",
      "linux/arm64": "nodes-arm64",
    });
    // Both on the amd64 node (it declares amd64 and supports 386): one build makes the index.
    assert.equal(spreadOverNodes(["linux/amd64", "linux/386"], nodes), undefined);
    assert.equal(spreadOverNodes(["linux/amd64", "linux/s390x"], nodes), undefined);
    assert.equal(spreadOverNodes(["linux/amd64", "linux/arm64"], nodes.slice(0, 1)), undefined);
  });

  it("a platform's build is pushed by digest, untagged, with its own cache", () => {
    const plan = planBuild(dockerfile("FROM busybox:1.36 AS production\n"), {
      context: ".",
      environment: "production",
      gitSha: "0123456789ab",
      builder: "farm",
      platforms: ["linux/amd64", "linux/arm64"],
    });
    assert.deepEqual(plan.cache?.platforms?.["linux/arm64"], {
      to: "cache-production-production-linux-arm64",
      from: ["cache-production-production-linux-arm64", "cache-production-production-linux-amd64_linux-arm64"],
    });
    const args = buildxArguments({ ...plan, platforms: ["linux/arm64"], tags: [] }, "r/app", "farm", "/m", {
      push: true,
      pushByDigest: true,
    });
    assert.ok(!args.includes("--push") && !args.includes("--tag"));
    assert.equal(
      args[args.indexOf("--output") + 1],
      "type=image,name=r/app,push-by-digest=true,name-canonical=true,push=true",
    );
  });
});
