/**
 * Amazon ECR's lifecycle-policy evaluation, as its documentation states it
 * (../shared/research/ecr-rules.md, section 6), for the tests: validate a policy as ECR does, then
 * decide which images one evaluation expires or archives.
 *
 * - All rules are evaluated at once, then applied by priority; an image is acted on by one rule
 *   or none: the first rule whose tag selection it matches claims it, and no lower rule may act
 *   on it, even when that rule keeps it (6.4, 6.5). Lower rules still count it.
 * - `tagged` with `tagPatternList` (anchored `*` globs; a pattern without `*` is exact) or
 *   `tagPrefixList`; several entries are an AND: each must match some tag of the image (6.3).
 * - `imageCountMoreThan` ranks by push time, newest first; `sinceImagePushed` / `sinceImagePulled`
 *   compare with days (an image never pulled counts from its push: the reading that expires least
 *   early is not assumed, 6.8); the clock is the original push, never a re-tag (6.7).
 * - The image (digest) is the unit: it goes with all its tags (6.5). Referrers (a `subject`) count
 *   as images and are deleted with their subject (6.10); legacy `sha256-….sig/.att` tags are plain
 *   tagged images (6.11). A child of an index that stays cannot be expired
 *   (`ImageReferencedByManifestList`, 6.12); the children of an expired index stay behind.
 * - `transition` to `archive`: an archived image answers 404 to a pull (6.9).
 */
import { globMatches } from "./ecr-registry";

export interface LifecycleImage {
  readonly digest: string;
  readonly tags: readonly string[];
  /** Push time, ms. */
  readonly pushedAt: number;
  readonly lastPulledAt?: number;
  /** The subject's digest, for a referrer (OCI 1.1). */
  readonly subject?: string;
  /** The children's digests, for an index. */
  readonly children?: readonly string[];
}

interface Selection {
  tagStatus: "tagged" | "untagged" | "any";
  tagPatternList?: string[];
  tagPrefixList?: string[];
  storageClass?: "standard" | "archive";
  countType: "imageCountMoreThan" | "sinceImagePushed" | "sinceImagePulled" | "sinceImageTransitioned";
  countUnit?: "days";
  countNumber: number;
}

export interface LifecycleRule {
  rulePriority: number;
  description?: string;
  selection: Selection;
  action: { type: "expire" | "transition"; targetStorageClass?: "archive" };
}

const DAY = 86_400_000;

/** The reasons ECR would refuse `text` as a lifecycle policy (6.1, 6.2); empty when it takes it. */
export function lifecyclePolicyProblems(text: string): string[] {
  const problems: string[] = [];
  if (text.length < 100 || text.length > 30720) problems.push(`the policy is ${text.length} characters (100–30720)`);
  const rules = (JSON.parse(text) as { rules?: LifecycleRule[] }).rules ?? [];
  if (rules.length === 0) problems.push("no rules");
  const priorities = rules.map((r) => r.rulePriority);
  if (new Set(priorities).size !== priorities.length) problems.push("rulePriority values are not unique");
  if (rules.filter((r) => r.selection.tagStatus === "untagged").length > 1)
    problems.push("more than one rule selects untagged images");
  const highest = Math.max(...priorities);
  for (const rule of rules) {
    const s = rule.selection;
    const at = `rule ${rule.rulePriority}`;
    if (!Number.isInteger(s.countNumber) || s.countNumber < 1) problems.push(`${at}: countNumber must be ≥ 1`);
    if (s.countType === "imageCountMoreThan" && s.countUnit)
      problems.push(`${at}: imageCountMoreThan takes no countUnit`);
    if (s.countType !== "imageCountMoreThan" && s.countUnit !== "days")
      problems.push(`${at}: ${s.countType} needs countUnit days`);
    if (s.tagStatus === "tagged") {
      const lists = [s.tagPatternList, s.tagPrefixList].filter((l) => l !== undefined);
      if (lists.length !== 1 || lists[0].length === 0)
        problems.push(`${at}: a tagged rule needs tagPatternList or tagPrefixList (one of them)`);
      for (const p of s.tagPatternList ?? [])
        if ((p.match(/\*/g) ?? []).length > 4) problems.push(`${at}: "${p}" has more than 4 wildcards`);
    } else if (s.tagPatternList || s.tagPrefixList) problems.push(`${at}: only tagged rules take tag lists`);
    if (s.tagStatus === "any" && rule.rulePriority !== highest)
      problems.push(`${at}: a tagStatus any rule must have the highest rulePriority`);
    if (rule.action.type === "transition" && rule.action.targetStorageClass !== "archive")
      problems.push(`${at}: transition needs targetStorageClass archive`);
  }
  return problems;
}

/** Whether `image` meets the tagging requirements of `selection`. */
export function selects(selection: Selection, image: LifecycleImage): boolean {
  switch (selection.tagStatus) {
    case "any":
      return true;
    case "untagged":
      return image.tags.length === 0;
    case "tagged":
      if (image.tags.length === 0) return false;
      if (selection.tagPatternList)
        return selection.tagPatternList.every((p) => image.tags.some((t) => globMatches(p, t)));
      return (selection.tagPrefixList ?? []).every((p) => image.tags.some((t) => t.startsWith(p)));
  }
}

export interface Evaluation {
  /** Digest → the rule priority that expired it (or `subject` for a referrer gone with its subject). */
  readonly expired: Map<string, number | "subject">;
  readonly archived: Set<string>;
}

/** One evaluation of `policy` over `images` at `now`. */
export function evaluateLifecycle(policy: string, images: readonly LifecycleImage[], now: number): Evaluation {
  const problems = lifecyclePolicyProblems(policy);
  if (problems.length) throw new Error(`ECR refuses the lifecycle policy: ${problems.join("; ")}`);
  const rules = [...(JSON.parse(policy) as { rules: LifecycleRule[] }).rules].sort(
    (a, b) => a.rulePriority - b.rulePriority,
  );
  const claimed = new Map<string, LifecycleRule>();
  for (const image of images) {
    const rule = rules.find((r) => selects(r.selection, image));
    if (rule) claimed.set(image.digest, rule);
  }
  const acted = new Map<string, LifecycleRule>();
  for (const rule of rules) {
    const s = rule.selection;
    const candidates = images.filter((i) => selects(s, i));
    let chosen: LifecycleImage[];
    if (s.countType === "imageCountMoreThan")
      chosen = [...candidates].sort((a, b) => b.pushedAt - a.pushedAt).slice(s.countNumber);
    else if (s.countType === "sinceImagePushed")
      chosen = candidates.filter((i) => now - i.pushedAt > s.countNumber * DAY);
    else if (s.countType === "sinceImagePulled")
      chosen = candidates.filter((i) => now - (i.lastPulledAt ?? i.pushedAt) > s.countNumber * DAY);
    else chosen = [];
    for (const image of chosen) if (claimed.get(image.digest) === rule) acted.set(image.digest, rule);
  }
  // A child of an index that stays cannot be expired (ImageReferencedByManifestList).
  let changed = true;
  while (changed) {
    changed = false;
    for (const image of images)
      if (!acted.has(image.digest) && image.children)
        for (const child of image.children) if (acted.delete(child)) changed = true;
  }
  const expired = new Map<string, number | "subject">();
  const archived = new Set<string>();
  for (const [digest, rule] of acted) {
    if (rule.action.type === "expire") expired.set(digest, rule.rulePriority);
    else archived.add(digest);
  }
  // Referrers go with their subject (6.10), and theirs with them.
  changed = true;
  while (changed) {
    changed = false;
    for (const image of images)
      if (image.subject && expired.has(image.subject) && !expired.has(image.digest)) {
        expired.set(image.digest, "subject");
        changed = true;
      }
  }
  return { expired, archived };
}
