/**
 * Each folder of `src/` is a layer whose `index.ts` is its whole surface: a module of another
 * folder imports the folder (`../publish`), never a file inside it (`../publish/drift`), so what
 * a layer offers is what its index names, and nothing else is reached past it.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../helpers";

/** Every `.ts` file under `dir`, with its path relative to `src/`. */
function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

/** The imports of `file` that reach into another folder past its index. */
export function importsPastIndex(file: string, text: string, src: string): string[] {
  const found: string[] = [];
  const folder = path.dirname(file);
  for (const [, spec] of text.matchAll(/(?:from|import|require\()\s*\(?\s*"(\.[^"]+)"/g)) {
    const target = path.resolve(folder, spec);
    const relative = path.relative(src, target).split(path.sep);
    const sameFolder =
      path.resolve(src, relative[0]) === path.resolve(src, path.relative(src, folder).split(path.sep)[0]);
    // `../publish` (the folder, its index) is the surface; `../publish/drift` is past it.
    if (!sameFolder && relative.length > 1 && relative[1] !== "index") found.push(spec);
  }
  return found;
}

describe("Each src/ folder's index.ts is its whole surface", () => {
  const src = path.join(REPO_ROOT, "src");

  it("no module imports a file of another folder, only the folder", () => {
    const found = sources(src).flatMap((file) =>
      importsPastIndex(file, fs.readFileSync(file, "utf8"), src).map(
        (spec) => `${path.relative(src, file)} imports ${spec}`,
      ),
    );
    assert.deepEqual(found, []);
  });

  it("the check sees a deep import (it can fail)", () => {
    const file = path.join(src, "backends", "x.ts");
    assert.deepEqual(
      importsPastIndex(file, 'import { a } from "../publish/drift";\nimport { b } from "./select";', src),
      ["../publish/drift"],
    );
    assert.deepEqual(
      importsPastIndex(file, 'import { a } from "../publish";\nimport { c } from "../publish/index";', src),
      [],
    );
  });
});
