/**
 * The seeds' best practices as lint rules (pure: a Dockerfile's text, the context's ignore
 * rules and which files exist). Each finding names its rule, line and stage and says how to
 * fix it; severities can be changed per rule, or a rule turned off.
 */
import {
  type Dependency,
  type DockerfileModel,
  type Stage,
  type SyntaxNode,
  finalStage,
  parseDockerfile,
  stageClosure,
  stageLabel,
} from "../dockerfile";
import { isSecretLikeName, parseImageReference } from "../plan";

export type LintSeverity = "error" | "warning" | "off";

/** The rules, with their default severity and what they check. */
export const LINT_RULES = {
  "unpinned-base": { severity: "error", summary: "FROM an image without a tag, or tagged latest" },
  "copy-from-untagged-image": { severity: "warning", summary: "COPY --from an image without a tag or digest" },
  "global-arg-not-redeclared": {
    severity: "warning",
    summary: "a stage uses a global ARG without declaring it again (it is empty there)",
  },
  "copy-whole-context-before-install": {
    severity: "warning",
    summary: "COPY . . before the dependency install: every edit reinstalls the dependencies",
  },
  "copy-whole-context": {
    severity: "warning",
    summary: "a stage production builds copies the whole context: any edit rebuilds it",
  },
  "missing-dockerignore": { severity: "warning", summary: "no .dockerignore: the whole context goes to the build" },
  "weak-dockerignore": { severity: "warning", summary: ".dockerignore lets .git, node_modules or .env through" },
  "secret-in-arg-or-env": {
    severity: "error",
    summary: "an ARG or ENV named like a secret: its value stays in the image",
  },
  "final-stage-root": { severity: "warning", summary: "the final stage runs as root" },
  "package-cache-in-final": {
    severity: "warning",
    summary: "the final stage keeps a package manager's cache (apt lists, apk, pip)",
  },
  "unused-stage": { severity: "warning", summary: "a stage no target builds" },
} as const satisfies Record<string, { severity: Exclude<LintSeverity, "off">; summary: string }>;

export type LintRuleId = keyof typeof LINT_RULES;

/** One finding. */
export interface LintFinding {
  readonly rule: LintRuleId;
  readonly severity: Exclude<LintSeverity, "off">;
  readonly file: string;
  readonly line?: number;
  readonly stage?: string;
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
}

/** What lint reads besides the Dockerfile. */
export interface LintOptions {
  /** Name used in findings. @default "Dockerfile" */
  readonly file?: string;
  /** The ignore rules the build uses (`.dockerignore`); `undefined` when there is none. */
  readonly dockerignore?: string;
  /** Top-level entries of the context (`.git`, `node_modules`, `package.json`…), for the ignore rules. */
  readonly contextEntries?: readonly string[];
  /** Stages some environment builds (targets and test stages); the final stage always counts. */
  readonly targets?: readonly string[];
  /** Per-rule severities over the defaults; `off` turns a rule off. */
  readonly severities?: Readonly<Partial<Record<LintRuleId, LintSeverity>>>;
}

const INSTALL =
  /\b(npm (ci|install|i)\b|yarn( install)?\b|pnpm (i|install)\b|pip3? install|composer install|go mod download|bundle install|mvn\b.*dependency:|gradle\b.*dependencies|cargo fetch)/;

/** Lint Dockerfile `text`. Problems that stop parsing are left to the model's own diagnostics. */
export function lintDockerfile(text: string, options: LintOptions = {}): LintFinding[] {
  const file = options.file ?? "Dockerfile";
  const { model, instructions } = parseDockerfile(text, file);
  const byStage = model.stages.map((stage) =>
    instructions.filter((i) => i.line > stage.line && i.line <= stage.endLine),
  );
  const findings: LintFinding[] = [];
  const add = (rule: LintRuleId, at: { line?: number; stage?: Stage }, message: string, fix: string): void => {
    const severity = options.severities?.[rule] ?? LINT_RULES[rule].severity;
    if (severity === "off") return;
    findings.push({
      rule,
      severity,
      file,
      ...(at.line !== undefined ? { line: at.line } : {}),
      ...(at.stage ? { stage: stageLabel(at.stage) } : {}),
      message,
      fix,
    });
  };
  if (model.stages.length === 0) return findings;
  const final = finalStage(model);
  const finalClosure = new Set(stageClosure(model, final.index).map((s) => s.index));

  for (const stage of model.stages) {
    const own = byStage[stage.index];
    // Bases and COPY --from images.
    for (const dep of stage.dependencies) {
      if (dep.kind !== "image" || dep.image.includes("$")) continue;
      const ref = parseImageReference(dep.image);
      const untagged = !ref.digest && (!ref.tag || ref.tag === "latest");
      if (!untagged) continue;
      if (dep.via === "FROM") {
        add(
          "unpinned-base",
          { line: dep.line, stage },
          `FROM ${dep.image} ${ref.tag === "latest" ? "is tagged latest" : "has no tag"}: the build changes when the image does.`,
          `Pin a version (FROM ${ref.repository}:<version>) or a digest (@sha256:…).`,
        );
      } else {
        add(
          "copy-from-untagged-image",
          { line: dep.line, stage },
          `${dep.via}=${dep.image} has no tag or digest.`,
          `Name a version: --from=${ref.repository}:<version>, or define a stage FROM it.`,
        );
      }
    }
    // Global ARGs used without redeclaring them.
    const globals = new Set(model.globalArgs.map((a) => a.name));
    const env = new Set(stage.envNames);
    const seen = new Set<string>();
    for (const use of stage.variables) {
      const declaredBefore = stage.args.some((a) => a.name === use.name && a.line < use.line);
      if (!globals.has(use.name) || declaredBefore || env.has(use.name) || seen.has(use.name)) continue;
      // An ARG line itself (`ARG VERSION=$VERSION`) declares, it does not use.
      if (use.instruction === "ARG") continue;
      seen.add(use.name);
      add(
        "global-arg-not-redeclared",
        { line: use.line, stage },
        `$${use.name} is a global ARG; inside stage "${stageLabel(stage)}" it is empty unless declared again.`,
        `Add \`ARG ${use.name}\` in the stage before line ${use.line}.`,
      );
    }
    // COPY of the whole context, before the install and in what production builds.
    const whole = stage.contextReads.find((r) => r.sources.some(isWholeContext));
    if (whole) {
      const install = own.find((i) => i.keyword === "RUN" && INSTALL.test(argsOf(i)) && line(i) > whole.line);
      if (install) {
        add(
          "copy-whole-context-before-install",
          { line: whole.line, stage },
          `${whole.text} comes before the dependency install at line ${line(install)}: any edit reinstalls every dependency.`,
          "Copy the dependency manifests first (COPY package.json package-lock.json ./), install, then copy the rest.",
        );
      }
      if (finalClosure.has(stage.index)) {
        add(
          "copy-whole-context",
          { line: whole.line, stage },
          `${whole.text} puts the whole context in production's closure: an edit anywhere (README, tests, another service) rebuilds it.`,
          "Copy what the stage needs (COPY src ./src, COPY tsconfig.json ./); keep the rest out of production's stages.",
        );
      }
    }
    // Secrets in ARG and ENV.
    for (const i of own) {
      const keyword = i.keyword;
      if (keyword !== "ARG" && keyword !== "ENV") continue;
      const names = keyword === "ARG" ? stage.args.filter((a) => a.line === line(i)).map((a) => a.name) : envNames(i);
      for (const name of names.filter(isSecretLikeName)) {
        add(
          "secret-in-arg-or-env",
          { line: line(i), stage },
          `${keyword} ${name} looks like a secret: its value is kept in the image's history (ARG) or config (ENV).`,
          `Use a build secret: RUN --mount=type=secret,id=${name} … and pass secrets: { ${name}: … }.`,
        );
      }
    }
  }
  for (const name of model.globalArgs.filter((a) => isSecretLikeName(a.name))) {
    add(
      "secret-in-arg-or-env",
      { line: name.line },
      `ARG ${name.name} looks like a secret: its value is kept in the image's history.`,
      `Use a build secret: RUN --mount=type=secret,id=${name.name} … and pass secrets: { ${name.name}: … }.`,
    );
  }

  // The final stage: its user and package caches.
  const user = effectiveUser(model, final, byStage);
  if (user === undefined || /^(root|0)(:|$)/.test(user)) {
    add(
      "final-stage-root",
      { line: final.line, stage: final },
      user === undefined
        ? `the final stage sets no USER (nor do the stages it is built on): it runs as the base image's user, often root.`
        : `the final stage runs as ${user}.`,
      "Add `USER <uid>:<gid>` (for example 65534:65534, or a user the image has) after the last RUN that needs root.",
    );
  }
  for (const i of byStage[final.index].filter((x) => x.keyword === "RUN")) {
    const run = argsOf(i);
    const cache = i.flags.some((f) => /^--mount=(.*,)?type=cache(,|$)/i.test(f));
    if (cache) continue;
    const left =
      /apt-get install/.test(run) && !/rm -rf \/var\/lib\/apt\/lists/.test(run)
        ? ["apt-get's package lists", "end the RUN with `&& rm -rf /var/lib/apt/lists/*`"]
        : /apk add/.test(run) && !/--no-cache/.test(run)
          ? ["apk's index", "use `apk add --no-cache`"]
          : /pip3? install/.test(run) && !/--no-cache-dir/.test(run)
            ? ["pip's cache", "use `pip install --no-cache-dir`"]
            : undefined;
    if (left) {
      add(
        "package-cache-in-final",
        { line: line(i), stage: final },
        `this RUN leaves ${left[0]} in the final image.`,
        `${left[1][0].toUpperCase()}${left[1].slice(1)}, or use a cache mount (RUN --mount=type=cache,…).`,
      );
    }
  }

  // The context's ignore rules.
  const entries = new Set(options.contextEntries ?? []);
  if (options.contextEntries) {
    if (options.dockerignore === undefined) {
      add(
        "missing-dockerignore",
        {},
        "the context has no .dockerignore: everything in it (.git, node_modules, local settings) is sent to the build.",
        "Add a .dockerignore listing .git, node_modules, build output and local settings (.env).",
      );
    } else {
      const rules = options.dockerignore.split("\n").map((l) => l.trim().replace(/^\/+/, ""));
      const ignores = (name: string): boolean =>
        rules.some((r) => r === "*" || r === name || r === `${name}/` || r === `**/${name}` || r === `${name}*`);
      const weak = [".git", "node_modules", ".env"].filter((n) => entries.has(n) && !ignores(n));
      if (weak.length) {
        add(
          "weak-dockerignore",
          {},
          `.dockerignore lets ${weak.join(", ")} into the build context.`,
          `Add ${weak.join(", ")} to .dockerignore.`,
        );
      }
    }
  }

  // Stages nothing builds.
  const built = new Set<number>(finalClosure);
  for (const target of options.targets ?? []) {
    const stage = model.stages.find((s) => s.name === target.toLowerCase());
    if (stage) for (const s of stageClosure(model, stage.index)) built.add(s.index);
  }
  for (const stage of model.stages) {
    if (built.has(stage.index)) continue;
    add(
      "unused-stage",
      { line: stage.line, stage },
      `stage "${stageLabel(stage)}" is built by no environment (${options.targets?.length ? `targets: ${options.targets.join(", ")}` : "only the final stage is built"}).`,
      "Remove it, or make it an environment's target or the test stage.",
    );
  }
  return findings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

/** `.`, `./`, `./.`: the whole context. */
function isWholeContext(source: string): boolean {
  const s = source.replace(/\\/g, "/").replace(/\/+$/, "");
  return s === "" || /^\.(\/\.)*$/.test(s);
}

function line(i: SyntaxNode): number {
  return i.line;
}

/** The instruction's text after its keyword: flags and arguments. */
function argsOf(i: SyntaxNode): string {
  return [...i.flags, i.rest].join(" ");
}

function envNames(i: SyntaxNode): string[] {
  return i.args.filter((_, n) => n % 3 === 0);
}

/** The last USER of the stage, else of the stage it is built FROM, and so on; `undefined` when none sets one. */
function effectiveUser(model: DockerfileModel, stage: Stage, byStage: SyntaxNode[][]): string | undefined {
  for (let current: Stage | undefined = stage; current;) {
    const users = byStage[current.index].filter((i) => i.keyword === "USER");
    if (users.length) return argsOf(users[users.length - 1]).trim();
    const from: Dependency | undefined = current.dependencies.find((d) => d.via === "FROM");
    current = from?.kind === "stage" ? model.stages[from.stage] : undefined;
  }
  return undefined;
}
