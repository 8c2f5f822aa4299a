/**
 * Build and push with a daemonless engine, Podman or Buildah: the same operations as the Docker
 * CLI's executor (login, the test gate, build, push, pull, tag), so the publish pipeline runs
 * above either unchanged; only the build's arguments, a push's digest, the login and pulls differ. Both read the registry's login from the executor's private
 * `config.json` (`REGISTRY_AUTH_FILE`, the format `docker login` writes, which cosign reads too),
 * keep their layers in their own store, and report a pushed digest in `--digestfile`.
 */
import * as fs from "fs";
import * as path from "path";
import { type BuildPlan, DIGEST, type EngineName, registryHost } from "../plan";
import { type BuildFlags, engineBuildArguments } from "./argv";
import { type DockerCliOptions, DockerExecutor } from "./docker-cli";
import { DockerCommandError } from "./process";
import { isLoopbackRegistry } from "../registry";
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

  /** `build --layers --format oci`, naming the closure's ignore file (the engines read it only when told). */
  protected override buildCommand(plan: BuildPlan, repository: string, iidFile: string, flags: BuildFlags): string[] {
    if (plan.builder) throw new Error(`${this.engine} builds without a builder: the plan names one.`);
    const ignore = `${plan.dockerfile}.dockerignore`;
    return engineBuildArguments(plan, repository, iidFile, {
      ...flags,
      ...(fs.existsSync(ignore) ? { ignoreFile: ignore } : {}),
    });
  }

  /** Push one reference; the digest the engine wrote to its `--digestfile`. */
  protected override async pushOne(reference: string): Promise<string> {
    const file = path.join(this.configDir, `digest-${process.pid}-${Date.now()}`);
    const out = await this.run(["push", ...this.tls(reference), "--digestfile", file, reference], { step: "push" });
    const pushed = fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim() : "";
    fs.rmSync(file, { force: true });
    if (!new RegExp(`^${DIGEST}$`).test(pushed))
      throw new DockerCommandError(`${this.engine} push ${reference}`, 0, `${out}\n(no digest written)`, "push");
    return pushed;
  }

  override async pull(reference: string): Promise<void> {
    await this.run(["pull", ...this.tls(reference), reference], { step: "pull" });
  }

  /** A registry on this machine answers plain HTTP: the engines verify TLS unless told. `reference` may be a server alone. */
  private tls(reference: string, server = false): string[] {
    return isLoopbackRegistry(server ? reference : registryHost(reference)) ? ["--tls-verify=false"] : [];
  }
}
