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

/** The step a progress line starts (`#7 [builder 2/5] RUN npm ci`), or `undefined` for any other line. */
export function parseStepLine(line: string): Omit<BuildStep, "cached"> | undefined {
  const step = STEP.exec(line);
  return step ? { id: Number(step[1]), stage: step[2], instruction: step[4] } : undefined;
}

/** Instruction steps (`[stage n/m] INSTRUCTION`) in order, with their cache status. */
export function parseBuildSteps(log: string): BuildStep[] {
  const steps = new Map<number, BuildStep>();
  const cached = new Set<number>();
  for (const line of log.split(/\r?\n/)) {
    const step = parseStepLine(line);
    if (step && !steps.has(step.id)) {
      steps.set(step.id, { ...step, cached: false });
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

/** The step a failed build stopped at, read from its `--progress=plain` log. */
export interface FailedStep {
  /** Step number in the log (`#7`). */
  id: number;
  /** Stage as BuildKit names it (`production`, `stage-2`); absent when the build has one stage. */
  stage?: string;
  /** The instruction as BuildKit prints it, continuation lines joined (`RUN npm test`). */
  instruction: string;
  /** The process's exit code, for a `RUN` that failed. */
  exitCode?: number;
  /** BuildKit's error line for the step. */
  error: string;
  /** What the step printed, in order (timestamps and step numbers taken off). */
  output: string[];
}

const ERROR_LINE = /^#(\d+) ERROR: (.*)$/;
const OUTPUT_LINE = /^#(\d+) \d+\.\d+ (.*)$/;

/** The first step that failed in a `--progress=plain` log, or `undefined` when none did. */
export function failedStep(log: string): FailedStep | undefined {
  const lines = log.split(/\r?\n/);
  const failed = lines.map((line) => ERROR_LINE.exec(line)).find((m) => m !== null);
  if (!failed) return undefined;
  const id = Number(failed[1]);
  const step = parseBuildSteps(log).find((s) => s.id === id);
  if (!step) return undefined;
  const exit = /exit code: (\d+)/.exec(failed[2]);
  const output = lines.flatMap((line) => {
    const m = OUTPUT_LINE.exec(line);
    return m && Number(m[1]) === id ? [m[2]] : [];
  });
  return {
    id,
    ...(step.stage ? { stage: step.stage } : {}),
    instruction: step.instruction,
    ...(exit ? { exitCode: Number(exit[1]) } : {}),
    error: failed[2],
    output,
  };
}
