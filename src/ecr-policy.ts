/**
 * ECR repository settings per environment (pure): lifecycle policy and repository
 * (pull) policy documents rendered as the JSON ECR expects, validated first.
 */
import type { EnvironmentKind } from "./environment";

/** Lifecycle rules, in the terms people think in; rendered to ECR's rule list. */
export interface LifecyclePolicySettings {
  /** Expire untagged images this many days after they were pushed. `0` disables the rule. */
  expireUntaggedAfterDays?: number;
  /** Keep only this many tagged images (newest first) whose tags match `taggedPatterns`. `0` disables the rule. */
  keepLastTagged?: number;
  /** Tag patterns the tagged rule applies to (ECR wildcards, `*` matches any). Default `["*"]`. */
  taggedPatterns?: string[];
  /** Keep only this many images of any kind (the catch-all last rule). `0` disables the rule. */
  keepLast?: number;
}

/** Defaults: dev expires untagged after 1 day and keeps 20; production keeps 100 tagged releases. */
export const DEFAULT_LIFECYCLE: Readonly<Record<EnvironmentKind, LifecyclePolicySettings>> = {
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

function checkCount(field: string, value: number | undefined, errors: string[]): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 0) {
    errors.push(`lifecyclePolicy.${field} must be a whole number ≥ 0 (0 disables the rule), got ${value}.`);
  }
}

/** Render the lifecycle policy JSON, or throw naming every invalid field. */
export function renderLifecyclePolicy(settings: LifecyclePolicySettings): string {
  const errors: string[] = [];
  checkCount("expireUntaggedAfterDays", settings.expireUntaggedAfterDays, errors);
  checkCount("keepLastTagged", settings.keepLastTagged, errors);
  checkCount("keepLast", settings.keepLast, errors);
  const patterns = settings.taggedPatterns ?? ["*"];
  if (patterns.length === 0 || patterns.some((p) => !/^[A-Za-z0-9_.*-]{1,128}$/.test(p))) {
    errors.push(
      `lifecyclePolicy.taggedPatterns must be non-empty tag patterns (letters, digits, _ . - and *), got ${JSON.stringify(patterns)}.`,
    );
  }
  if (errors.length) throw new Error(`Invalid ECR lifecycle policy: ${errors.join(" ")}`);

  const rules: LifecycleRule[] = [];
  const add = (description: string, selection: LifecycleRule["selection"]): void => {
    rules.push({ rulePriority: rules.length + 1, description, selection, action: { type: "expire" } });
  };
  if (settings.expireUntaggedAfterDays) {
    add(`Expire untagged images after ${settings.expireUntaggedAfterDays} day(s)`, {
      tagStatus: "untagged",
      countType: "sinceImagePushed",
      countUnit: "days",
      countNumber: settings.expireUntaggedAfterDays,
    });
  }
  if (settings.keepLastTagged) {
    add(`Keep the last ${settings.keepLastTagged} tagged images matching ${patterns.join(", ")}`, {
      tagStatus: "tagged",
      tagPatternList: patterns,
      countType: "imageCountMoreThan",
      countNumber: settings.keepLastTagged,
    });
  }
  if (settings.keepLast) {
    // ECR requires the "any" rule to have the highest priority number.
    add(`Keep the last ${settings.keepLast} images`, {
      tagStatus: "any",
      countType: "imageCountMoreThan",
      countNumber: settings.keepLast,
    });
  }
  if (rules.length === 0)
    throw new Error("Invalid ECR lifecycle policy: every rule is disabled; pass lifecyclePolicy: false to have none.");
  return JSON.stringify({ rules }, null, 2);
}

/** Who may pull from the repository. */
export interface PullAccessSettings {
  /** AWS account IDs (12 digits) whose principals may pull. */
  accounts?: string[];
  /** IAM role/user ARNs that may pull: EKS node roles, ECS task execution roles, CI roles. */
  principals?: string[];
}

const ACCOUNT_ID = /^\d{12}$/;
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(root|(role|user)\/[\w+=,.@/-]+)$/;

export const PULL_ACTIONS: readonly string[] = [
  "ecr:BatchCheckLayerAvailability",
  "ecr:BatchGetImage",
  "ecr:GetDownloadUrlForLayer",
];

/** Render the repository policy granting pull access, or `undefined` when nobody extra is granted. */
export function renderPullPolicy(settings: PullAccessSettings): string | undefined {
  const accounts = settings.accounts ?? [];
  const principals = settings.principals ?? [];
  const errors: string[] = [];
  for (const a of accounts) {
    if (!ACCOUNT_ID.test(a)) errors.push(`"${a}" is not an AWS account ID (12 digits, e.g. "123456789012").`);
  }
  for (const p of principals) {
    if (!PRINCIPAL_ARN.test(p)) {
      errors.push(`"${p}" is not an IAM role/user ARN (e.g. "arn:aws:iam::123456789012:role/eks-node-role").`);
    }
  }
  if (errors.length) throw new Error(`Invalid repository pull access: ${errors.join(" ")}`);
  const aws = [...accounts.map((a) => `arn:aws:iam::${a}:root`), ...principals];
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
