/**
 * A fingerprint of what a build reads from disk: the Dockerfile and every file of the
 * context that `.dockerignore` admits (parsed with @balena/dockerignore, Docker's own
 * matching rules). An edit to an admitted file changes it; an ignored file does not.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import ignore from "@balena/dockerignore";

/**
 * `sha256:…` of the Dockerfile and the admitted context files (path, mode, content).
 * @internal
 */
export function contextHash(context: string, dockerfile: string): string {
  const hash = crypto.createHash("sha256");
  hash.update(`dockerfile\0${fs.readFileSync(dockerfile)}\0`);
  const ignoreFile = path.join(context, ".dockerignore");
  const ignored = ignore().add(fs.existsSync(ignoreFile) ? fs.readFileSync(ignoreFile, "utf8") : "");
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      const relative = path.relative(context, full).split(path.sep).join("/");
      if (ignored.ignores(relative)) continue;
      if (entry.isDirectory()) {
        walk(full);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        const stat = fs.lstatSync(full);
        const content = entry.isSymbolicLink() ? fs.readlinkSync(full) : fs.readFileSync(full);
        hash.update(`${relative}\0${stat.mode & 0o777}\0${content.length}\0`);
        hash.update(content);
      }
    }
  };
  walk(context);
  return `sha256:${hash.digest("hex")}`;
}
