import { strict as assert } from "assert";
import {
  DEFAULT_LIFECYCLE,
  classifyEnvironment,
  isPinnedReference,
  isValidRepositoryName,
  mergeEnvironments,
  parseImageReference,
  parseRepositoryUrl,
  pinByDigest,
  releaseTags,
  renderLifecyclePolicy,
  renderPullPolicy,
  tagsFor,
} from "../../src";

const DIGEST = "sha256:" + "ab".repeat(32);

describe("Environment matrix", () => {
  const cases: Array<[string, string]> = [
    ["dev", "development"],
    ["development", "development"],
    ["local", "development"],
    ["dev-alice", "development"],
    ["alice_dev", "development"],
    ["prod", "production"],
    ["production", "production"],
    ["prod-eu-west-1", "production"],
    ["staging", "staging"],
    ["qa", "staging"],
    ["uat", "staging"],
  ];
  for (const [name, kind] of cases) it(`${name} is ${kind}`, () => assert.equal(classifyEnvironment(name), kind));

  it("merges stack config over code settings field by field", () => {
    const merged = mergeEnvironments(
      { production: { buildArgs: { A: "1", B: "2" }, tags: ["x"], platform: "linux/arm64" } },
      { production: { buildArgs: { B: "3" }, tags: ["y"] }, qa: { target: "app" } },
    );
    assert.deepEqual(merged, {
      production: { buildArgs: { A: "1", B: "3" }, tags: ["x", "y"], platform: "linux/arm64" },
      qa: { target: "app" },
    });
  });
});

describe("ECR lifecycle policy", () => {
  it("renders the dev default: untagged after 1 day, keep the last 20", () => {
    const rules = JSON.parse(renderLifecyclePolicy(DEFAULT_LIFECYCLE.development)).rules;
    assert.deepEqual(rules, [
      {
        rulePriority: 1,
        description: "Expire untagged images after 1 day(s)",
        selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 1 },
        action: { type: "expire" },
      },
      {
        rulePriority: 2,
        description: "Keep the last 20 images",
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 20 },
        action: { type: "expire" },
      },
    ]);
  });

  it("renders the production default: keep the last 100 tagged releases", () => {
    const rules = JSON.parse(renderLifecyclePolicy(DEFAULT_LIFECYCLE.production)).rules;
    assert.deepEqual(rules[1].selection, {
      tagStatus: "tagged",
      tagPatternList: ["*"],
      countType: "imageCountMoreThan",
      countNumber: 100,
    });
  });

  it("puts the catch-all rule last, as ECR requires", () => {
    const rules = JSON.parse(
      renderLifecyclePolicy({ keepLast: 5, keepLastTagged: 3, taggedPatterns: ["release-*"] }),
    ).rules;
    assert.deepEqual(
      rules.map((r: { selection: { tagStatus: string } }) => r.selection.tagStatus),
      ["tagged", "any"],
    );
  });

  it("refuses negative or fractional counts and bad patterns, naming each field", () => {
    assert.throws(
      () => renderLifecyclePolicy({ expireUntaggedAfterDays: -1, keepLast: 2.5, taggedPatterns: ["bad pattern"] }),
      /expireUntaggedAfterDays must be a whole number ≥ 0.*got -1.*keepLast must be a whole number ≥ 0.*got 2\.5.*taggedPatterns/,
    );
    assert.throws(() => renderLifecyclePolicy({ expireUntaggedAfterDays: 0 }), /every rule is disabled/);
  });
});

describe("ECR pull policy", () => {
  it("grants pull to accounts and roles (EKS node role, ECS task execution role)", () => {
    const policy = JSON.parse(
      renderPullPolicy({
        accounts: ["210987654321"],
        principals: [
          "arn:aws:iam::123456789012:role/eks-node-role",
          "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
        ],
      })!,
    );
    assert.deepEqual(policy.Statement[0].Principal.AWS, [
      "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
      "arn:aws:iam::123456789012:role/eks-node-role",
      "arn:aws:iam::210987654321:root",
    ]);
    assert.deepEqual(policy.Statement[0].Action, [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
    ]);
  });

  it("refuses malformed account IDs and principals", () => {
    assert.throws(() => renderPullPolicy({ accounts: ["12345"] }), /"12345" is not an AWS account ID \(12 digits/);
    assert.throws(
      () => renderPullPolicy({ principals: ["eks-node-role"] }),
      /"eks-node-role" is not an IAM role\/user ARN/,
    );
  });

  it("renders nothing when nobody is granted", () => assert.equal(renderPullPolicy({}), undefined));
});

describe("Image references and repository URLs", () => {
  it("parses registry, repository, tag and digest", () => {
    assert.deepEqual(parseImageReference(`127.0.0.1:5055/team/app:1.2@${DIGEST}`), {
      registry: "127.0.0.1:5055",
      repository: "team/app",
      tag: "1.2",
      digest: DIGEST,
    });
    assert.deepEqual(parseImageReference("node"), {
      registry: undefined,
      repository: "node",
      tag: undefined,
      digest: undefined,
    });
  });

  it("knows pinned from unpinned", () => {
    assert.equal(isPinnedReference("node:20.18"), true);
    assert.equal(isPinnedReference(`node@${DIGEST}`), true);
    assert.equal(isPinnedReference("node:latest"), false);
    assert.equal(isPinnedReference("node"), false);
  });

  it("pins by digest and refuses what holds no digest", () => {
    assert.equal(pinByDigest("r.example.com/app", `r.example.com/app:v1@${DIGEST}`), `r.example.com/app@${DIGEST}`);
    assert.throws(() => pinByDigest("r.example.com/app", "r.example.com/app:v1"), /holds no sha256 digest/);
  });

  it("parses ECR URLs and validates repository names", () => {
    assert.deepEqual(parseRepositoryUrl("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app"), {
      registryId: "123456789012",
      region: "eu-west-1",
      name: "team/app",
      url: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app",
    });
    assert.equal(parseRepositoryUrl("team/app"), undefined);
    assert.equal(isValidRepositoryName("team/app-1"), true);
    assert.equal(isValidRepositoryName("Team/App"), false);
  });
});

describe("Tag strategy", () => {
  const ctx = {
    env: "production",
    target: "app",
    gitSha: "0123456789abcdef0123456789abcdef01234567",
    version: "1.4.0",
  };

  it("defaults to {env}-{gitShortSha}, or {env}-{target} without git", () => {
    assert.deepEqual(tagsFor(undefined, ctx), ["production-0123456789ab"]);
    assert.deepEqual(tagsFor(undefined, { env: "dev", target: "builder" }), ["dev-builder"]);
  });

  it("expands templates and functions", () => {
    assert.deepEqual(tagsFor("v{version}-{gitShortSha}", ctx), ["v1.4.0-0123456789ab"]);
    assert.deepEqual(
      tagsFor((c) => [`${c.env}-${c.version}`, c.target], ctx),
      ["production-1.4.0", "app"],
    );
  });

  it("refuses unknown placeholders, missing values and invalid tags", () => {
    assert.throws(() => tagsFor("{branch}", ctx), /uses \{branch\}; known placeholders: \{env\}/);
    assert.throws(
      () => tagsFor("v{version}", { env: "dev", target: "x" }),
      /\{version\}, which has no value here; pass version/,
    );
    assert.throws(() => tagsFor(() => ["-bad"], ctx), /"-bad" is not a valid image tag/);
  });

  it("puts the unique release tag first and moving tags last, so a moving tag is never the only one", () => {
    const tags = releaseTags(
      { environment: "dev", targetStage: "builder", tags: ["nightly"] },
      { gitSha: ctx.gitSha, movingTags: ["latest", "dev"] },
    );
    assert.deepEqual(tags, ["dev-0123456789ab", "nightly", "latest", "dev"]);
  });
});
