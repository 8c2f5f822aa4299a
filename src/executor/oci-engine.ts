/**
 * Build and push with a daemonless engine, Podman or Buildah: the same operations as the Docker
 * CLI's executor (login, the test gate, build, push, pull, tag), so the publish pipeline runs
 * above either unchanged. Both read the registry's login from the executor's private
 * `config.json` (`REGISTRY_AUTH_FILE`, the format `docker login` writes, which cosign reads too),
 * keep their layers in their own store, and report a pushed digest in `--digestfile`.
 */
import * as fs from "fs";
import * as path from "path";
import { type BuildPlan, DIGEST, type EngineName, registryHost, repositoryOf } from "../plan";
import { engineBuildArguments } from "./argv";
import {
  type BuildOptions,
  type BuildResult,
  type DockerCliOptions,
  DockerExecutor,
  type PushResult,
} from "./docker-cli";
import { DockerCommandError } from "./process";
import { parseBuildSteps } from "./progress";
import { isLoopbackRegistry } from "./registry";
import type { RegistryCredentials } from "../registry";

/** Where each engine's binary is looked for: `$MULTISTAGE_PODMAN` / `$MULTISTAGE_BUILDAH`, else on PATH. */
const VARIABLES: Record<Exclude<EngineName, "docker">, string> = {
  podman: "MULTISTAGE_PODMAN",
  buildah: "MULTISTAGE_BUILDAH",
};

/** Runs plans with Podman or Buildah and one private credentials file. */
export class OciEngineExecutor extends DockerExecutor {
  readonly engine: Exclude<EngineName, "docker">;
  /** The registry logins: `config.json` in the private directory. */
  readonly authFile: string;
  protected override readonly commandName: string;

  constructor(engine: Exclude<EngineName, "docker">, options: DockerCliOptions = {}) {
    const env = options.env ?? process.env;
    super({ ...options, docker: env[VARIABLES[engine]] ?? engine });
    this.engine = engine;
    this.commandName = engine;
    this.authFile = path.join(this.configDir, "config.json");
    // The engines refuse an auth file that does not exist yet.
    if (!fs.existsSync(this.authFile)) fs.writeFileSync(this.authFile, "{}\n", { mode: 0o600 });
    Object.assign(this.env, { REGISTRY_AUTH_FILE: this.authFile, BUILDAH_FORMAT: "oci" });
  }

  /** No buildx: a daemonless engine builds in its own process. */
  override buildx(): string {
    throw new Error(`${this.engine} builds without buildx: a plan for it has no builder.`);
  }

  override async login(credentials: RegistryCredentials): Promise<void> {
    await this.run(
      [
        "login",
        ...this.tls(credentials.server, true),
        "--username",
        credentials.username,
        "--password-stdin",
        credentials.server,
      ],
      { stdin: credentials.password, step: "login" },
    );
  }

  override async build(plan: BuildPlan, repository: string, options: BuildOptions = {}): Promise<BuildResult> {
    if (plan.builder) throw new Error(`${this.engine} builds without a builder: the plan names one.`);
    const iidFile = path.join(this.configDir, `iid-${process.pid}-${Date.now()}`);
    const started = Date.now();
    let args: string[] = [];
    const ignore = `${plan.dockerfile}.dockerignore`;
    const log = await this.withSecretFiles(options.secrets, (secretFiles) => {
      args = engineBuildArguments(plan, repository, iidFile, {
        ...options,
        secretFiles,
        ...(fs.existsSync(ignore) ? { ignoreFile: ignore } : {}),
      });
      return this.run(args, { step: "build" });
    });
    const imageId = fs.readFileSync(iidFile, "utf8").trim();
    fs.rmSync(iidFile, { force: true });
    const references = args.flatMap((a, i) => (args[i - 1] === "--tag" ? [a] : []));
    return { imageId, references, steps: parseBuildSteps(log), durationMs: Date.now() - started, log };
  }

  /** Push every reference (one repository); the digest each push wrote to its `--digestfile`. */
  override async push(references: readonly string[]): Promise<PushResult> {
    const repositories = new Set(references.map(repositoryOf));
    if (repositories.size !== 1)
      throw new Error(`push expects references of one repository, got ${[...repositories].join(", ")}`);
    let digest = "";
    for (const reference of references) {
      const file = path.join(this.configDir, `digest-${process.pid}-${Date.now()}`);
      const out = await this.run(["push", ...this.tls(reference), "--digestfile", file, reference], { step: "push" });
      const pushed = fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim() : "";
      fs.rmSync(file, { force: true });
      if (!new RegExp(`^${DIGEST}$`).test(pushed))
        throw new DockerCommandError(`${this.engine} push ${reference}`, 0, `${out}\n(no digest written)`, "push");
      if (digest && digest !== pushed)
        throw new Error(`tags of one build pushed with different digests: ${digest} vs ${pushed}`);
      digest = pushed;
    }
    const repository = [...repositories][0];
    return { digest, imageUri: `${repository}@${digest}`, references: [...references] };
  }

  override async pull(reference: string): Promise<void> {
    await this.run(["pull", ...this.tls(reference), reference], { step: "pull" });
  }

  /** A registry on this machine answers plain HTTP: the engines verify TLS unless told. `reference` may be a server alone. */
  private tls(reference: string, server = false): string[] {
    return isLoopbackRegistry(server ? reference : registryHost(reference)) ? ["--tls-verify=false"] : [];
  }
}
