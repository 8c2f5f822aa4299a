#!/usr/bin/env node
/**
 * `multistage`: the package's model from the command line, no Pulumi needed.
 *   multistage plan|graph|lint|why|bake|build [options]
 * Exit codes: 0 done, 1 a finding or a failure (lint errors, a plan error, a failed build),
 * 2 a usage error.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { didYouMean, stageClosure, stageLabel } from "../dockerfile";
import { type LintRuleId, type LintSeverity, LINT_RULES, lintDockerfile } from "../lint";
import {
  type BuildPlan,
  type BuildPlanOptions,
  type Diagnostic,
  MultiStageError,
  type PlanArgs,
  classifyEnvironment,
  environmentKind,
  formatDiagnostic,
  inputsRecord,
  rebuildReason,
  resolveDockerfilePath,
  excerpt,
  isCommit,
  parseImageReference,
  registryHost,
  repositoryOf,
  repositoryProblem,
  toPlanOptions,
  planBuild,
  validatePlanArgs,
  withInputsHash,
  wrongType,
} from "../plan";
import {
  type LocalSource,
  detectGitSha,
  detectSourceUrl,
  isGitContext,
  localSource,
  parseGitContext,
  planBuildFromFiles,
  sourceDateEpoch,
  readDockerfile,
  readPublicKeys,
  targetInputs,
} from "../context";
import { type BakeSource, SupplyChain, bakeTarget, machineLogin } from "../executor";
import { type RegistryAccess, findManifest, getBlob, getManifest } from "../registry";
import { SIGNATURE_ANNOTATIONS, inputsTag, prepareImage, publishImage } from "../publish";
import { baseImageResolver, dockerHost } from "../host";

/** A usage error: exit code 2. */
class UsageError extends Error {}

/** Where the output goes (tests pass their own). */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/**
 * `--config <file.json>`: the component's plan args (`PlanArgs`, paths relative to the file)
 * as JSON, and the CLI's own `lint` settings. A field it does not know is refused by name,
 * and each field's type is checked by the component's own check.
 */
type ConfigFile = Partial<PlanArgs> & {
  lint?: { severities?: Partial<Record<LintRuleId, LintSeverity>> };
};

/** Parse and check a `--config` file's text: a JSON object of plan args (and `lint`). */
export function parseConfigFile(text: string, label: string): ConfigFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--config ${label}: ${(err as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new UsageError(
      `--config ${label}: must hold a JSON object of the component's args, got ${JSON.stringify(parsed)}`,
    );
  const diagnostics: Diagnostic[] = [];
  validatePlanArgs(parsed, diagnostics, { unknownFields: true, extraFields: ["lint"] });
  const lint: unknown = (parsed as { lint?: unknown }).lint;
  const lintFields = typeof lint === "object" && lint !== null && !Array.isArray(lint) ? Object.keys(lint) : [];
  for (const field of lintFields.filter((f) => f !== "severities"))
    diagnostics.push({
      severity: "error",
      code: "invalid-argument",
      property: `lint.${field}`,
      message: 'is not a field of lint (its one field: "severities").',
      hint: 'Write { "lint": { "severities": { "<rule>": "error" | "warning" | "off" } } }.',
    });
  if (lint !== undefined && (typeof lint !== "object" || lint === null || Array.isArray(lint)))
    diagnostics.push(
      wrongType(
        "lint",
        'an object ({ "severities": { "<rule>": "error" | "warning" | "off" } })',
        lint,
        "invalid-argument",
        "multistage lint --help",
      ),
    );
  if (diagnostics.length)
    throw new UsageError(diagnostics.map((d) => `--config ${label}: ${formatDiagnostic(d)}`).join("\n"));
  return parsed as ConfigFile;
}

const COMMON = {
  config: { type: "string" },
  context: { type: "string" },
  dockerfile: { type: "string", short: "f" },
  env: { type: "string", short: "e" },
  target: { type: "string" },
  "build-arg": { type: "string", multiple: true },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

const HELP: Record<string, string> = {
  "": `multistage: one multi-stage Dockerfile, the right image per environment.

Usage: multistage <command> [options]

Commands:
  plan    the resolved plan of an environment (text or --json)
  graph   the stage graph, the environment's target closure highlighted (Mermaid or DOT)
  lint    the seeds' best practices: each finding with its rule, line and fix
  why     why an environment's image would be rebuilt since a git revision
  bake    a docker-bake.json with one target per environment
  build   run the plan with the Docker CLI (BuildKit), and push it
  verify  whether an image in a registry is the one this checkout's inputs build

Options every command takes:
  --config <file.json>   the component's plain args (context, dockerfile, environments, buildArgs, …)
  --context <dir>        build context (default: the config's, else .)
  -f, --dockerfile <f>   Dockerfile (default: <context>/Dockerfile)
  -e, --env <name>       environment (default: dev)
  --target <stage>       stage to build, over the environment's
  --build-arg K=V        build arg (repeat it)
  --json                 machine-readable output
  -h, --help             help for a command: multistage <command> --help

Exit codes: 0 done, 1 a finding or a failure, 2 a usage error.
`,
  plan: `Usage: multistage plan [-e <env>] [--json]

The plan an environment gets: the target and its closure, the stages skipped, build args,
tags, the test gate, what the target reads from the context (or why the whole context), and
its inputs hash. --json prints the plan and the inputs as JSON.
`,
  graph: `Usage: multistage graph [-e <env>] [--format mermaid|dot]

The stage graph: stages, what each is built FROM, copies from or mounts, and the images from
outside; the environment's target and its closure are highlighted. Default format: mermaid.
`,
  lint: `Usage: multistage lint [-e <env>] [--severity <rule>=<error|warning|off>]… [--fail-on error|warning|never] [--json]

Checks the Dockerfile and the context's .dockerignore against the seeds' best practices.
Rules: ${Object.keys(LINT_RULES).join(", ")}.
Exit code 1 when a finding is at or above --fail-on: by default error in a production
environment (production fails on errors), never elsewhere.
`,
  why: `Usage: multistage why -e <env> [--since <git revision>] [--json]

Compares the environment's inputs now with those at a git revision (default HEAD: your
uncommitted changes) and says whether its image would be rebuilt, naming the stage and the
file, arg or base image that changed.
`,
  bake: `Usage: multistage bake [-e <env>]… [--repository <repo>] [--out <file>]

A docker-bake.json with one target per environment (default: the config's environments, else
dev and production), made from the same plan the component builds: every build setting (target,
args, labels, annotations, tags, platforms, caches, named contexts, secrets read from variables
of their ids, SSH, outputs, attestations, reproducible timestamps, the knobs); a Git context as
its URL at the planned commit, dockerfileInline as its text. What runs around a build (the push,
signing, the release gate, the size budget) is named on stderr. Prints it, or writes --out.
`,
  verify: `Usage: multistage verify -e <env> [--key <cosign.pub>]… [--json] <image reference>

Answers, without building, whether the image is the one this checkout builds for the environment:
  signature     a signature by one of the --key public keys carrying this checkout's inputs hash
                (what the component's signing writes; checked with cosign, offline)
  inputs tag    the repository's inputs-<hash> tag names the same digest (tags can move: weaker)
  reproducible  with reproducible, its config's time is this commit's and its revision label
                this commit (the digest itself is the inputs' only on the same base images)
Exit code 0 when the signature verifies (or, with no --key, the inputs tag names it), else 1.
Credentials: MULTISTAGE_REGISTRY_USER and MULTISTAGE_REGISTRY_PASSWORD; cosign from $MULTISTAGE_COSIGN or PATH.
`,
  build: `Usage: multistage build -e <env> [--push --repository <host/repo>] [--builder <name|endpoint>]

Publishes the environment's plan as the MultiStageImage component does: with --push and the
registry's credentials, it first asks the registry for the image with the same inputs and only
tags it; else it runs the test gate, builds the closure files with the Docker CLI (BuildKit),
pushes, holds the tags back when the image is over environments.<env>.sizeBudget, and prints
the digest-pinned reference. Credentials: MULTISTAGE_REGISTRY_USER and MULTISTAGE_REGISTRY_PASSWORD.
`,
};

/** Run the CLI with `argv` (without node and the script); returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command = "", ...rest] = argv;
  try {
    if (command === "" || command === "--help" || command === "-h" || command === "help") {
      io.out(HELP[""]);
      return command === "" ? 2 : 0;
    }
    if (!(command in HELP)) throw new UsageError(`unknown command "${command}"`);
    switch (command) {
      case "plan":
        return planCommand(rest, io);
      case "graph":
        return graphCommand(rest, io);
      case "lint":
        return lintCommand(rest, io);
      case "why":
        return whyCommand(rest, io);
      case "bake":
        return bakeCommand(rest, io);
      case "verify":
        return await verifyCommand(rest, io);
      default:
        return await buildCommand(rest, io);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`multistage: ${err.message}\n${command in HELP && command ? HELP[command] : "Run multistage --help."}`);
      return 2;
    }
    if (err instanceof MultiStageError) {
      io.err(`${err.diagnostics.map((d) => `error: ${formatDiagnostic(d)}`).join("\n")}\n`);
      return 1;
    }
    io.err(`multistage: ${(err as Error).message}\n`);
    return 1;
  }
}

type Parsed<T extends Record<string, unknown>> = {
  [K in keyof T]?: T[K] extends { multiple: true } ? string[] : T[K] extends { type: "boolean" } ? boolean : string;
};

/** Parse the options of `command`, usage errors as `UsageError`. */
function options<T extends Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>>(
  args: readonly string[],
  extra: T,
): Parsed<typeof COMMON & T> {
  try {
    return parseArgs({ args: [...args], options: { ...COMMON, ...extra }, strict: true, allowPositionals: false })
      .values as Parsed<typeof COMMON & T>;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The plan options from the config file and the flags (flags win). */
function commandLineOptions(
  values: Parsed<typeof COMMON>,
  io: CliIo,
  environment?: string,
): BuildPlanOptions & { config: ConfigFile } {
  let config: ConfigFile = {};
  let base = io.cwd;
  if (values.config) {
    const file = path.resolve(io.cwd, values.config);
    if (!fs.existsSync(file)) throw new UsageError(`--config ${values.config}: no such file`);
    config = parseConfigFile(fs.readFileSync(file, "utf8"), values.config);
    base = path.dirname(file);
  }
  const buildArgs: Record<string, string> = { ...(config.buildArgs ?? {}) };
  for (const pair of values["build-arg"] ?? []) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--build-arg ${pair}: write NAME=value`);
    buildArgs[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  let source: LocalSource;
  try {
    source = localSource({
      context: values.context ?? config.context,
      dockerfileGiven: values.dockerfile !== undefined || config.dockerfile !== undefined,
      dockerfileInline: config.dockerfileInline,
    });
  } catch (err) {
    if (!(err instanceof MultiStageError)) throw err;
    throw new UsageError(err.diagnostics.map((d) => formatDiagnostic(d)).join("\n"));
  }
  const context =
    source.context ??
    (values.context ? path.resolve(io.cwd, values.context) : path.resolve(base, config.context ?? "."));
  const dockerfile = values.dockerfile
    ? path.resolve(io.cwd, values.dockerfile)
    : (source.dockerfile ?? (config.dockerfile ? path.resolve(base, config.dockerfile) : undefined));
  const commit = source.commit ?? detectedCommit(context, io.env);
  const chosen = environment ?? values.env ?? "dev";
  checkEnvironmentName(chosen, config);
  return {
    ...toPlanOptions(
      { ...config, context, dockerfile, target: values.target ?? config.target, buildArgs },
      {
        environment: chosen,
        detectedGitSha: commit,
        sourceDateEpoch: config.reproducible ? sourceDateEpoch(context, config.gitSha ?? commit) : undefined,
        sourceUrl: config.defaultLabels === false ? undefined : detectSourceUrl(context, io.env),
      },
    ),
    config,
  };
}

/**
 * The commit for `{gitSha}` tags: MULTISTAGE_GIT_SHA, checked as the config's `gitSha` is (it goes
 * into the release tags), else CI's variables or git, as the component finds it.
 */
function detectedCommit(context: string, env: NodeJS.ProcessEnv): string | undefined {
  const given = env.MULTISTAGE_GIT_SHA;
  if (given !== undefined && given !== "" && !isCommit(given))
    throw new UsageError(
      `MULTISTAGE_GIT_SHA=${JSON.stringify(excerpt(given, 60))} is not a commit (7 to 64 hexadecimal digits); it goes into the release tags. Set it to the commit's SHA, or unset it to read the commit from CI or git.`,
    );
  return detectGitSha(context, env);
}

/** `--repository`: a repository as the component's `registry.repository` must be (no tag, a valid path). */
function checkRepository(repository: string | undefined): void {
  const problem = repository === undefined ? undefined : repositoryProblem(repository);
  if (problem) throw new UsageError(`--repository ${problem.message} ${problem.hint}`);
}

/** A misspelt environment (`-e prodution`) would be planned with another kind's defaults: refuse it, naming the closest. */
function checkEnvironmentName(environment: string, config: ConfigFile): void {
  const keys = Object.keys(config.environments ?? {});
  if (keys.includes(environment)) return;
  const kindWords = ["dev", "development", "staging", "prod", "production"];
  const suggestion = didYouMean(environment, [...keys, ...kindWords]);
  if (suggestion && classifyEnvironment(environment) === "staging" && !kindWords.includes(environment))
    throw new UsageError(
      `-e ${environment}: no environment of the config has that name, and it is not a kind's name either, so it would be planned as staging.${suggestion}`,
    );
}

function planCommand(args: readonly string[], io: CliIo): number {
  const values = options(args, {});
  if (values.help) return help("plan", io);
  const plan = planBuildFromFiles(commandLineOptions(values, io));
  const inputs = targetInputs(plan);
  if (values.json) {
    io.out(`${JSON.stringify({ plan, inputs: { hash: inputs.hash, files: inputs.files } }, null, 2)}\n`);
    return 0;
  }
  const reads = plan.closure?.wholeContext
    ? `the whole context: ${plan.closure.wholeContext.what} (stage "${plan.closure.wholeContext.stage}", line ${plan.closure.wholeContext.line}). ${plan.closure.wholeContext.hint}`
    : (plan.closure?.patterns ?? []).join(", ") || "nothing from the context";
  const lines = [
    `environment  ${plan.environment} (${plan.kind})`,
    `target       ${plan.targetStage}${plan.isFinalStage ? " (the final stage)" : ""}`,
    `stages       ${plan.stages.join(" → ")}${plan.skippedStages.length ? `   (skipped: ${plan.skippedStages.join(", ")})` : ""}`,
    ...(plan.testTarget ? [`test gate    ${plan.testTarget}`] : []),
    `build args   ${
      Object.entries(plan.buildArgs)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ") || "(none)"
    }`,
    ...(plan.volatileArgs.length ? [`volatile     ${plan.volatileArgs.join(", ")}`] : []),
    `tags         ${plan.tags.join(", ")}`,
    `platforms    ${plan.platforms.join(", ") || "(the builder's)"}`,
    `images       ${plan.externalImages.join(", ") || "(none)"}`,
    `reads        ${reads}`,
    `files        ${inputs.files.length}`,
    `inputs       ${inputs.hash}`,
    ...plan.warnings.map((w) => `warning: ${formatDiagnostic(w)}`),
  ];
  io.out(`${lines.join("\n")}\n`);
  return 0;
}

function graphCommand(args: readonly string[], io: CliIo): number {
  const values = options(args, { format: { type: "string" } });
  if (values.help) return help("graph", io);
  const format = values.format ?? "mermaid";
  if (format !== "mermaid" && format !== "dot") throw new UsageError(`--format ${format}: use mermaid or dot`);
  const opts = commandLineOptions(values, io);
  const plan = planBuildFromFiles(opts);
  const { model } = readDockerfile(opts);
  const target = model.stages.find((s) => stageLabel(s) === plan.targetStage);
  const closure = new Set(target ? stageClosure(model, target.index).map((s) => s.index) : []);
  const id = (n: number): string => `s${n}`;
  const images = new Map<string, string>();
  const imageId = (image: string): string => {
    if (!images.has(image)) images.set(image, `i${images.size}`);
    return images.get(image) as string;
  };
  const out: string[] = [];
  if (format === "mermaid") {
    out.push("flowchart LR");
    for (const s of model.stages)
      out.push(`  ${id(s.index)}["${stageLabel(s)}${s.index === target?.index ? " (target)" : ""}"]`);
    for (const s of model.stages) {
      for (const d of s.dependencies) {
        const from = d.kind === "stage" ? id(d.stage) : imageId(d.image);
        if (d.kind === "image") out.push(`  ${from}(["${d.image}"])`);
        out.push(`  ${from} -->|${d.via}| ${id(s.index)}`);
      }
    }
    out.push("  classDef closure fill:#d4edda,stroke:#155724,stroke-width:2px");
    if (closure.size) out.push(`  class ${[...closure].map(id).join(",")} closure`);
  } else {
    out.push("digraph stages {", "  rankdir=LR;");
    for (const s of model.stages) {
      const style = closure.has(s.index) ? ', style="bold,filled", fillcolor="#d4edda"' : "";
      out.push(`  ${id(s.index)} [shape=box, label=${JSON.stringify(stageLabel(s))}${style}];`);
    }
    for (const s of model.stages) {
      for (const d of s.dependencies) {
        const from = d.kind === "stage" ? id(d.stage) : imageId(d.image);
        if (d.kind === "image") out.push(`  ${from} [shape=ellipse, label=${JSON.stringify(d.image)}];`);
        out.push(`  ${from} -> ${id(s.index)} [label=${JSON.stringify(d.via)}];`);
      }
    }
    out.push("}");
  }
  io.out(`${[...new Set(out)].join("\n")}\n`);
  return 0;
}

function lintCommand(args: readonly string[], io: CliIo): number {
  const values = options(args, { severity: { type: "string", multiple: true }, "fail-on": { type: "string" } });
  if (values.help) return help("lint", io);
  const opts = commandLineOptions(values, io);
  const severities: Partial<Record<LintRuleId, LintSeverity>> = { ...(opts.config.lint?.severities ?? {}) };
  for (const pair of values.severity ?? []) {
    const [rule, level] = pair.split("=");
    if (!(rule in LINT_RULES))
      throw new UsageError(`--severity ${pair}: no rule "${rule}" (rules: ${Object.keys(LINT_RULES).join(", ")})`);
    if (level !== "error" && level !== "warning" && level !== "off")
      throw new UsageError(`--severity ${pair}: the level is error, warning or off`);
    severities[rule as LintRuleId] = level;
  }
  const failOn = values["fail-on"];
  if (failOn !== undefined && !["error", "warning", "never"].includes(failOn))
    throw new UsageError(`--fail-on ${failOn}: use error, warning or never`);
  const dockerfile = resolveDockerfilePath(opts.context, opts.dockerfile);
  if (!fs.existsSync(dockerfile))
    throw new UsageError(`no Dockerfile at ${path.relative(io.cwd, dockerfile) || dockerfile}`);
  // The component's own file checks (a regular file, size-capped) and the model's: a FIFO, a
  // device or binary garbage is refused before any rule runs.
  const parsed = readDockerfile(opts);
  const broken = parsed.diagnostics.filter((d) => d.severity === "error");
  if (broken.length) throw new MultiStageError(broken);
  // The targets of the environments the config names (and this one), for unused-stage.
  const environments = [...new Set([...Object.keys(opts.config.environments ?? {}), opts.environment])];
  const targets: string[] = [];
  const kind = environmentKind(opts.environment, opts.environments ?? {});
  for (const environment of environments) {
    try {
      // The file read and checked above, planned for each environment (not read again each time).
      const plan = planBuild(parsed, { ...opts, environment });
      targets.push(plan.targetStage, ...(plan.testTarget ? [plan.testTarget] : []));
    } catch {
      // An environment the Dockerfile cannot build: `plan` reports why.
    }
  }
  const ignoreFile = [`${dockerfile}.dockerignore`, path.join(opts.context, ".dockerignore")].find((f) =>
    fs.existsSync(f),
  );
  const findings = lintDockerfile(parsed.text ?? "", {
    file: path.relative(io.cwd, dockerfile) || dockerfile,
    dockerignore: ignoreFile ? fs.readFileSync(ignoreFile, "utf8") : undefined,
    contextEntries: fs.readdirSync(opts.context),
    targets,
    severities,
  });
  if (values.json) io.out(`${JSON.stringify(findings, null, 2)}\n`);
  else {
    for (const f of findings) {
      const where = `${f.file}${f.line ? `:${f.line}` : ""}`;
      io.out(
        `${where}: ${f.severity} ${f.rule}${f.stage ? ` (stage "${f.stage}")` : ""}: ${f.message}\n  fix: ${f.fix}\n`,
      );
    }
    const errors = findings.filter((f) => f.severity === "error").length;
    io.out(`${findings.length} finding(s): ${errors} error(s), ${findings.length - errors} warning(s)\n`);
  }
  const threshold = failOn ?? (kind === "production" ? "error" : "never");
  const fails = findings.some((f) => threshold === "warning" || (threshold === "error" && f.severity === "error"));
  return fails ? 1 : 0;
}

function whyCommand(args: readonly string[], io: CliIo): number {
  const values = options(args, { since: { type: "string" } });
  if (values.help) return help("why", io);
  if (!values.env) throw new UsageError("why needs --env <environment>");
  const opts = commandLineOptions(values, io);
  const since = values.since ?? "HEAD";
  const git = (gitArgs: string[], cwd: string): string =>
    execFileSync("git", gitArgs, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  let top: string;
  try {
    top = fs.realpathSync(git(["rev-parse", "--show-toplevel"], opts.context));
    git(["rev-parse", "--verify", `${since}^{commit}`], top);
  } catch {
    throw new UsageError(`the context is not in a git repository with the revision "${since}"`);
  }
  // The repository as it was at the revision, in a folder of its own.
  const snapshot = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-why-"));
  try {
    const archive = path.join(snapshot, "archive.tar");
    git(["archive", "--format=tar", `--output=${archive}`, since], top);
    const tree = path.join(snapshot, "tree");
    fs.mkdirSync(tree);
    execFileSync("tar", ["-xf", archive, "-C", tree]);
    const moved = (p: string): string => path.join(tree, path.relative(top, fs.realpathSync(p)));
    const now = planBuildFromFiles(opts);
    const current = inputsRecord(targetInputs(now));
    let before;
    try {
      const then = planBuildFromFiles({
        ...opts,
        context: moved(opts.context),
        dockerfile: opts.dockerfile ? moved(opts.dockerfile) : undefined,
      });
      before = then.targetStage === now.targetStage ? inputsRecord(targetInputs(then)) : undefined;
    } catch {
      before = undefined;
    }
    const reason = rebuildReason(before, current);
    if (values.json)
      io.out(
        `${JSON.stringify({ environment: now.environment, target: now.targetStage, since, ...reason }, null, 2)}\n`,
      );
    else {
      io.out(
        `${now.environment}: ${reason.rebuild ? "rebuilds" : "does not rebuild"} ${now.targetStage} (since ${since})\n` +
          (before === undefined ? `  ${since} has no build of this target\n` : "") +
          reason.causes.map((c) => `  stage "${c.stage}": ${c.detail}\n`).join("") +
          (!reason.rebuild ? `  ${reason.summary}\n` : ""),
      );
    }
    return 0;
  } finally {
    fs.rmSync(snapshot, { recursive: true, force: true });
  }
}

function bakeCommand(args: readonly string[], io: CliIo): number {
  const values = options(args, {
    env: { type: "string", short: "e", multiple: true },
    repository: { type: "string" },
    out: { type: "string" },
  }) as Parsed<typeof COMMON> & { env?: string[]; repository?: string; out?: string };
  if (values.help) return help("bake", io);
  checkRepository(values.repository);
  const base = commandLineOptions({ ...values, env: undefined }, io);
  const environments = values.env?.length
    ? values.env
    : Object.keys(base.environments ?? {}).length
      ? Object.keys(base.environments ?? {})
      : ["dev", "production"];
  const target: Record<string, unknown> = {};
  const notExpressed = new Set<string>();
  const contextArg = values.context ?? base.config.context;
  for (const environment of environments) {
    const planned = planBuildFromFiles({ ...base, environment });
    // The inputs as this machine sees them (base images by tag: bake resolves no digests).
    const plan = { ...planned, tags: withInputsHash(planned.tags, targetInputs(planned).hash) };
    // The same plan the component builds, every setting, as the builders' flags are made from it.
    const baked = bakeTarget(plan, values.repository, bakeSource(plan, contextArg, base, io.cwd));
    target[environment] = baked.target;
    for (const step of baked.notExpressed) notExpressed.add(step);
  }
  if (notExpressed.size)
    io.err(
      `note: bake builds the image; these run only in pulumi up and multistage build: ${[...notExpressed].join("; ")}\n`,
    );
  const bake = `${JSON.stringify({ group: { default: { targets: environments } }, target }, null, 2)}\n`;
  if (values.out) {
    fs.writeFileSync(path.resolve(io.cwd, values.out), bake);
    io.out(`wrote ${values.out}: ${environments.join(", ")}\n`);
  } else io.out(bake);
  return 0;
}

/**
 * Where a Bake target's files are: a Git context as its URL pinned to the commit planned (Bake
 * fetches it itself), else the folder relative to the Bake file; an inline Dockerfile as its text.
 */
function bakeSource(
  plan: BuildPlan,
  contextArg: string | undefined,
  options: BuildPlanOptions & { config: ConfigFile },
  cwd: string,
): BakeSource {
  const inline = options.config.dockerfileInline;
  const dockerfile = inline === undefined ? { dockerfile: path.relative(plan.context, plan.dockerfile) } : {};
  if (contextArg !== undefined && isGitContext(contextArg)) {
    const git = parseGitContext(contextArg);
    // The commit the plan was made from (the checkout's), so Bake builds the same files.
    const commit = options.gitSha ?? git.ref ?? "";
    return {
      context: `${git.url}#${commit}${git.dir ? `:${git.dir}` : ""}`,
      ...dockerfile,
      ...(inline !== undefined ? { dockerfileInline: inline } : {}),
    };
  }
  return {
    context: path.relative(cwd, plan.context) || ".",
    ...dockerfile,
    ...(inline !== undefined ? { dockerfileInline: inline } : {}),
  };
}

async function buildCommand(args: readonly string[], io: CliIo): Promise<number> {
  const values = options(args, {
    push: { type: "boolean" },
    repository: { type: "string" },
    builder: { type: "string" },
  }) as Parsed<typeof COMMON> & { push?: boolean; repository?: string; builder?: string };
  if (values.help) return help("build", io);
  if (!values.env) throw new UsageError("build needs --env <environment>");
  if (values.push && !values.repository) throw new UsageError("--push needs --repository <host/path>");
  checkRepository(values.repository);
  const opts = commandLineOptions(values, io);
  const plan: BuildPlan = planBuildFromFiles({ ...opts, ...(values.builder ? { builder: values.builder } : {}) });
  const repository = values.repository ?? `multistage/${path.basename(plan.context)}`;
  const registry = registryAccess(repository, io.env);
  // The same pipeline as the image resource: registry first, the gate, build, measure, tags.
  const prepared = await prepareImage(plan, registry, {
    resolveImages: baseImageResolver(io.env),
    secret: false,
    warn: (message) => io.err(`warning: ${message}\n`),
  });
  io.err(`${plan.environment}: ${plan.targetStage} (${plan.stages.join(" → ")}), inputs ${prepared.inputs.hash}\n`);
  if (plan.testTarget) io.err(`test gate: ${plan.testTarget}\n`);
  const published = await publishImage(
    {
      plan,
      references: withInputsHash(plan.tags, prepared.inputs.hash).map((t) => `${repository}:${t}`),
      push: values.push ?? false,
      registry,
      ...prepared,
    },
    undefined,
    dockerHost(plan, { env: io.env, onOutput: (line) => io.err(`${line}\n`) }),
  );
  io.err(`${published.rebuildReason}\n`);
  if (published.size) io.err(`size: ${(published.size.bytes / 1e6).toFixed(1)} MB\n`);
  io.out(`${values.push ? published.imageUri : published.references.join("\n")}\n`);
  return 0;
}

/** One check of `multistage verify`: passed, failed, or not checked, and what was found. */
export interface VerifyCheck {
  check: "signature" | "inputs tag" | "reproducible";
  result: "yes" | "no" | "not checked";
  detail: string;
}

/** `multistage verify -e <env> <ref>`: is this image the one this checkout's inputs build? Nothing is built. */
async function verifyCommand(args: readonly string[], io: CliIo): Promise<number> {
  const verify = parseVerifyArgs(args, io);
  if (verify === "help") return help("verify", io);
  const { values, reference, ref, keys } = verify;
  const plan = planBuildFromFiles(commandLineOptions(values, io));
  const repository = repositoryOf(reference);
  const given = registryAccess(repository, io.env);
  // As the pipeline does: no login in the environment, the machine's own (docker login, a helper).
  const registry = given.username !== undefined ? given : ((await machineLogin(given.server, io.env)) ?? given);
  const prepared = await prepareImage(plan, registry, {
    resolveImages: baseImageResolver(io.env),
    secret: false,
    warn: (m) => io.err(`warning: ${m}\n`),
  });
  const hash = prepared.inputs.hash;
  const digest = await findManifest(ref.repository, ref.digest ?? ref.tag ?? "", registry);
  if (!digest) {
    io.err(`${reference}: the registry holds no such image.\n`);
    return 1;
  }
  const image = `${repository}@${digest}`;
  const checks: VerifyCheck[] = [
    // The signature: the strong answer (a key vouched for these inputs).
    keys.length
      ? await signatureCheck(image, keys, hash, registry, io)
      : { check: "signature", result: "not checked", detail: "no --key given" },
    await inputsTagCheck(ref.repository, hash, digest, registry),
    await reproducibleCheck(plan, ref.repository, digest, registry),
  ];
  const verified = verifyVerdict(checks);
  if (values.json)
    io.out(`${JSON.stringify({ image, environment: plan.environment, inputs: hash, verified, checks }, null, 2)}\n`);
  else {
    io.out(
      `image: ${image}\ninputs: ${hash} (this checkout, environment ${plan.environment}, target ${plan.targetStage})\n`,
    );
    for (const c of checks)
      io.out(`${c.result === "yes" ? "✔" : c.result === "no" ? "✘" : "-"} ${c.check}: ${c.detail}\n`);
    io.out(verified ? "verified: this is the image this checkout builds\n" : "not verified\n");
  }
  return verified ? 0 : 1;
}

/** `verify`'s command line: its options, the image reference (with a registry and a tag or digest) and the keys read. */
function parseVerifyArgs(
  args: readonly string[],
  io: CliIo,
):
  | "help"
  | {
      values: Parsed<typeof COMMON> & { key?: string[] };
      reference: string;
      ref: ReturnType<typeof parseImageReference>;
      keys: ReturnType<typeof readPublicKeys>;
    } {
  const parsed = parseArgs({
    args: [...args],
    options: { ...COMMON, key: { type: "string", multiple: true } },
    allowPositionals: true,
    strict: true,
  });
  const values = parsed.values as Parsed<typeof COMMON> & { key?: string[] };
  if (values.help) return "help";
  if (!values.env) throw new UsageError("verify needs --env <environment>");
  if (parsed.positionals.length !== 1)
    throw new UsageError("verify needs one image reference, e.g. ghcr.io/acme/api:production-1a2b3c4");
  const reference = parsed.positionals[0];
  const ref = parseImageReference(reference);
  const problem = repositoryProblem(repositoryOf(reference));
  if (problem || !ref.registry || (!ref.tag && !ref.digest))
    throw new UsageError(
      `${reference}: not an image reference with a registry and a tag or digest (${problem ?? "e.g. ghcr.io/acme/api:v1"})`,
    );
  const keys = (() => {
    try {
      return readPublicKeys(values.key ?? [], io.cwd, "--key");
    } catch (err) {
      if (!(err instanceof MultiStageError)) throw err;
      throw new UsageError(err.diagnostics.map((d) => formatDiagnostic(d)).join("\n"));
    }
  })();
  return { values, reference, ref, keys };
}

/** Whether a trusted key signed `image` for these inputs (cosign, with the registry's login in a private config). */
async function signatureCheck(
  image: string,
  keys: ReturnType<typeof readPublicKeys>,
  hash: string,
  registry: RegistryAccess,
  io: CliIo,
): Promise<VerifyCheck> {
  const config = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-verify-"));
  try {
    if (registry.username && registry.password)
      fs.writeFileSync(
        path.join(config, "config.json"),
        JSON.stringify({
          auths: {
            [registry.server]: { auth: Buffer.from(`${registry.username}:${registry.password}`).toString("base64") },
          },
        }),
        { mode: 0o600 },
      );
    const found = await new SupplyChain({ env: io.env, dockerConfig: config }).verify(image, keys, {
      [SIGNATURE_ANNOTATIONS.inputs]: hash,
    });
    const by = [
      ...new Set(found.signatures.map((s) => s.annotations[SIGNATURE_ANNOTATIONS.environment]).filter(Boolean)),
    ];
    return found.verified
      ? {
          check: "signature",
          result: "yes",
          detail: `signed by a trusted key for these inputs${by.length ? ` (environment ${by.join(", ")})` : ""}`,
        }
      : {
          check: "signature",
          result: "no",
          detail: `no signature by ${keys.length === 1 ? "the key" : "any of the keys"} for inputs ${hash} (cosign: ${found.detail})`,
        };
  } finally {
    fs.rmSync(config, { recursive: true, force: true });
  }
}

/** Whether the repository's `inputs-<hash>` tag names `digest`. */
async function inputsTagCheck(
  repository: string,
  hash: string,
  digest: string,
  registry: RegistryAccess,
): Promise<VerifyCheck> {
  const byInputs = await findManifest(repository, inputsTag(hash), registry);
  return byInputs === digest
    ? { check: "inputs tag", result: "yes", detail: `${inputsTag(hash)} names this digest` }
    : {
        check: "inputs tag",
        result: "no",
        detail: byInputs
          ? `${inputsTag(hash)} names another digest, ${byInputs}`
          : `the repository has no ${inputsTag(hash)}`,
      };
}

/**
 * Whether the checks say the image is this checkout's: no check answered no, and a trusted
 * signature for these inputs, or (no key given) the inputs tag, answered yes. A ✘ is never
 * followed by "verified".
 * @internal
 */
export function verifyVerdict(checks: readonly VerifyCheck[]): boolean {
  if (checks.some((c) => c.result === "no")) return false;
  const signature = checks.find((c) => c.check === "signature");
  const byInputs = checks.find((c) => c.check === "inputs tag");
  return signature?.result === "yes" || (signature?.result === "not checked" && byInputs?.result === "yes");
}

/** With `reproducible`: the image's config time and revision label against this commit's. */
async function reproducibleCheck(
  plan: BuildPlan,
  repositoryPath: string,
  digest: string,
  registry: RegistryAccess,
): Promise<VerifyCheck> {
  if (!plan.reproducible)
    return { check: "reproducible", result: "not checked", detail: "the environment is not reproducible" };
  const manifest = await getManifest(repositoryPath, digest, registry);
  const config = manifest.body.config?.digest;
  if (!config) return { check: "reproducible", result: "not checked", detail: "an index: check one platform's image" };
  const image = JSON.parse((await getBlob(repositoryPath, config, registry)).toString()) as {
    created?: string;
    config?: { Labels?: Record<string, string> };
  };
  const expected = new Date(plan.reproducible.sourceDateEpoch * 1000).toISOString().replace(/\.000Z$/, "Z");
  const created = (image.created ?? "").replace(/\.0+Z$/, "Z");
  const revision = image.config?.Labels?.["org.opencontainers.image.revision"];
  const commit = plan.labels["org.opencontainers.image.revision"];
  const same = created === expected && (commit === undefined || revision === commit);
  return same
    ? {
        check: "reproducible",
        result: "yes",
        detail: `created ${expected} and revision ${commit ?? "(no label)"}: this commit's`,
      }
    : {
        check: "reproducible",
        result: "no",
        detail: `created ${image.created ?? "(none)"} and revision ${revision ?? "(none)"}; this commit's are ${expected} and ${commit ?? "(no label)"}`,
      };
}

/**
 * The registry of `repository` (`ghcr.io/acme/api` → `ghcr.io`; Docker Hub's `acme/api` →
 * `docker.io`) with the credentials of MULTISTAGE_REGISTRY_USER and _PASSWORD, when set.
 */
export function registryAccess(repository: string, env: NodeJS.ProcessEnv): RegistryAccess {
  const server = registryHost(repository);
  const username = env.MULTISTAGE_REGISTRY_USER || undefined;
  const password = env.MULTISTAGE_REGISTRY_PASSWORD || undefined;
  // One without the other would be dropped without a word, and the push would go out anonymous.
  if ((username === undefined) !== (password === undefined))
    throw new UsageError(
      `${username === undefined ? "MULTISTAGE_REGISTRY_PASSWORD is set but MULTISTAGE_REGISTRY_USER is not" : "MULTISTAGE_REGISTRY_USER is set but MULTISTAGE_REGISTRY_PASSWORD is not"}: they go together. Set both, or neither to use the builder's own credentials.`,
    );
  return username && password ? { server, username, password } : { server };
}

function help(command: string, io: CliIo): number {
  io.out(HELP[command]);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2), {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    env: process.env,
  }).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`multistage: ${err.message}\n`);
      process.exit(1);
    },
  );
}
