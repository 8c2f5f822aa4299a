/**
 * ECR repository settings per environment (pure): lifecycle and repository (pull)
 * policies, validated into diagnostics, then rendered as the JSON documents ECR expects.
 */
import type { Diagnostic, EnvironmentKind } from "../plan";

/** Lifecycle rules, in the terms people think in; rendered to ECR's rule list. */
export interface LifecyclePolicyArgs {
  /** Expire untagged images this many days after they were pushed. `0` disables the rule. */
  readonly expireUntaggedAfterDays?: number;
  /** Keep only this many tagged images (newest first) whose tags match `taggedPatterns`. `0` disables the rule. */
  readonly keepLastTagged?: number;
  /** Tag patterns the tagged rule applies to (ECR wildcards, `*` matches any). @default ["*"] */
  readonly taggedPatterns?: readonly string[];
  /** Keep only this many images of any kind (the catch-all last rule). `0` disables the rule. */
  readonly keepLast?: number;
}

/** Defaults: dev expires untagged after 1 day and keeps 20; production keeps 100 tagged releases. */
export const DEFAULT_LIFECYCLE: Readonly<Record<EnvironmentKind, LifecyclePolicyArgs>> = {
  development: { expireUntaggedAfterDays: 1, keepLast: 20 },
  staging: { expireUntaggedAfterDays: 7, keepLast: 50 },
  production: { expireUntaggedAfterDays: 14, keepLastTagged: 100 },
};

interface LifecycleRule {
  rulePriority: number;
  description: string;
  selection: {
    tagStatus: "untagged" | "tagged" | "any";
    tagPatternList?: string[];
    countType: "sinceImagePushed" | "imageCountMoreThan";
    countUnit?: "days";
    countNumber: number;
  };
  action: { type: "expire" };
}

/** Add an `invalid-lifecycle-policy` diagnostic (at `property`) for every invalid field. */
export function validateLifecyclePolicy(args: LifecyclePolicyArgs, property: string, diagnostics: Diagnostic[]): void {
  const problem = (field: string, message: string, hint: string): void => {
    diagnostics.push({
      severity: "error",
      code: "invalid-lifecycle-policy",
      property: `${property}.${field}`,
      message,
      hint,
    });
  };
  for (const field of ["expireUntaggedAfterDays", "keepLastTagged", "keepLast"] as const) {
    const value = args[field];
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
      problem(field, `must be a whole number ≥ 0, got ${value}.`, "Use 0 to disable the rule.");
    }
  }
  const patterns = args.taggedPatterns ?? ["*"];
  if (patterns.length === 0 || patterns.some((p) => !/^[A-Za-z0-9_.*-]{1,128}$/.test(p))) {
    problem(
      "taggedPatterns",
      `must be non-empty tag patterns, got ${JSON.stringify(patterns)}.`,
      'Use letters, digits, _ . - and * (any characters), e.g. ["v*"].',
    );
  }
  if (!args.expireUntaggedAfterDays && !args.keepLastTagged && !args.keepLast) {
    diagnostics.push({
      severity: "error",
      code: "invalid-lifecycle-policy",
      property,
      message: "every rule is disabled.",
      hint: "Pass lifecyclePolicy: false to have no lifecycle policy.",
    });
  }
}

/** The lifecycle policy document for valid `args` (see `validateLifecyclePolicy`). */
export function lifecyclePolicyDocument(args: LifecyclePolicyArgs): string {
  const patterns = [...(args.taggedPatterns ?? ["*"])];
  const rules: LifecycleRule[] = [];
  const add = (description: string, selection: LifecycleRule["selection"]): void => {
    rules.push({ rulePriority: rules.length + 1, description, selection, action: { type: "expire" } });
  };
  if (args.expireUntaggedAfterDays) {
    add(`Expire untagged images after ${args.expireUntaggedAfterDays} day(s)`, {
      tagStatus: "untagged",
      countType: "sinceImagePushed",
      countUnit: "days",
      countNumber: args.expireUntaggedAfterDays,
    });
  }
  if (args.keepLastTagged) {
    add(`Keep the last ${args.keepLastTagged} tagged images matching ${patterns.join(", ")}`, {
      tagStatus: "tagged",
      tagPatternList: patterns,
      countType: "imageCountMoreThan",
      countNumber: args.keepLastTagged,
    });
  }
  if (args.keepLast) {
    // ECR requires the "any" rule to have the highest priority number.
    add(`Keep the last ${args.keepLast} images`, {
      tagStatus: "any",
      countType: "imageCountMoreThan",
      countNumber: args.keepLast,
    });
  }
  return JSON.stringify({ rules }, null, 2);
}

/** Who may pull from the repository. */
export interface PullAccessArgs {
  /** AWS account IDs (12 digits) whose principals may pull. @example ["210987654321"] */
  readonly accounts?: readonly string[];
  /**
   * IAM role/user ARNs that may pull: EKS node roles, ECS task execution roles, CI roles.
   * @example ["arn:aws:iam::123456789012:role/eks-node-role"]
   */
  readonly principals?: readonly string[];
}

const ACCOUNT_ID = /^\d{12}$/;
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(root|(role|user)\/[\w+=,.@/-]+)$/;

export const PULL_ACTIONS: readonly string[] = [
  "ecr:BatchCheckLayerAvailability",
  "ecr:BatchGetImage",
  "ecr:GetDownloadUrlForLayer",
];

/** Add an `invalid-pull-access` diagnostic for every malformed account ID or principal ARN. */
export function validatePullAccess(args: PullAccessArgs, property: string, diagnostics: Diagnostic[]): void {
  const problem = (path: string, message: string, hint: string): void => {
    diagnostics.push({ severity: "error", code: "invalid-pull-access", property: path, message, hint });
  };
  (args.accounts ?? []).forEach((a, i) => {
    if (!ACCOUNT_ID.test(a))
      problem(`${property}.accounts[${i}]`, `"${a}" is not an AWS account ID.`, 'Use 12 digits, e.g. "123456789012".');
  });
  (args.principals ?? []).forEach((p, i) => {
    if (!PRINCIPAL_ARN.test(p)) {
      problem(
        `${property}.principals[${i}]`,
        `"${p}" is not an IAM role or user ARN.`,
        'Use e.g. "arn:aws:iam::123456789012:role/eks-node-role".',
      );
    }
  });
}

/** The repository policy granting pull access for valid `args`, or `undefined` when nobody extra is granted. */
export function pullPolicyDocument(args: PullAccessArgs): string | undefined {
  const aws = [...(args.accounts ?? []).map((a) => `arn:aws:iam::${a}:root`), ...(args.principals ?? [])];
  if (aws.length === 0) return undefined;
  return JSON.stringify(
    {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AllowPull",
          Effect: "Allow",
          Principal: { AWS: [...new Set(aws)].sort() },
          Action: [...PULL_ACTIONS],
        },
      ],
    },
    null,
    2,
  );
}

/** `123456789012.dkr.ecr.eu-west-1.amazonaws.com/name` → its parts, or `undefined` for a bare name. */
export function parseRepositoryUrl(
  url: string,
): { registryId: string; region: string; name: string; url: string } | undefined {
  const m = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z0-9._/-]+)$/.exec(url);
  return m ? { registryId: m[1], region: m[2], name: m[3], url } : undefined;
}

/** ECR repository names: 2–256 chars of lowercase letters, digits, and `._-/` separators. */
export function isValidRepositoryName(name: string): boolean {
  return (
    /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(name) &&
    name.length >= 2 &&
    name.length <= 256
  );
}
