/**
 * A failed build said where: the environment, the stage, the Dockerfile line and instruction,
 * the exit code and the last lines that step printed, with the whole log kept in a file the
 * message names, instead of the builder's raw output.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseDockerfile, stageLabel } from "../dockerfile";
import { DockerCommandError, type FailedStep, failedStep } from "../executor";
import { type BuildPlan, excerpt } from "../plan";

/** How many of the failing step's last lines the message quotes. */
const QUOTED_LINES = 12;
/** How many lines naming failed tests it quotes before them, and how much of each line. */
const FAILING_LINES = 20;
const LINE_CHARACTERS = 300;

/**
 * Lines by which test runners name a failed test or its reason: TAP (`not ok 2 - …`, node --test,
 * tap, bats), Jest and Vitest (`FAIL`, `●`), mocha (`1) …`), pytest (`FAILED …::…`, `E   …`, the
 * `=== 1 failed ===` summary), go test (`--- FAIL:`, `FAIL\tpkg`), JUnit through Maven Surefire
 * (`<<< FAILURE!`, `Tests run: …, Failures: 1`), and any `Error:`/`AssertionError` line.
 */
const TAP_NOT_OK = /^not ok \d+/;
const FAILURE_LINE = [
  TAP_NOT_OK,
  /^\s*(FAIL|FAILED)\b/,
  /^\s*--- FAIL:/,
  /<<< (FAILURE|ERROR)!/,
  /^\[ERROR\] (Tests run:|Failures:|Errors:)/,
  /^E {2,}\S/,
  /^=+ .*\b\d+ (failed|errors?)\b.*=+$/,
  /\b(AssertionError|AssertionFailedError|Error)\b.*:/,
  /^\s*● /,
  /^\s+\d+\) \S/,
  /^\s*(Expected|Received):/,
  /^Tests:\s+\d+ failed/,
  /^\s+\S+_test\.go:\d+: /,
  /^\S+\.py:\d+: \w*Error$/,
];
/** The indented lines after a TAP `not ok` (its YAML block: error, expected, actual, at). */
const TAP_DETAIL = /^\s{2,}\S/;

/**
 * The lines of `output` that name failing tests and their reasons, in order, at most
 * `FAILING_LINES` of them, each at most `LINE_CHARACTERS` long: what a failing test gate shows
 * first, before the tail (which holds only the runner's summary: `# pass 1`, `# fail 1`).
 */
export function failingTestLines(output: readonly string[]): string[] {
  const found: string[] = [];
  let inTap = false;
  for (const line of output) {
    if (inTap && line.trim() === "") continue; // a blank line inside a TAP block's error text
    const tap = TAP_NOT_OK.test(line);
    if (FAILURE_LINE.some((p) => p.test(line)) || (inTap && TAP_DETAIL.test(line))) {
      if (!/^\s*(---|\.\.\.)\s*$/.test(line)) found.push(excerpt(line, LINE_CHARACTERS));
      inTap = tap || (inTap && TAP_DETAIL.test(line));
    } else inTap = false;
    if (found.length >= FAILING_LINES) break;
  }
  return found;
}

/** Where a failed step is in the Dockerfile: its stage and the instruction's line. */
export interface FailureLocation {
  stage: string;
  line: number;
  instruction: string;
}

/**
 * The instruction of `dockerfileText` BuildKit printed as `step`: in the stage it names (its
 * `AS` name, or `stage-<n>` for an unnamed one), else in any stage of `stages`, matched by its
 * text with continuation lines joined and runs of white space as one.
 */
export function locateStep(
  step: Pick<FailedStep, "stage" | "instruction">,
  dockerfileText: string,
  stages: readonly string[],
): FailureLocation | undefined {
  const squash = (text: string): string => text.replace(/\s+/g, " ").trim().toLowerCase();
  const wanted = squash(step.instruction);
  const { model, instructions } = parseDockerfile(dockerfileText);
  const found: FailureLocation[] = [];
  for (const node of instructions) {
    const stage = model.stages.find((s) => node.line > s.line && node.line <= s.endLine);
    const text = squash([node.keyword, ...node.flags, node.rest].join(" "));
    if (stage && (text === wanted || (wanted.length > 0 && text.startsWith(wanted))))
      found.push({
        stage: stageLabel(stage),
        line: node.line,
        instruction: `${node.keyword} ${[...node.flags, node.rest].join(" ")}`,
      });
  }
  const named = (l: FailureLocation): boolean =>
    step.stage !== undefined &&
    (l.stage.toLowerCase() === step.stage.toLowerCase() || `stage-${l.stage.slice(1)}` === step.stage);
  return found.find(named) ?? found.find((l) => stages.includes(l.stage)) ?? found[0];
}

/**
 * `err` said where, when it is a build that failed at a step: a new error naming the
 * environment, the stage, `dockerfile`'s line and instruction, the exit code and the step's last
 * lines, with the whole log written to a file it names. Anything else is returned as it is.
 * `built` is the Dockerfile given to the builder (the closure keeps the original's line numbers).
 */
export function explainBuildFailure(
  err: unknown,
  plan: Pick<BuildPlan, "environment" | "dockerfile" | "stages">,
  built: string,
  what: "build" | "test gate",
): unknown {
  if (!(err instanceof DockerCommandError) || (err.step !== "build" && err.step !== "test gate")) return err;
  // Every stage built; BuildKit's own step that failed is writing the registry cache (its
  // `cache-*` tag, which moves on every build): said as that, with the registry's answer.
  const cache = /^ > exporting cache to registry:\n[\s\S]*?^(ERROR: .*)$/m.exec(err.output);
  if (cache)
    return new Error(
      `${what} of environment "${plan.environment}": every stage built, but the registry refused its cache (${excerpt(cache[1], LINE_CHARACTERS)}). The registry cache puts its cache-<target>-<env> tag again on every build: a repository that keeps tags immutable (ECR's IMMUTABLE) must let cache-* tags move (an exclusion filter cache-*, IMMUTABLE_WITH_EXCLUSION; a repository this component creates has it), or turn the cache off (registryCache: false). The whole build log: ${keepLog(err.output, plan.environment)}`,
      { cause: err },
    );
  const step = failedStep(err.output);
  if (!step) return err;
  let text = "";
  try {
    text = fs.readFileSync(built, "utf8");
  } catch {
    // The Dockerfile is gone: the message names the step as BuildKit printed it.
  }
  const where = text ? locateStep(step, text, plan.stages) : undefined;
  const logFile = keepLog(err.output, plan.environment);
  const stage = where?.stage ?? step.stage ?? "(the only stage)";
  const position = where ? `${plan.dockerfile}:${where.line}` : plan.dockerfile;
  const lines = step.output.slice(-QUOTED_LINES).map((l) => excerpt(l, LINE_CHARACTERS));
  const failing = failingTestLines(step.output);
  const message = [
    `${what} of environment "${plan.environment}" failed in stage "${stage}" at ${position}: ${where?.instruction ?? step.instruction}`,
    step.exitCode !== undefined ? `exited with code ${step.exitCode}` : step.error,
    ...(failing.length ? ["what failed:", ...failing.map((l) => `  | ${l}`)] : []),
    ...(lines.length
      ? [`its last ${lines.length === 1 ? "line" : `${lines.length} lines`}:`, ...lines.map((l) => `  | ${l}`)]
      : ["it printed nothing"]),
    `The whole build log: ${logFile}`,
  ].join("\n");
  return new Error(message, { cause: err });
}

/** Write a failed build's log where the user can read it later; its path. */
function keepLog(log: string, environment: string): string {
  const dir = path.join(os.tmpdir(), "multistage-logs");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${environment.replace(/[^A-Za-z0-9_.-]/g, "-")}-${Date.now()}-${process.pid}.log`);
  fs.writeFileSync(file, log, { mode: 0o600 });
  return file;
}
