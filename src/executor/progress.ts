/** Read BuildKit's `--progress=plain` log: which steps ran and which came from cache. */

export interface BuildStep {
  /** Step number in the log (`#7`). */
  id: number;
  /** Stage the step belongs to (`builder`), or `undefined` for internal steps. */
  stage?: string;
  /** The instruction as BuildKit prints it (`RUN npm ci`). */
  instruction: string;
  /** True when BuildKit reused the cached result. */
  cached: boolean;
}

const STEP = /^#(\d+) \[(?:([^\]\s]+) )?(\d+\/\d+)\] (.*)$/;
const CACHED = /^#(\d+) CACHED$/;

/** Instruction steps (`[stage n/m] INSTRUCTION`) in order, with their cache status. */
export function parseBuildSteps(log: string): BuildStep[] {
  const steps = new Map<number, BuildStep>();
  const cached = new Set<number>();
  for (const line of log.split(/\r?\n/)) {
    const step = STEP.exec(line);
    if (step && !steps.has(Number(step[1]))) {
      steps.set(Number(step[1]), { id: Number(step[1]), stage: step[2], instruction: step[4], cached: false });
      continue;
    }
    const hit = CACHED.exec(line);
    if (hit) cached.add(Number(hit[1]));
  }
  return [...steps.values()].map((s) => ({ ...s, cached: cached.has(s.id) })).sort((a, b) => a.id - b.id);
}

/** Steps that did real work (not cached), excluding the `FROM` pulls of base images. */
export function executedSteps(steps: readonly BuildStep[]): BuildStep[] {
  return steps.filter((s) => !s.cached && !s.instruction.startsWith("FROM "));
}
