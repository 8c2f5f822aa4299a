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
/** Podman's and Buildah's step line: `[2/3] STEP 4/5: RUN make` (no `[n/m]` with one stage). */
const ENGINE_STEP = /^(?:\[(\d+)\/\d+\] )?STEP (\d+)\/\d+: (.*)$/;
/** Their `FROM … AS name` names the stage the following steps belong to. */
const FROM_AS = /^FROM\s+\S+\s+AS\s+(\S+)\s*$/i;

/**
 * The step a progress line starts (`#7 [builder 2/5] RUN npm ci`; Podman's `[1/2] STEP 2/5: RUN
 * npm ci`, numbered stage × 1000 + step, its stage named only on its `FROM … AS` line), or
 * `undefined` for any other line.
 */
export function parseStepLine(line: string): Omit<BuildStep, "cached"> | undefined {
  const step = STEP.exec(line);
  if (step) return { id: Number(step[1]), stage: step[2], instruction: step[4] };
  const engine = ENGINE_STEP.exec(line);
  if (!engine) return undefined;
  const stage = FROM_AS.exec(engine[3])?.[1];
  return { id: Number(engine[1] ?? 1) * 1000 + Number(engine[2]), ...(stage ? { stage } : {}), instruction: engine[3] };
}

/**
 * Instruction steps (`[stage n/m] INSTRUCTION`) in order, with their cache status. A daemonless
 * engine's steps take the stage of their group's `FROM … AS`, and its `--> Using cache` marks the
 * step before it cached.
 */
export function parseBuildSteps(log: string): BuildStep[] {
  const steps = new Map<number, BuildStep>();
  const cached = new Set<number>();
  const groupStage = new Map<number, string>();
  let last: number | undefined;
  for (const line of log.split(/\r?\n/)) {
    const step = parseStepLine(line);
    if (step && !steps.has(step.id)) {
      const group = Math.floor(step.id / 1000);
      if (step.id >= 1000 && step.stage) groupStage.set(group, step.stage);
      const stage = step.stage ?? (step.id >= 1000 ? groupStage.get(group) : undefined);
      steps.set(step.id, { ...step, ...(stage ? { stage } : {}), cached: false });
      last = step.id;
      continue;
    }
    const hit = CACHED.exec(line);
    if (hit) cached.add(Number(hit[1]));
    else if (last !== undefined && last >= 1000 && line.startsWith("--> Using cache ")) cached.add(last);
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

/** Podman's and Buildah's failure: `Error: building at STEP "RUN make": while running runtime: exit status 2`. */
const ENGINE_ERROR = /^(?:Error: )?(?:error )?building at STEP "(.*)": (.*)$/;

/** The step a daemonless engine's log stopped at: the last step before its error, with what it printed. */
function engineFailedStep(lines: readonly string[]): FailedStep | undefined {
  const at = lines.findIndex((line) => ENGINE_ERROR.test(line));
  if (at < 0) return undefined;
  const error = ENGINE_ERROR.exec(lines[at]) as RegExpExecArray;
  const before = lines.slice(0, at);
  const start = before.map((l) => ENGINE_STEP.test(l)).lastIndexOf(true);
  const steps = parseBuildSteps(before.join("\n"));
  const step = steps.at(-1);
  const exit = /exit status (\d+)/.exec(error[2]);
  const output = before.slice(start + 1).filter((l) => l !== "" && !/^(--> |COMMIT |STEP \d)/.test(l));
  return {
    id: step?.id ?? 0,
    ...(step?.stage ? { stage: step.stage } : {}),
    instruction: error[1],
    ...(exit ? { exitCode: Number(exit[1]) } : {}),
    error: error[2],
    output,
  };
}

/** The first step that failed in a `--progress=plain` log (or a Podman or Buildah log), or `undefined` when none did. */
export function failedStep(log: string): FailedStep | undefined {
  const lines = log.split(/\r?\n/);
  const failed = lines.map((line) => ERROR_LINE.exec(line)).find((m) => m !== null);
  if (!failed) return engineFailedStep(lines);
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
