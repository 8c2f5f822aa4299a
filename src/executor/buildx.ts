/** Finding the buildx CLI plugin, the way the Docker CLI itself looks for it. */
import * as fs from "fs";
import * as path from "path";

/**
 * The buildx binary: `explicit` when given, else the `docker-buildx` CLI plugin where Docker
 * installs it (the user's `cli-plugins` first), else `docker-buildx`/`buildx` on `PATH`.
 * Throws with how to install it when there is none.
 */
export function findBuildx(env: NodeJS.ProcessEnv, userConfigDir: string, explicit?: string): string {
  if (explicit) return explicit;
  const plugins = [
    path.join(userConfigDir, "cli-plugins"),
    "/usr/local/lib/docker/cli-plugins",
    "/usr/local/libexec/docker/cli-plugins",
    "/usr/lib/docker/cli-plugins",
    "/usr/libexec/docker/cli-plugins",
  ].map((dir) => path.join(dir, "docker-buildx"));
  const onPath = (env.PATH ?? "")
    .split(path.delimiter)
    .filter(Boolean)
    .flatMap((dir) => [path.join(dir, "docker-buildx"), path.join(dir, "buildx")]);
  const found = [...plugins, ...onPath].find((file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (!found) {
    throw new Error(
      "a builder is set, but the buildx CLI plugin is not installed (no docker-buildx in Docker's cli-plugins directories or on PATH); install docker-buildx, or set MULTISTAGE_BUILDX to its path.",
    );
  }
  return found;
}
