/**
 * ECR repository settings per environment (pure): lifecycle and repository (pull)
 * policies, validated into diagnostics, then rendered as the JSON documents ECR expects.
 */
import type { Diagnostic, EnvironmentKind } from "../plan";

/**
 * Lifecycle rules, in the terms people think in; rendered to ECR's rule list so that what an
 * environment deploys is never expired: its releases (the images with its release tags) are
 * claimed by the first rules, which no lower rule may then expire (ECR applies one rule per image,
 * the highest that selects it), and so are the signatures and attestations beside them.
 */
export interface LifecyclePolicyArgs {
  /** Expire untagged images (superseded caches and signature versions) this many days after they were pushed. `0` disables the rule. */
  readonly expireUntaggedAfterDays?: number;
  /**
   * Keep this many releases (images whose tags match `taggedPatterns`, newest pushed first): the
   * release a stack deploys is the newest, and no lower rule expires a release. `0` disables the rule.
   */
  readonly keepLastTagged?: number;
  /**
   * The release tags' patterns (ECR wildcards, `*` matches any; one rule each, as ECR ANDs a
   * rule's patterns). @default the environment's tag templates as patterns (`{env}-{gitShortSha}` → `dev-*`), or `["*"]` for a function
   */
  readonly taggedPatterns?: readonly string[];
  /** Keep only this many images of any kind (the catch-all last rule: builds never released, caches). `0` disables the rule. */
  readonly keepLast?: number;
}

/**
 * Defaults: dev keeps 20 releases, staging 50, production 100, and their signatures; untagged
 * images go after 1, 7 and 14 days; dev and staging keep 50 and 100 images in all.
 */
export const DEFAULT_LIFECYCLE: Readonly<Record<EnvironmentKind, LifecyclePolicyArgs>> = {
  development: { expireUntaggedAfterDays: 1, keepLastTagged: 20, keepLast: 50 },
  staging: { expireUntaggedAfterDays: 7, keepLastTagged: 50, keepLast: 100 },
  production: { expireUntaggedAfterDays: 14, keepLastTagged: 100 },
};

/**
 * cosign's (v2) signature and attestation tags, `sha256-<digest>.sig` / `.att`, as a wildcard
 * (ECR's lifecycle patterns and tag-mutability exclusion filters read it alike): images of their
 * own, each new signer re-putting them.
 */
export const SIGNATURE_TAG_FILTER = "sha256-*";
/** Signatures and attestations kept per release kept (a `.sig` and an `.att`, with room to spare). */
const SIGNATURES_PER_RELEASE = 3;

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

/** ECR's limits on a `tagPatternList` entry: tag characters and `*`, at most four `*`. */
function isTagPattern(pattern: string): boolean {
  return /^[A-Za-z0-9_.*-]{1,128}$/.test(pattern) && (pattern.match(/\*/g) ?? []).length <= 4;
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
  const patterns = args.taggedPatterns;
  if (patterns !== undefined && (patterns.length === 0 || patterns.some((p) => !isTagPattern(p)))) {
    problem(
      "taggedPatterns",
      `must be non-empty tag patterns, got ${JSON.stringify(patterns)}.`,
      'Use letters, digits, _ . - and up to four * (any characters), e.g. ["v*"].',
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

/**
 * The lifecycle policy document for valid `args` (see `validateLifecyclePolicy`).
 * `releasePatterns`: the environment's release tags as patterns (`releaseTagPatterns`), used
 * unless `args.taggedPatterns` is given.
 */
export function lifecyclePolicyDocument(args: LifecyclePolicyArgs, releasePatterns: readonly string[] = ["*"]): string {
  const patterns = [...new Set(args.taggedPatterns ?? releasePatterns)];
  const rules: LifecycleRule[] = [];
  const add = (description: string, selection: LifecycleRule["selection"]): void => {
    rules.push({ rulePriority: rules.length + 1, description, selection, action: { type: "expire" } });
  };
  if (args.keepLastTagged) {
    // First: a release is claimed by its rule, and no lower rule may expire it.
    for (const pattern of patterns)
      add(`Keep the last ${args.keepLastTagged} releases tagged ${pattern}`, {
        tagStatus: "tagged",
        tagPatternList: [pattern],
        countType: "imageCountMoreThan",
        countNumber: args.keepLastTagged,
      });
  }
  if (!patterns.includes("*")) {
    // Then the signatures and attestations beside them (cosign's sha256-… tags, images of their
    // own that the tagged and catch-all rules would otherwise count and expire).
    const kept = SIGNATURES_PER_RELEASE * (args.keepLastTagged || args.keepLast || 100);
    add(`Keep the last ${kept} signatures and attestations (${SIGNATURE_TAG_FILTER})`, {
      tagStatus: "tagged",
      tagPatternList: [SIGNATURE_TAG_FILTER],
      countType: "imageCountMoreThan",
      countNumber: kept,
    });
  }
  if (args.expireUntaggedAfterDays) {
    add(`Expire untagged images after ${args.expireUntaggedAfterDays} day(s)`, {
      tagStatus: "untagged",
      countType: "sinceImagePushed",
      countUnit: "days",
      countNumber: args.expireUntaggedAfterDays,
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
