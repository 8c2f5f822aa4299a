import { strict as assert } from "assert";
import {
  DEFAULT_LIFECYCLE,
  type LifecyclePolicyArgs,
  type PullAccessArgs,
  isValidRepositoryName,
  lifecyclePolicyDocument,
  parseRepositoryUrl,
  pullPolicyDocument,
  validateLifecyclePolicy,
  validatePullAccess,
} from "../../../src/ecr";
import { type Diagnostic, releaseTagPatterns } from "../../../src/plan";

function lifecycleProblems(args: LifecyclePolicyArgs): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  validateLifecyclePolicy(args, "repository.lifecyclePolicy", diagnostics);
  return diagnostics;
}

function pullProblems(args: PullAccessArgs): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  validatePullAccess(args, "repository.pullAccess", diagnostics);
  return diagnostics;
}

describe("ECR lifecycle policy", () => {
  it("renders the dev default: its releases first (dev-*), their signatures, untagged after 1 day, 50 in all", () => {
    const rules = JSON.parse(
      lifecyclePolicyDocument(DEFAULT_LIFECYCLE.development, releaseTagPatterns(undefined, "dev")),
    ).rules;
    assert.deepEqual(rules, [
      {
        rulePriority: 1,
        description: "Keep the last 20 releases tagged dev-*",
        selection: { tagStatus: "tagged", tagPatternList: ["dev-*"], countType: "imageCountMoreThan", countNumber: 20 },
        action: { type: "expire" },
      },
      {
        rulePriority: 2,
        description: "Keep the last 60 signatures and attestations (sha256-*)",
        selection: {
          tagStatus: "tagged",
          tagPatternList: ["sha256-*"],
          countType: "imageCountMoreThan",
          countNumber: 60,
        },
        action: { type: "expire" },
      },
      {
        rulePriority: 3,
        description: "Expire untagged images after 1 day(s)",
        selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 1 },
        action: { type: "expire" },
      },
      {
        rulePriority: 4,
        description: "Keep the last 50 images",
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 50 },
        action: { type: "expire" },
      },
    ]);
  });

  it("release patterns: templates with {env} filled and other placeholders as *, fixed tags, additional images' prefixes", () => {
    assert.deepEqual(releaseTagPatterns(undefined, "production"), ["production-*"]);
    assert.deepEqual(releaseTagPatterns(["{env}-{gitShortSha}", "v{version}", "{target}-{env}-{inputsHash}"], "qa"), [
      "qa-*",
      "v*",
      "*-qa-*",
    ]);
    assert.deepEqual(releaseTagPatterns("{env}-{gitShortSha}", "dev", ["stable"], ["migrations"]), [
      "dev-*",
      "stable",
      "migrations-dev-*",
      "migrations-stable",
    ]);
    assert.equal(
      releaseTagPatterns(() => ["x"], "dev"),
      undefined,
      "a function's tags are known only by running it",
    );
    assert.deepEqual(releaseTagPatterns("{env}{version}{gitSha}{target}{gitShortSha}x{inputsHash}", "a"), ["a*x*"]);
  });

  it("a function strategy (patterns unknown) is kept by * and has no separate signature rule; the catch-all stays last", () => {
    const rules = JSON.parse(lifecyclePolicyDocument({ keepLast: 5, keepLastTagged: 3 })).rules;
    assert.deepEqual(
      rules.map((r: { selection: { tagStatus: string; tagPatternList?: string[] } }) => [
        r.selection.tagStatus,
        r.selection.tagPatternList,
      ]),
      [
        ["tagged", ["*"]],
        ["any", undefined],
      ],
    );
  });

  it("refuses negative or fractional counts and bad patterns, naming each property", () => {
    const problems = lifecycleProblems({ expireUntaggedAfterDays: -1, keepLast: 2.5, taggedPatterns: ["bad pattern"] });
    assert.deepEqual(
      problems.map((d) => [d.code, d.property]),
      [
        ["invalid-lifecycle-policy", "repository.lifecyclePolicy.expireUntaggedAfterDays"],
        ["invalid-lifecycle-policy", "repository.lifecyclePolicy.keepLast"],
        ["invalid-lifecycle-policy", "repository.lifecyclePolicy.taggedPatterns"],
      ],
    );
    assert.match(problems[0].message, /must be a whole number ≥ 0, got -1/);
    assert.match(problems[1].message, /got 2\.5/);
    assert.deepEqual(
      lifecycleProblems({ expireUntaggedAfterDays: 0 }).map((d) => [d.property, d.message]),
      [["repository.lifecyclePolicy", "every rule is disabled."]],
    );
    assert.deepEqual(lifecycleProblems(DEFAULT_LIFECYCLE.production), []);
  });
});

describe("ECR pull policy", () => {
  it("grants pull to accounts and roles (EKS node role, ECS task execution role)", () => {
    const policy = JSON.parse(
      pullPolicyDocument({
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

  it("refuses malformed account IDs and principals, naming each one", () => {
    const problems = pullProblems({ accounts: ["210987654321", "12345"], principals: ["eks-node-role"] });
    assert.deepEqual(
      problems.map((d) => [d.code, d.property]),
      [
        ["invalid-pull-access", "repository.pullAccess.accounts[1]"],
        ["invalid-pull-access", "repository.pullAccess.principals[0]"],
      ],
    );
    assert.match(problems[0].message, /"12345" is not an AWS account ID/);
    assert.match(problems[0].hint!, /12 digits/);
    assert.match(problems[1].message, /"eks-node-role" is not an IAM role or user ARN/);
  });

  it("renders nothing when nobody is granted", () => assert.equal(pullPolicyDocument({}), undefined));
});

describe("ECR repository URLs and names", () => {
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
