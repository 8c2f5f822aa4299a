/**
 * A buildx builder of several nodes: which node builds which platform. Each node declares its
 * platforms (`buildx create --platform`, shown with `*` by `buildx inspect`); a platform goes to
 * the first node declaring it, else the first that supports it. Pure.
 */

/** One node of a builder, as `buildx inspect` lists it. */
export interface BuilderNode {
  readonly name: string;
  /** The platforms given to `buildx create --platform` for this node. */
  readonly declared: readonly string[];
  /** Every platform it reports (its workers' and the declared ones). */
  readonly platforms: readonly string[];
}

/** The nodes in `buildx inspect <builder>`'s output, in order. */
export function builderNodes(inspect: string): BuilderNode[] {
  const nodes: Array<{ name: string; declared: string[]; platforms: string[] }> = [];
  let inNodes = false;
  for (const line of inspect.split("\n")) {
    if (/^Nodes:\s*$/.test(line)) inNodes = true;
    const field = /^(\w[\w ]*?):\s+(.*)$/.exec(line);
    if (!inNodes || !field) continue;
    if (field[1] === "Name") nodes.push({ name: field[2].trim(), declared: [], platforms: [] });
    else if (field[1] === "Platforms" && nodes.length) {
      const node = nodes[nodes.length - 1];
      for (const item of field[2]
        .split(",")
        .map((p) => p.trim())
        .filter(Boolean)) {
        const platform = item.replace(/\*$/, "");
        if (item.endsWith("*")) node.declared.push(platform);
        node.platforms.push(platform);
      }
    }
  }
  return nodes;
}

/**
 * The node each platform is built on, when the platforms go to more than one node (else
 * `undefined`: one build on one node makes the index, as it always has).
 */
export function spreadOverNodes(
  platforms: readonly string[],
  nodes: readonly BuilderNode[],
): Record<string, string> | undefined {
  const assigned: Record<string, string> = {};
  for (const platform of platforms) {
    const node = nodes.find((n) => n.declared.includes(platform)) ?? nodes.find((n) => n.platforms.includes(platform));
    if (!node) return undefined;
    assigned[platform] = node.name;
  }
  return new Set(Object.values(assigned)).size > 1 ? assigned : undefined;
}
