/**
 * Execute a `BuildPlan` with the Docker CLI (BuildKit), push to any registry with
 * credentials, and report digests. This is what runs the plans here, where
 * `pulumi up` cannot: the examples, the quick start and the integration tests.
 */
import * as fs from "fs";
import type { RegistryCredentials } from "../registry";
import * as os from "os";
import * as path from "path";
import { type BuildPlan, DIGEST, repositoryOf } from "../plan";
import { type BuildFlags, buildArguments, buildxArguments, remoteBuilder } from "./argv";
import { builderNodes, spreadOverNodes } from "./nodes";
import { findBuildx } from "./buildx";
import { probeBuilderEndpoint } from "./endpoint";
import { DockerCommandError, type RunOptions, onInterrupt, runProcess } from "./process";
import { type BuildStep, parseBuildSteps } from "./progress";

export interface DockerCliOptions {
  /** Docker CLI to run. Default: `$MULTISTAGE_DOCKER_CLI`, else `docker`. */
  docker?: string;
  /**
   * The buildx binary, for plans with a `builder`. Default: `$MULTISTAGE_BUILDX`, else the
   * `docker-buildx` CLI plugin where Docker installs it, else `docker-buildx`/`buildx` on PATH.
   */
  buildx?: string;
  /** Environment for the CLI (e.g. `DOCKER_HOST`). Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Client config directory (credentials). Default: a private temporary one per executor. */
  configDir?: string;
  /** Called with each line of output. */
  onOutput?: (line: string) => void;
}

/** A registry with its login: the registry layer's one credential type. */
export type { RegistryCredentials } from "../registry";

export interface BuildOptions {
  /** Ignore the build cache (`--no-cache`), e.g. to time a cold build. */
  noCache?: boolean;
  /**
   * Build secrets by id (`RUN --mount=type=secret,id=…`): written to mode-600 files in the
   * executor's private directory for the build only, passed as `--secret id=…,src=…`.
   */
  secrets?: Readonly<Record<string, string>>;
}

/** How a plan with a `builder` is built (`buildWithBuilder`). */
export interface BuilderBuildOptions extends BuildOptions {
  /** Push the image (and export the registry cache). `false` builds only. */
  push: boolean;
  /** Export the registry cache (`plan.cache`) even without pushing. @default push */
  exportCache?: boolean;
}

/** What a build on a buildx builder reports. */
export interface BuilderBuildResult {
  /** Builder used (the registered name). */
  builder: string;
  /** Manifest or index digest pushed (`sha256:…`); empty when not pushed. */
  digest: string;
  /** `<repository>@<digest>` when pushed, else the first tagged reference. */
  imageUri: string;
  /** Tagged references (`<repository>:<tag>`). */
  references: string[];
  /** Instruction steps with their cache status. */
  steps: BuildStep[];
  durationMs: number;
  log: string;
  /** Built across a builder's nodes: the node that built each platform. */
  nodes?: Record<string, string>;
  /** The build's SLSA provenance predicate, when the plan attaches it beside the image (`store: "referrers"`). */
  provenance?: unknown;
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
  /** Built across a builder's nodes: the node that built each platform. */
  nodes?: Record<string, string>;
  /** The build's SLSA provenance predicate, when the plan attaches it beside the image. */
  provenance?: unknown;
}

/** Metadata files written so far by this process (each build's is its own, parallel ones too). */
let metadataFiles = 0;

/** The provenance mode buildx should write into its metadata: the plan attaches it beside the image. */
function referrerProvenance(plan: BuildPlan): "min" | "max" | undefined {
  const { provenance, store } = plan.attestations;
  return store === "referrers" && provenance !== false ? provenance : undefined;
}

/** A buildx metadata file's content (`{}` when it wrote none), the file removed. */
function readMetadata(file: string): Record<string, unknown> {
  const metadata = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>) : {};
  fs.rmSync(file, { force: true });
  return metadata;
}

/** The digest a buildx command reported, or its failure with its log when it reported none. */
function digestOf(
  value: unknown,
  command: string[],
  log: string,
  missing = "no image digest in the build metadata",
  step: "build" | "push" = "build",
): string {
  const digest = typeof value === "string" ? value : "";
  if (!new RegExp(`^${DIGEST}$`).test(digest))
    throw new DockerCommandError(`buildx ${command.join(" ")}`, 0, `${log}\n(${missing})`, step);
  return digest;
}

/** Private Docker configurations (credentials, secret files) are `<tmp>/multistage-docker-config-<pid>-…`. */
const CONFIG_DIR_PREFIX = "multistage-docker-config-";

/**
 * Remove the private configurations of processes that are gone (killed before they could
 * dispose of theirs: a SIGKILLed provider), with the credentials and secret files in them.
 */
export function sweepStaleConfigDirs(tmp = os.tmpdir()): string[] {
  const removed: string[] = [];
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(tmp);
  } catch {
    return removed;
  }
  for (const entry of entries) {
    const m = new RegExp(`^${CONFIG_DIR_PREFIX}(\\d+)-`).exec(entry);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    fs.rmSync(path.join(tmp, entry), { recursive: true, force: true });
    removed.push(entry);
  }
  return removed;
}

/** True when a process with this PID exists (or exists but is not ours to signal). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether this process has swept dead processes' configurations yet. */
let swept = false;

/** Runs plans with one Docker CLI and one private credentials directory. */
export class DockerExecutor {
  readonly docker: string;
  readonly configDir: string;
  /** Where buildx keeps its builders: the user's (`$BUILDX_CONFIG`, else `<docker config>/buildx`). */
  readonly buildxConfig: string;
  private readonly buildxBinary?: string;
  /** The user's Docker config directory (for its cli-plugins). */
  private readonly userConfigDir: string;
  protected readonly env: NodeJS.ProcessEnv;
  private readonly onOutput?: (line: string) => void;
  private readonly forgetOnInterrupt: () => void;
  /** How its commands are named in errors (`docker build …`). */
  protected readonly commandName: string = "docker";

  constructor(options: DockerCliOptions = {}) {
    const env = options.env ?? process.env;
    this.docker = options.docker ?? env.MULTISTAGE_DOCKER_CLI ?? "docker";
    // Once per process: a provider runs many executors, and the temporary directory can be large.
    if (!options.configDir && !swept) {
      swept = true;
      sweepStaleConfigDirs();
    }
    this.configDir = options.configDir ?? fs.mkdtempSync(path.join(os.tmpdir(), `${CONFIG_DIR_PREFIX}${process.pid}-`));
    // Interrupted at any step of its life (Pulumi stops a provider with SIGINT), the credentials
    // and secret files in it go with it; a harder stop leaves it to the next process's sweep.
    this.forgetOnInterrupt = onInterrupt(() => fs.rmSync(this.configDir, { recursive: true, force: true }));
    // Credentials stay in the private config; builders are the user's (so a named one is found).
    this.userConfigDir = env.DOCKER_CONFIG ?? path.join(os.homedir(), ".docker");
    this.buildxConfig = env.BUILDX_CONFIG ?? path.join(this.userConfigDir, "buildx");
    this.buildxBinary = options.buildx ?? env.MULTISTAGE_BUILDX;
    this.env = {
      ...env,
      DOCKER_BUILDKIT: "1",
      DOCKER_CONFIG: this.configDir,
      BUILDX_CONFIG: this.buildxConfig,
      // Attestations are asked for explicitly (--provenance/--sbom), never added by default.
      BUILDX_NO_DEFAULT_ATTESTATIONS: "1",
    };
    this.onOutput = options.onOutput;
  }

  /** The buildx binary (see `DockerCliOptions.buildx`); throws with how to install it when there is none. */
  buildx(): string {
    return findBuildx(this.env, this.userConfigDir, this.buildxBinary);
  }

  /**
   * The buildx builder for a plan's `builder`: a name as it is; for an endpoint, a `remote`
   * builder registered once under a name derived from the endpoint and its TLS files.
   */
  async resolveBuilder(builder: NonNullable<BuildPlan["builder"]>): Promise<string> {
    if (builder.name) return builder.name;
    const endpoint = builder.endpoint as string;
    // buildx would wait, then say only "context deadline exceeded": find out why first.
    if (endpoint.startsWith("tcp://")) await probeBuilderEndpoint(endpoint, builder.tls);
    const { name, create } = remoteBuilder({ ...builder, endpoint });
    const known = await this.run(["inspect", name], {
      quiet: true,
      allowFailure: true,
      binary: this.buildx(),
      step: "builder",
    });
    if (known.includes(`Name:`) && known.includes(name)) return name;
    await this.run(create, { quiet: true, binary: this.buildx(), step: "builder" });
    return name;
  }

  /**
   * Build a plan that names a `builder` with buildx: registry cache, several platforms into one
   * index, attestations; pushed by BuildKit itself (log in first), digest from its metadata.
   */
  async buildWithBuilder(
    plan: BuildPlan,
    repository: string,
    options: BuilderBuildOptions,
  ): Promise<BuilderBuildResult> {
    if (!plan.builder) throw new Error("buildWithBuilder needs a plan with a builder");
    const builder = await this.resolveBuilder(plan.builder);
    // Several platforms on a builder of several nodes: each built natively on its own node, with
    // its own cache, then merged into one index (an export to a file stays one build).
    if (options.push && plan.platforms.length > 1 && !plan.outputs?.exports.length) {
      const inspect = await this.run(["inspect", builder], {
        quiet: true,
        binary: this.buildx(),
        buildxConfig: this.freshBuildxConfig(),
        step: "builder",
      });
      const spread = spreadOverNodes(plan.platforms, builderNodes(inspect));
      if (spread) return this.buildAcrossNodes(plan, repository, builder, options);
    }
    const started = Date.now();
    const { args, log, metadata } = await this.buildxBuild(plan, repository, builder, options);
    const references = plan.tags.map((tag) => `${repository}:${tag}`);
    const digest = options.push ? digestOf(metadata["containerimage.digest"], args, log) : "";
    const provenance = metadata["buildx.build.provenance"];
    return {
      builder,
      digest,
      imageUri: digest ? `${repository}@${digest}` : (references[0] ?? ""),
      references,
      steps: parseBuildSteps(log),
      durationMs: Date.now() - started,
      log,
      ...(provenance !== undefined && referrerProvenance(plan) ? { provenance } : {}),
    };
  }

  /** A fresh path for a buildx metadata file in this executor's private directory. */
  private metadataFile(): string {
    return path.join(this.configDir, `metadata-${process.pid}-${Date.now()}-${++metadataFiles}.json`);
  }

  /** `buildx build` of `plan` on `builder`, its secrets as files, and its metadata read back. */
  private async buildxBuild(
    plan: BuildPlan,
    repository: string,
    builder: string,
    options: BuilderBuildOptions & { pushByDigest?: boolean },
  ): Promise<{ args: string[]; log: string; metadata: Record<string, unknown> }> {
    const metadataFile = this.metadataFile();
    let args: string[] = [];
    const log = await this.withSecretFiles(options.secrets, (secretFiles) => {
      args = buildxArguments(plan, repository, builder, metadataFile, { ...options, secretFiles });
      // Provenance attached beside the image is read from the metadata buildx writes (the image stays one manifest).
      const mode = referrerProvenance(plan);
      return this.run(args, {
        binary: this.buildx(),
        buildxConfig: this.freshBuildxConfig(),
        step: "build",
        ...(mode ? { env: { BUILDX_METADATA_PROVENANCE: mode } } : {}),
      });
    });
    return { args, log, metadata: readMetadata(metadataFile) };
  }

  /**
   * One build per platform, each on the node buildx gives that platform (pushed by digest,
   * untagged, with that platform's own cache), then one index of them under the plan's tags.
   * The result says which node built which platform (read from each build's metadata).
   */
  private async buildAcrossNodes(
    plan: BuildPlan,
    repository: string,
    builder: string,
    options: BuilderBuildOptions,
  ): Promise<BuilderBuildResult> {
    const started = Date.now();
    const built = await Promise.all(
      plan.platforms.map(async (platform) => {
        const own = plan.cache?.platforms?.[platform];
        const one: BuildPlan = {
          ...plan,
          platforms: [platform],
          tags: [],
          ...(plan.cache && own ? { cache: { to: own.to, from: [...own.from], mode: plan.cache.mode } } : {}),
        };
        const { args, log, metadata } = await this.buildxBuild(one, repository, builder, {
          ...options,
          pushByDigest: true,
        });
        const digest = digestOf(metadata["containerimage.digest"], args, log);
        // `<builder>/<node>/<ref>`: the node that ran it.
        const node = String(metadata["buildx.build.ref"] ?? "").split("/")[1] ?? "";
        return { platform, digest, node, log };
      }),
    );
    const references = plan.tags.map((tag) => `${repository}:${tag}`);
    const metadataFile = this.metadataFile();
    const merge = [
      "imagetools",
      "create",
      "--builder",
      builder,
      "--metadata-file",
      metadataFile,
      ...references.flatMap((r) => ["--tag", r]),
      ...built.map((b) => `${repository}@${b.digest}`),
    ];
    const mergeLog = await this.run(merge, {
      binary: this.buildx(),
      buildxConfig: this.freshBuildxConfig(),
      step: "push",
    });
    const descriptor = readMetadata(metadataFile)["containerimage.descriptor"] as { digest?: unknown } | undefined;
    const digest = digestOf(descriptor?.digest, merge, mergeLog, "no index digest in the metadata", "push");
    const log = [...built.map((b) => `# ${b.platform} on node ${b.node}\n${b.log}`), mergeLog].join("\n");
    return {
      builder,
      digest,
      imageUri: `${repository}@${digest}`,
      references,
      steps: parseBuildSteps(log),
      durationMs: Date.now() - started,
      log,
      nodes: Object.fromEntries(built.map((b) => [b.platform, b.node])),
    };
  }

  /** Build `plan`, tagging it `<repository>:<tag>` for each of the plan's tags. */
  /**
   * The test gate: build `plan.testTarget` with the plan's builder (the Docker engine's own,
   * or BuildKit's), tagging and pushing nothing; a failing test rejects. Nothing to do when
   * the plan has no test stage.
   */
  async testGate(plan: BuildPlan, repository: string, options: Pick<BuildOptions, "secrets"> = {}): Promise<void> {
    if (!plan.testTarget) return;
    const gate: BuildPlan = { ...plan, target: plan.testTarget, tags: [] };
    try {
      if (plan.builder) await this.buildWithBuilder(gate, repository, { ...options, push: false });
      else await this.build(gate, repository, options);
    } catch (err) {
      throw err instanceof DockerCommandError && err.step === "build" ? err.during("test gate") : err;
    }
  }

  async build(plan: BuildPlan, repository: string, options: BuildOptions = {}): Promise<BuildResult> {
    const iidFile = path.join(this.configDir, `iid-${process.pid}-${Date.now()}`);
    const started = Date.now();
    let args: string[] = [];
    const log = await this.withSecretFiles(options.secrets, (secretFiles) => {
      args = this.buildCommand(plan, repository, iidFile, { ...options, secretFiles });
      return this.run(args, { step: "build" });
    });
    const imageId = fs.readFileSync(iidFile, "utf8").trim();
    fs.rmSync(iidFile, { force: true });
    const references = args.flatMap((a, i) => (args[i - 1] === "--tag" ? [a] : []));
    return { imageId, references, steps: parseBuildSteps(log), durationMs: Date.now() - started, log };
  }

  /** The arguments of a build without a builder (`docker build`; a daemonless engine's own). */
  protected buildCommand(plan: BuildPlan, repository: string, iidFile: string, flags: BuildFlags): string[] {
    return buildArguments(plan, repository, iidFile, flags);
  }

  /**
   * Run `build` with the secrets written to mode-600 files in a directory of this executor's
   * private config, removed when the build ends, however it ends.
   */
  protected async withSecretFiles<T>(
    secrets: Readonly<Record<string, string>> | undefined,
    build: (files: Record<string, string>) => Promise<T>,
  ): Promise<T> {
    const dir = fs.mkdtempSync(path.join(this.configDir, "secrets-"));
    try {
      const files: Record<string, string> = {};
      for (const [id, value] of Object.entries(secrets ?? {})) {
        files[id] = path.join(dir, id);
        fs.writeFileSync(files[id], value, { mode: 0o600 });
      }
      return await build(files);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** `docker login` with the password on stdin; stored only in this executor's config directory. */
  async login(credentials: RegistryCredentials): Promise<void> {
    await this.run(["login", "--username", credentials.username, "--password-stdin", credentials.server], {
      stdin: credentials.password,
      step: "login",
    });
  }

  /** Push every reference; they must share one repository. Returns the registry's digest. */
  async push(references: readonly string[]): Promise<PushResult> {
    const repositories = new Set(references.map(repositoryOf));
    if (repositories.size !== 1)
      throw new Error(`push expects references of one repository, got ${[...repositories].join(", ")}`);
    let digest = "";
    for (const reference of references) {
      const pushed = await this.pushOne(reference);
      if (digest && digest !== pushed)
        throw new Error(`tags of one build pushed with different digests: ${digest} vs ${pushed}`);
      digest = pushed;
    }
    const repository = [...repositories][0];
    return { digest, imageUri: `${repository}@${digest}`, references: [...references] };
  }

  /** Push one reference; the digest the registry gave it (`docker push` prints it). */
  protected async pushOne(reference: string): Promise<string> {
    const out = await this.run(["push", reference], { step: "push" });
    const m = new RegExp(`digest: (${DIGEST})`).exec(out);
    if (!m) throw new DockerCommandError(`docker push ${reference}`, 0, `${out}\n(no digest in the output)`, "push");
    return m[1];
  }

  /**
   * Build `plan` and, with `push`, push it: the one entry for both builders. With a `builder`,
   * buildx builds and BuildKit pushes; with the engine's builder, `docker build`, then
   * `docker push`. Either pushes with this executor's login (`login` first). Callers do not
   * branch on the builder. Not pushed: the digest is "" and `imageUri` the first tag.
   */
  async buildImage(
    plan: BuildPlan,
    repository: string,
    options: { secrets?: Record<string, string>; push: boolean },
  ): Promise<PushResult> {
    if (plan.builder) {
      const built = await this.buildWithBuilder(plan, repository, { secrets: options.secrets, push: options.push });
      return {
        digest: built.digest,
        imageUri: built.imageUri,
        references: built.references,
        ...(built.nodes ? { nodes: built.nodes } : {}),
        ...(built.provenance !== undefined ? { provenance: built.provenance } : {}),
      };
    }
    const built = await this.build(plan, repository, { secrets: options.secrets });
    if (!options.push) return { digest: "", imageUri: built.references[0], references: built.references };
    return this.push(built.references);
  }

  /** `docker pull` (by digest, typically). */
  async pull(reference: string): Promise<void> {
    await this.run(["pull", reference], { step: "pull" });
  }

  /** `docker tag`: another name for a local image. */
  async tag(source: string, target: string): Promise<void> {
    await this.run(["tag", source, target], { quiet: true, step: "tag" });
  }

  /** `docker image inspect` of one image. */
  async inspect(reference: string): Promise<ImageInspect> {
    const out = await this.run(["image", "inspect", reference], { quiet: true, step: "inspect" });
    return (JSON.parse(out) as ImageInspect[])[0];
  }

  /** Forget stored credentials. */
  dispose(): void {
    this.forgetOnInterrupt();
    fs.rmSync(this.configDir, { recursive: true, force: true });
  }

  /** Run the Docker CLI (or `binary`) in this executor's environment (see `runProcess`). */
  run(
    args: readonly string[],
    options: RunOptions & { binary?: string; buildxConfig?: string; env?: NodeJS.ProcessEnv } = {},
  ): Promise<string> {
    const binary = options.binary ?? this.docker;
    const label = binary === this.docker ? this.commandName : path.basename(binary);
    const env = {
      ...this.env,
      ...(options.buildxConfig ? { BUILDX_CONFIG: options.buildxConfig } : {}),
      ...options.env,
    };
    return runProcess(binary, args, env, { ...options, label, onOutput: this.onOutput });
  }

  /**
   * A buildx configuration of this executor's own: the user's builders (`instances`, `defaults`,
   * `current`) without their node identifier. buildx keys the copy of the build context a builder
   * keeps on that identifier and the context's path, and a file edited without changing its size
   * and modification time (a tarball's, a restored checkout's) is not sent again: the builder
   * would build the old content (moby/buildkit#4817). A new identifier per publish sends the
   * context afresh. (The engine's `docker build` gets the same from this executor's own DOCKER_CONFIG.)
   */
  private freshBuildxConfig(): string {
    const dir = path.join(this.configDir, "buildx");
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Copied before each build: a builder registered since (an endpoint's) is found too.
    for (const entry of ["instances", "defaults", "current"]) {
      const from = path.join(this.buildxConfig, entry);
      if (fs.existsSync(from)) fs.cpSync(from, path.join(dir, entry), { recursive: true, force: true });
    }
    return dir;
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
    ExposedPorts?: Record<string, object> | null;
  };
}
