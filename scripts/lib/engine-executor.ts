/**
 * The Docker CLI with what the tests, the quick start and the benchmarks need besides
 * publishing: inspect, list and run images, remove them, prune a builder's cache. Not part of
 * the package's `./executor` export.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DockerExecutor } from "../../src/executor";

export class EngineExecutor extends DockerExecutor {
  /** Remove a builder's local build cache (`buildx prune --all`), e.g. to prove the registry cache. */
  async pruneBuilder(builder: string): Promise<void> {
    await this.run(["prune", "--builder", builder, "--all", "--force"], { quiet: true, binary: this.buildx() });
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
}
