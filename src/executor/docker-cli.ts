/**
 * Execute a `BuildPlan` with the Docker CLI (BuildKit), push to any registry with
 * credentials, and report digests. This is what runs the plans here, where
 * `pulumi up` cannot: the examples, the quick start and the integration tests.
 */
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { type BuildPlan, DIGEST, repositoryOf } from "../plan";
import { type BuildStep, parseBuildSteps } from "./progress";

export interface DockerCliOptions {
  /** Docker CLI to run. Default: `$MULTISTAGE_DOCKER_CLI`, else `docker`. */
  docker?: string;
  /** Environment for the CLI (e.g. `DOCKER_HOST`). Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Client config directory (credentials). Default: a private temporary one per executor. */
  configDir?: string;
  /** Called with each line of output. */
  onOutput?: (line: string) => void;
}

export interface RegistryCredentials {
  /** Registry host, e.g. `127.0.0.1:5055` or `<account>.dkr.ecr.<region>.amazonaws.com`. */
  server: string;
  username: string;
  password: string;
}

export interface BuildOptions {
  /** Ignore the build cache (`--no-cache`), e.g. to time a cold build. */
  noCache?: boolean;
  /**
   * Build secrets by id (`RUN --mount=type=secret,id=…`): written to mode-600 files in the
   * executor's private directory for the build only, passed as `--secret id=…,src=…`.
   */
  secrets?: Readonly<Record<string, string>>;
  /** Files holding the secrets, by id (set by `build`; given to `buildArguments`). */
  secretFiles?: Readonly<Record<string, string>>;
}

export interface BuildResult {
  /** Local image ID (`sha256:…` of the config). */
  imageId: string;
  /** Full references tagged locally (`<repository>:<tag>`). */
  references: string[];
  /** Instruction steps with their cache status. */
  steps: BuildStep[];
  /** Wall time of the build. */
  durationMs: number;
  /** The whole BuildKit log. */
  log: string;
}

export interface PushResult {
  /** Manifest digest reported by the registry (`sha256:…`). */
  digest: string;
  /** `<repository>@<digest>`: what to deploy. */
  imageUri: string;
  /** References pushed. */
  references: string[];
}

/** A Docker command that failed; the message carries the command (never a password) and the output's tail. */
export class DockerCommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly output: string,
  ) {
    const tail = output.trim().split("\n").slice(-15).join("\n");
    super(`\`${command}\` failed (exit ${exitCode}):\n${tail}`);
    this.name = "DockerCommandError";
  }
}

/** Runs plans with one Docker CLI and one private credentials directory. */
export class DockerExecutor {
  readonly docker: string;
  readonly configDir: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly onOutput?: (line: string) => void;

  constructor(options: DockerCliOptions = {}) {
    const env = options.env ?? process.env;
    this.docker = options.docker ?? env.MULTISTAGE_DOCKER_CLI ?? "docker";
    this.configDir = options.configDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "multistage-docker-config-"));
    this.env = { ...env, DOCKER_BUILDKIT: "1", DOCKER_CONFIG: this.configDir };
    this.onOutput = options.onOutput;
  }

  /** `docker build` arguments for a plan (exposed so tests can compare with the provider inputs). */
  static buildArguments(plan: BuildPlan, repository: string, iidFile: string, options: BuildOptions = {}): string[] {
    const args = ["build", "--progress=plain", "--file", plan.dockerfile, "--iidfile", iidFile];
    if (options.noCache) args.push("--no-cache");
    for (const [id, file] of Object.entries(options.secretFiles ?? {})) args.push("--secret", `id=${id},src=${file}`);
    if (plan.target) args.push("--target", plan.target);
    for (const [name, value] of Object.entries(plan.buildArgs)) args.push("--build-arg", `${name}=${value}`);
    if (plan.platform) args.push("--platform", plan.platform);
    for (const image of plan.cacheFrom) args.push("--cache-from", image);
    for (const tag of plan.tags) args.push("--tag", `${repository}:${tag}`);
    args.push(plan.context);
    return args;
  }

  /** Build `plan`, tagging it `<repository>:<tag>` for each of the plan's tags. */
  async build(plan: BuildPlan, repository: string, options: BuildOptions = {}): Promise<BuildResult> {
    const iidFile = path.join(this.configDir, `iid-${process.pid}-${Date.now()}`);
    const secretDir = fs.mkdtempSync(path.join(this.configDir, "secrets-"));
    const secretFiles: Record<string, string> = {};
    for (const [id, value] of Object.entries(options.secrets ?? {})) {
      secretFiles[id] = path.join(secretDir, id);
      fs.writeFileSync(secretFiles[id], value, { mode: 0o600 });
    }
    const args = DockerExecutor.buildArguments(plan, repository, iidFile, { ...options, secretFiles });
    const started = Date.now();
    let log: string;
    try {
      log = await this.run(args);
    } finally {
      fs.rmSync(secretDir, { recursive: true, force: true });
    }
    const imageId = fs.readFileSync(iidFile, "utf8").trim();
    fs.rmSync(iidFile, { force: true });
    const references = args.flatMap((a, i) => (args[i - 1] === "--tag" ? [a] : []));
    return { imageId, references, steps: parseBuildSteps(log), durationMs: Date.now() - started, log };
  }

  /** `docker login` with the password on stdin; stored only in this executor's config directory. */
  async login(credentials: RegistryCredentials): Promise<void> {
    await this.run(["login", "--username", credentials.username, "--password-stdin", credentials.server], {
      stdin: credentials.password,
    });
  }

  /** Push every reference; they must share one repository. Returns the registry's digest. */
  async push(references: readonly string[]): Promise<PushResult> {
    const repositories = new Set(references.map(repositoryOf));
    if (repositories.size !== 1)
      throw new Error(`push expects references of one repository, got ${[...repositories].join(", ")}`);
    let digest = "";
    for (const reference of references) {
      const out = await this.run(["push", reference]);
      const m = new RegExp(`digest: (${DIGEST})`).exec(out);
      if (!m) throw new DockerCommandError(`docker push ${reference}`, 0, `${out}\n(no digest in the output)`);
      if (digest && digest !== m[1])
        throw new Error(`tags of one build pushed with different digests: ${digest} vs ${m[1]}`);
      digest = m[1];
    }
    const repository = [...repositories][0];
    return { digest, imageUri: `${repository}@${digest}`, references: [...references] };
  }

  /** Build, log in, push: the whole plan. */
  async buildAndPush(
    plan: BuildPlan,
    repository: string,
    credentials?: RegistryCredentials,
  ): Promise<BuildResult & PushResult> {
    const built = await this.build(plan, repository);
    if (credentials) await this.login(credentials);
    const pushed = await this.push(built.references);
    return { ...built, ...pushed };
  }

  /** `docker pull` (by digest, typically). */
  async pull(reference: string): Promise<void> {
    await this.run(["pull", reference]);
  }

  /** `docker image inspect` of one image. */
  async inspect(reference: string): Promise<ImageInspect> {
    const out = await this.run(["image", "inspect", reference], { quiet: true });
    return (JSON.parse(out) as ImageInspect[])[0];
  }

  /** Paths of the files in an image's filesystem (via `docker create` + `docker export`). */
  async listFiles(reference: string): Promise<string[]> {
    const id = (await this.run(["create", reference, "/none"], { quiet: true })).trim();
    try {
      const tarFile = path.join(this.configDir, `${id}.tar`);
      await this.run(["export", "--output", tarFile, id], { quiet: true });
      const list = execFileSync("tar", ["-tf", tarFile], { maxBuffer: 256 * 1024 * 1024 }).toString();
      fs.rmSync(tarFile, { force: true });
      return list
        .split("\n")
        .filter(Boolean)
        .map((p) => "/" + p.replace(/^\.?\//, "").replace(/\/$/, ""));
    } finally {
      await this.run(["rm", "--force", id], { quiet: true });
    }
  }

  /** `docker run --rm` and return stdout. */
  async runImage(reference: string, command: readonly string[] = [], entrypoint?: string): Promise<string> {
    const args = ["run", "--rm", "--network", "none"];
    if (entrypoint !== undefined) args.push("--entrypoint", entrypoint);
    return this.run([...args, reference, ...command], { quiet: true, stdoutOnly: true });
  }

  /** Remove images (ignores missing ones). */
  async removeImages(references: readonly string[]): Promise<void> {
    if (references.length)
      await this.run(["image", "rm", "--force", ...references], { quiet: true, allowFailure: true });
  }

  /** Forget stored credentials. */
  dispose(): void {
    fs.rmSync(this.configDir, { recursive: true, force: true });
  }

  /** Run the CLI; resolves with its output (stdout then stderr), rejects with `DockerCommandError`. */
  run(
    args: readonly string[],
    options: { stdin?: string; quiet?: boolean; allowFailure?: boolean; stdoutOnly?: boolean } = {},
  ): Promise<string> {
    const shown = `docker ${args.join(" ")}`;
    return new Promise((resolve, reject) => {
      const child = spawn(this.docker, args, { env: this.env, stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      const forward = (chunk: Buffer): void => {
        if (!options.quiet && this.onOutput)
          for (const line of chunk.toString().split("\n")) if (line) this.onOutput(line);
      };
      child.stdout.on("data", (c: Buffer) => {
        stdout += c.toString();
        forward(c);
      });
      child.stderr.on("data", (c: Buffer) => {
        stderr += c.toString();
        forward(c);
      });
      child.on("error", (err) => reject(new DockerCommandError(shown, null, String(err))));
      child.on("close", (code) => {
        if (code === 0 || options.allowFailure) resolve(options.stdoutOnly ? stdout : stdout + stderr);
        else reject(new DockerCommandError(shown, code, stdout + stderr));
      });
      child.stdin.end(options.stdin ?? "");
    });
  }
}

/** The parts of `docker image inspect` used here. */
export interface ImageInspect {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Size: number;
  Config: {
    Env?: string[] | null;
    Cmd?: string[] | null;
    Entrypoint?: string[] | null;
    User?: string;
    Labels?: Record<string, string> | null;
  };
}
