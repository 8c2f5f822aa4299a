import { strict as assert } from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { MultiStageImage, toEcsContainerDefinition, toKubernetesContainer } from "../../src";
import { REPO_ROOT } from "../helpers";
import {
  ECR_PASSWORD,
  REGISTRY,
  inputErrors,
  lifecycleRules,
  ofType,
  published,
  resources,
  settle,
  useStack,
  value,
} from "./mocks";

// These tests read the docker back end's resources (one docker.Image per tag); the
// docker-build back end (the default) has its own tests in backends/docker-build.test.ts.
const serviceArgs = {
  backend: "docker" as const,
  context: path.join(REPO_ROOT, "examples", "node-service", "app"),
  buildArgs: { APP_VERSION: "1.0.0" },
  gitSha: "0123456789abcdef0123456789abcdef01234567",
};

describe("MultiStageImage: ECR repository policies per environment", () => {
  it("attaches a pull policy for other accounts and for EKS/ECS roles", async () => {
    useStack("production");
    const image = new MultiStageImage("svc", {
      ...serviceArgs,
      repository: {
        pullAccess: { accounts: ["210987654321"], principals: ["arn:aws:iam::123456789012:role/eks-nodes"] },
      },
    });
    await settle(image.imageUri);
    const [policy] = ofType("aws:ecr/repositoryPolicy:RepositoryPolicy");
    assert.equal(policy.name, "svc-pull-policy");
    assert.equal(policy.inputs.repository, "svc-repo-1a2b3c");
    assert.deepEqual(JSON.parse(policy.inputs.policy as string).Statement[0].Principal.AWS, [
      "arn:aws:iam::123456789012:role/eks-nodes",
      "arn:aws:iam::210987654321:root",
    ]);
  });

  it("uses a KMS key, a custom lifecycle, or none", async () => {
    useStack("dev");
    const image = new MultiStageImage("svc", {
      ...serviceArgs,
      repository: {
        encryption: { kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/abc" },
        lifecyclePolicy: { keepLast: 3 },
        name: "team/svc",
      },
    });
    await settle(image.imageUri);
    const [repo] = ofType("aws:ecr/repository:Repository");
    assert.deepEqual(repo.inputs.encryptionConfigurations, [
      { encryptionType: "KMS", kmsKey: "arn:aws:kms:us-east-1:123456789012:key/abc" },
    ]);
    assert.equal(repo.inputs.name, "team/svc");
    // The signatures beside the releases are claimed before the catch-all count.
    assert.deepEqual(lifecycleRules(), [
      ["tagged", ["sha256-*"], 9],
      ["any", undefined, 3],
    ]);

    useStack("dev");
    const none = new MultiStageImage("svc", { ...serviceArgs, repository: { lifecyclePolicy: false } });
    await settle(none.imageUri);
    assert.equal(ofType("aws:ecr/lifecyclePolicy:LifecyclePolicy").length, 0);
  });

  it("claims the environment's releases by its tags' patterns first, then their signatures, in the default lifecycle", async () => {
    useStack("production");
    const image = new MultiStageImage("svc", {
      ...serviceArgs,
      tagStrategy: ["{env}-{gitShortSha}", "v{version}"],
      version: "1.2.3",
    });
    await settle(image.imageUri);
    assert.deepEqual(lifecycleRules(), [
      ["tagged", ["production-*"], 100],
      ["tagged", ["v*"], 100],
      ["tagged", ["sha256-*"], 300],
      ["untagged", undefined, 14],
    ]);
  });

  it("replicates to other regions when asked", async () => {
    useStack("production");
    const image = new MultiStageImage("svc", {
      ...serviceArgs,
      repository: { replicateTo: [{ region: "eu-west-1", registryId: "123456789012" }] },
    });
    await settle(image.imageUri);
    const [replication] = ofType("aws:ecr/replicationConfiguration:ReplicationConfiguration");
    assert.deepEqual(replication.inputs.replicationConfiguration, {
      rules: [
        {
          destinations: [{ region: "eu-west-1", registryId: "123456789012" }],
          repositoryFilters: [{ filter: "svc-repo-1a2b3c", filterType: "PREFIX_MATCH" }],
        },
      ],
    });
  });

  it("refuses bad repository input with every property path at once, before creating anything", () => {
    useStack("production");
    const errors = inputErrors(
      () =>
        new MultiStageImage("svc", {
          ...serviceArgs,
          movingTags: ["latest"],
          repository: {
            name: "Bad Name",
            forceDelete: true,
            lifecyclePolicy: { keepLastTagged: -5 },
            pullAccess: { accounts: ["1234"] },
            replicateTo: [{ region: "eu-west-1" }, { region: "europe" }],
          },
        }),
    );
    assert.deepEqual(
      errors.map((e) => e.propertyPath),
      [
        "repository.forceDelete",
        "movingTags",
        "repository.name",
        "repository.replicateTo[1].region",
        "repository.lifecyclePolicy.keepLastTagged",
        "repository.pullAccess.accounts[0]",
      ],
    );
    const reasons = errors.map((e) => e.reason).join("\n");
    assert.match(reasons, /is not allowed in production/);
    assert.match(reasons, /IMMUTABLE repository refuses/);
    assert.match(reasons, /"Bad Name" is not a valid ECR repository name/);
    assert.match(reasons, /"europe" is not an AWS region name/);
    assert.match(reasons, /must be a whole number ≥ 0, got -5/);
    assert.match(reasons, /"1234" is not an AWS account ID/);
    assert.equal(resources.length, 0, "nothing may be created");
  });

  it("refuses policies on an adopted repository", () => {
    useStack("dev");
    const errors = inputErrors(
      () =>
        new MultiStageImage("svc", {
          ...serviceArgs,
          repository: { existing: "team/app", pullAccess: { accounts: ["123456789012"] } },
        }),
    );
    assert.deepEqual(
      errors.map((e) => e.propertyPath),
      ["repository.existing"],
    );
    assert.match(errors[0].reason, /adopts a repository as it is/);
  });
});

describe("MultiStageImage: several targets of one Dockerfile", () => {
  it("publishes app and tester images to one repository with prefixed tags, even in production", async () => {
    useStack("production");
    const image = new MultiStageImage("svc", {
      ...serviceArgs,
      additionalImages: { tests: { target: "tester", buildArgs: { NODE_ENV: "test" } } },
    });
    const extra = await value(image.additionalImages);
    await settle(image.imageUri);
    const images = published("docker:index/image:Image");
    assert.deepEqual(
      images.map((i) => [i.name, (i.inputs.build as { target: string }).target, i.inputs.imageName]),
      [
        ["svc-image", "production", `${REGISTRY}/svc-repo-1a2b3c:production-0123456789ab`],
        ["svc-tests", "tester", `${REGISTRY}/svc-repo-1a2b3c:tests-production-0123456789ab`],
      ],
    );
    assert.equal((images[1].inputs.build as { args: Record<string, string> }).args.NODE_ENV, "test");
    assert.equal(ofType("aws:ecr/repository:Repository").length, 1);
    assert.equal(extra.tests.target, "tester");
    assert.match(extra.tests.imageUri, new RegExp(`^${REGISTRY}/svc-repo-1a2b3c@sha256:`));
    assert.notEqual(extra.tests.imageUri, await value(image.imageUri));
  });

  it("takes a target per environment, and refuses an environment it does not name", () => {
    useStack("dev");
    assert.doesNotThrow(
      () =>
        new MultiStageImage("a", {
          ...serviceArgs,
          additionalImages: { deps: { target: { dev: "deps", production: "prod-deps" } } },
        }),
    );
    useStack("staging");
    const errors = inputErrors(
      () => new MultiStageImage("b", { ...serviceArgs, additionalImages: { deps: { target: { dev: "deps" } } } }),
    );
    assert.deepEqual(
      errors.map((e) => e.propertyPath),
      ["additionalImages.deps.target"],
    );
    assert.match(errors[0].reason, /names no target for environment "staging" \(it has dev\)/);
    assert.throws(
      () => new MultiStageImage("c", { ...serviceArgs, additionalImages: { deps: { target: "dpes" } } }),
      /Did you mean "deps"/,
    );
  });
});

describe("Consumers of the component", () => {
  it("ECS and Kubernetes helpers get the digest-pinned imageUri, and no output holds the registry password", async () => {
    useStack("production");
    const image = new MultiStageImage("svc", serviceArgs);
    const ecs = await value(toEcsContainerDefinition(image, { name: "svc", ports: [{ containerPort: 3000 }] }));
    const k8s = await value(toKubernetesContainer(image, { name: "svc" }));
    const uri = await value(image.imageUri);
    assert.equal(ecs.image, uri);
    assert.equal(k8s.image, uri);
    const outputs = await Promise.all(
      [image.imageUri, image.tags, image.plan, image.buildArgs, image.stages, image.repositoryUrl].map((o) =>
        value(o as pulumi.Output<unknown>),
      ),
    );
    assert.ok(!JSON.stringify(outputs).includes(ECR_PASSWORD));
  });
});
