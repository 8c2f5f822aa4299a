/**
 * The lifecycle policies the component writes, evaluated as ECR evaluates them
 * (test/ecr-lifecycle.ts) over a simulated history of 300 releases per environment, each
 * repository receiving what the pipeline pushes there: images under `inputs-<hash>`, release
 * tags, the registry cache's moving `cache-*` tag, cosign's `sha256-<digest>.sig` / `.att` tags
 * re-put on each signature or attestation, provenance indexes with untagged children, builds a
 * gate refused, and reverts to an older image found by its inputs. After every daily evaluation,
 * the digest each stack's state pins, its children, its signature and its attestations must be
 * there; at the end, superseded caches, releases and refused builds must be gone.
 */
import { strict as assert } from "assert";
import { DEFAULT_LIFECYCLE, type LifecyclePolicyArgs, lifecyclePolicyDocument } from "../../../src/ecr";
import { type EnvironmentKind, releaseTagPatterns } from "../../../src/plan";
import { type LifecycleImage, evaluateLifecycle, lifecyclePolicyProblems } from "../../ecr-lifecycle";

const DAY = 86_400_000;

/** A repository's images as ECR holds them: a digest with its tags, push time, children, subject. */
class Repository {
  readonly images = new Map<
    string,
    { digest: string; tags: Set<string>; pushedAt: number; children?: string[]; subject?: string }
  >();
  private next = 0;

  /** Push a new image (with `children`: an index and its untagged children) under `tags`. */
  push(now: number, tags: string[], children = 0): string {
    const digest = `sha256:${(this.next++).toString(16).padStart(64, "0")}`;
    const kids = Array.from({ length: children }, () => {
      const child = `sha256:${(this.next++).toString(16).padStart(64, "0")}`;
      this.images.set(child, { digest: child, tags: new Set(), pushedAt: now });
      return child;
    });
    this.images.set(digest, { digest, tags: new Set(), pushedAt: now, ...(children ? { children: kids } : {}) });
    for (const tag of tags) this.tag(digest, tag);
    return digest;
  }

  /** Put `tag` on `digest` (a tag that moves leaves its previous image; an image's last tag gone, it is untagged). */
  tag(digest: string, tag: string): void {
    for (const image of this.images.values()) image.tags.delete(tag);
    this.images.get(digest)?.tags.add(tag);
  }

  /** cosign (v2): a signature or attestation is a new manifest put under `sha256-<hex>.<kind>`. */
  signature(now: number, subject: string, kind: "sig" | "att"): void {
    this.push(now, [`sha256-${subject.slice(7)}.${kind}`]);
  }

  holder(tag: string): string | undefined {
    for (const image of this.images.values()) if (image.tags.has(tag)) return image.digest;
    return undefined;
  }

  /** One daily evaluation of `policy`, applied: expired images go, with their tags. */
  evaluate(policy: string, now: number): number {
    const view: LifecycleImage[] = [...this.images.values()].map((i) => ({
      digest: i.digest,
      tags: [...i.tags],
      pushedAt: i.pushedAt,
      ...(i.children ? { children: i.children } : {}),
      ...(i.subject ? { subject: i.subject } : {}),
    }));
    const { expired } = evaluateLifecycle(policy, view, now);
    for (const digest of expired.keys()) this.images.delete(digest);
    return expired.size;
  }
}

interface History {
  /** What failed, when something a stack pins was expired; undefined when nothing was. */
  lost?: string;
  repository: Repository;
  releases: number;
}

/**
 * 300 releases of `env` (kind `kind`) into one repository under `policy`, evaluated daily:
 * dev builds three times a day (a provenance index every other build, the registry cache's tag
 * re-put each time) and releases most of them; staging releases daily, signed and with two
 * attestations; production weekly, signed and attested. A week of builds the release gate
 * refused, and reverts to an earlier release found by its inputs, are in every history.
 */
function simulate(env: string, kind: EnvironmentKind, policy: string): History {
  const repository = new Repository();
  const perDay = kind === "development" ? 3 : 1;
  const everyDays = kind === "production" ? 7 : 1;
  const signs = kind !== "development";
  let now = 0;
  let releases = 0;
  let build = 0;
  let deployed: string | undefined;
  const released: string[] = [];
  const check = (): string | undefined => {
    if (!deployed) return undefined;
    const image = repository.images.get(deployed);
    if (!image) return `the deployed ${deployed} (release ${releases}) was expired`;
    for (const child of image.children ?? [])
      if (!repository.images.has(child)) return `a child of the deployed ${deployed} was expired`;
    if (signs)
      for (const kind of ["sig", "att"])
        if (!repository.holder(`sha256-${deployed.slice(7)}.${kind}`))
          return `the .${kind} of the deployed ${deployed} (release ${releases}) was expired`;
    return undefined;
  };
  for (let day = 0; releases < 300; day++) {
    now = day * DAY;
    if (day % everyDays === 0)
      for (let i = 0; i < perDay && releases < 300; i++) {
        build++;
        const at = now + i * (DAY / perDay);
        // A week of builds refused by the release gate (pushed under their inputs, never tagged or signed).
        const refused = build >= 60 && build < 60 + 7 * perDay;
        // Every 50th build is a revert: an earlier release, found by its inputs, released again (its push time stays old).
        const revert = build % 50 === 0 && released.length > 5 ? released[released.length - 5] : undefined;
        let digest = revert;
        if (!digest) {
          digest = repository.push(at, [`inputs-${build}`], kind === "development" && build % 2 === 0 ? 2 : 0);
          if (kind === "development") repository.push(at, [`cache-app-${env}`]);
        }
        if (refused) continue;
        repository.tag(digest, `${env}-${build.toString(16).padStart(12, "0")}`);
        if (signs && !revert) {
          repository.signature(at, digest, "sig");
          repository.signature(at, digest, "att"); // the SBOM
          repository.signature(at, digest, "att"); // then the provenance: the .att tag put again
        }
        deployed = digest;
        if (!revert) released.push(digest);
        releases++;
      }
    repository.evaluate(policy, now + DAY - 1);
    const lost = check();
    if (lost) return { lost, repository, releases };
  }
  return { repository, releases };
}

const policyFor = (env: string, kind: EnvironmentKind, args: LifecyclePolicyArgs = DEFAULT_LIFECYCLE[kind]): string =>
  lifecyclePolicyDocument(args, releaseTagPatterns(undefined, env));

describe("ECR lifecycle: the component's policies over 300 releases per environment (ECR's evaluation rules)", () => {
  for (const [env, kind] of [
    ["dev", "development"],
    ["staging", "staging"],
    ["production", "production"],
  ] as const) {
    it(`${env}: the deployed digest, its children, signature and attestations survive every daily evaluation`, () => {
      const policy = policyFor(env, kind);
      assert.deepEqual(lifecyclePolicyProblems(policy), [], "ECR takes the policy");
      const history = simulate(env, kind, policy);
      assert.equal(history.lost, undefined, history.lost);
      assert.equal(history.releases, 300);
      const images = [...history.repository.images.values()];
      const keep = DEFAULT_LIFECYCLE[kind].keepLastTagged as number;
      const releases = images.filter((i) => [...i.tags].some((t) => t.startsWith(`${env}-`)));
      assert.ok(releases.length <= keep, `${releases.length} releases kept, at most ${keep}`);
      assert.ok(releases.length >= Math.min(keep, 300) - 1, `${releases.length} releases kept of the last ${keep}`);
      // Superseded caches and refused builds are gone; one cache image is left, the current one.
      const caches = images.filter((i) => [...i.tags].some((t) => t.startsWith("cache-")));
      assert.ok(caches.length <= 1);
      const refused = images.filter((i) => [...i.tags].every((t) => t.startsWith("inputs-")) && i.tags.size > 0);
      if (kind !== "production") assert.ok(refused.length < 30, `${refused.length} refused builds left`);
      const untagged = images.filter((i) => i.tags.size === 0 && !images.some((x) => x.children?.includes(i.digest)));
      assert.ok(untagged.length < 20, `${untagged.length} untagged images left that no index holds`);
    });
  }

  it("fails on policies that would expire what is deployed: the previous dev default, too few releases, no signature rule", () => {
    // Before: dev kept the last 20 images of any kind; a week of refused builds pushed the deployed release out.
    const before = simulate(
      "dev",
      "development",
      lifecyclePolicyDocument({ expireUntaggedAfterDays: 1, keepLast: 20 }),
    );
    assert.match(before.lost ?? "", /the deployed sha256:[0-9a-f]+ \(release \d+\) was expired/);
    // Keeping fewer releases than a revert reaches back: the reverted-to image is older than the kept ones.
    const few = simulate(
      "staging",
      "staging",
      policyFor("staging", "staging", { expireUntaggedAfterDays: 7, keepLastTagged: 3 }),
    );
    assert.match(few.lost ?? "", /the deployed/);
    // Releases kept, but signatures left to a small catch-all count: a revert's signature is expired.
    const rules = (...selections: object[]): string =>
      JSON.stringify({
        rules: selections.map((selection, i) => ({ rulePriority: i + 1, selection, action: { type: "expire" } })),
      });
    const unsigned = simulate(
      "staging",
      "staging",
      rules(
        { tagStatus: "tagged", tagPatternList: ["staging-*"], countType: "imageCountMoreThan", countNumber: 50 },
        { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 },
        { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 5 },
      ),
    );
    assert.match(unsigned.lost ?? "", /the \.(sig|att) of the deployed/);
    // The component's rule for them keeps them with the same catch-all count.
    const signed = simulate(
      "staging",
      "staging",
      policyFor("staging", "staging", { expireUntaggedAfterDays: 7, keepLastTagged: 50, keepLast: 5 }),
    );
    assert.equal(signed.lost, undefined);
  });
});

describe("ECR lifecycle evaluation (test/ecr-lifecycle.ts), rule by rule", () => {
  const image = (digest: string, tags: string[], day: number, extra: Partial<LifecycleImage> = {}): LifecycleImage => ({
    digest,
    tags,
    pushedAt: day * DAY,
    ...extra,
  });
  const policy = (...rules: object[]): string =>
    JSON.stringify({
      rules: rules.map((selection, i) => ({
        rulePriority: i + 1,
        description: `rule ${i + 1}`.padEnd(40, "."),
        selection,
        action: { type: "expire" },
      })),
    });

  it("a higher rule that selects an image protects it from every lower rule, even while keeping it", () => {
    const images = [image("a", ["prod-1"], 1), image("b", ["prod-2"], 2), image("c", ["tmp"], 3)];
    const text = policy(
      { tagStatus: "tagged", tagPatternList: ["prod-*"], countType: "imageCountMoreThan", countNumber: 5 },
      { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 1 },
    );
    assert.deepEqual([...evaluateLifecycle(text, images, 10 * DAY).expired.keys()], []);
    // Without the first rule, the catch-all keeps only the newest.
    const bare = policy({ tagStatus: "any", countType: "imageCountMoreThan", countNumber: 1 });
    assert.deepEqual([...evaluateLifecycle(bare, images, 10 * DAY).expired.keys()].sort(), ["a", "b"]);
  });

  it("several patterns in one rule are an AND; a pattern without * matches exactly", () => {
    const images = [image("a", ["prod-1", "staging-1"], 1), image("b", ["prod-2"], 2), image("c", ["prod"], 3)];
    const both = policy({
      tagStatus: "tagged",
      tagPatternList: ["prod-*", "staging-*"],
      countType: "sinceImagePushed",
      countUnit: "days",
      countNumber: 1,
    });
    assert.deepEqual([...evaluateLifecycle(both, images, 10 * DAY).expired.keys()], ["a"]);
    const exact = policy({
      tagStatus: "tagged",
      tagPatternList: ["prod"],
      countType: "sinceImagePushed",
      countUnit: "days",
      countNumber: 1,
    });
    assert.deepEqual([...evaluateLifecycle(exact, images, 10 * DAY).expired.keys()], ["c"]);
  });

  it("referrers go with their subject; an index's children cannot be expired while it stays", () => {
    const images = [
      image("s", ["old"], 1),
      image("r", [], 2, { subject: "s" }),
      image("i", ["keep"], 3, { children: ["k"] }),
      image("k", [], 3),
    ];
    const text = policy(
      {
        tagStatus: "tagged",
        tagPatternList: ["old"],
        countType: "sinceImagePushed",
        countUnit: "days",
        countNumber: 1,
      },
      { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 100 },
    );
    const { expired } = evaluateLifecycle(text, images, 10 * DAY);
    assert.deepEqual(
      [...expired.entries()],
      [
        ["s", 1],
        ["r", "subject"],
      ],
    );
    const untagged = policy({
      tagStatus: "untagged",
      countType: "sinceImagePushed",
      countUnit: "days",
      countNumber: 1,
    });
    assert.deepEqual(
      [...evaluateLifecycle(untagged, images, 10 * DAY).expired.keys()],
      ["r"],
      "k is held by its index",
    );
  });

  it("refuses what ECR refuses: an any rule not last, two untagged rules, five wildcards, a tagged rule without patterns", () => {
    const problems = lifecyclePolicyProblems(
      policy(
        { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 1 },
        { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 1 },
        { tagStatus: "untagged", countType: "imageCountMoreThan", countNumber: 1 },
        { tagStatus: "tagged", tagPatternList: ["a*b*c*d*e*f"], countType: "imageCountMoreThan", countNumber: 1 },
        { tagStatus: "tagged", countType: "imageCountMoreThan", countNumber: 1 },
      ),
    );
    assert.ok(problems.some((p) => /any rule must have the highest/.test(p)));
    assert.ok(problems.some((p) => /more than one rule selects untagged/.test(p)));
    assert.ok(problems.some((p) => /more than 4 wildcards/.test(p)));
    assert.ok(problems.some((p) => /needs tagPatternList or tagPrefixList/.test(p)));
    assert.throws(
      () => evaluateLifecycle(policy({ tagStatus: "any", countType: "imageCountMoreThan", countNumber: 0 }), [], 0),
      /countNumber/,
    );
  });
});
