/** `plan/` is pure: it imports no module that reads disk, runs processes or talks to the network, nor a layer above it. */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../../helpers";

const IMPURE = ["fs", "fs/promises", "child_process", "os", "net", "http", "https", "dns"];
const ABOVE = [
  "context",
  "executor",
  "publish",
  "backends",
  "component",
  "ecr",
  "registry",
  "cli",
  "lint",
  "consumers",
];

describe("plan/ is pure", () => {
  it("no file imports fs, child_process, os or the network, or a layer above plan/", () => {
    const dir = path.join(REPO_ROOT, "src", "plan");
    const found: string[] = [];
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
      const text = fs.readFileSync(path.join(dir, file), "utf8");
      for (const [, module] of text.matchAll(/(?:from|require\()\s*"([^"]+)"/g)) {
        const bare = module.replace(/^node:/, "");
        if (IMPURE.includes(bare) || ABOVE.some((layer) => bare === `../${layer}`))
          found.push(`${file} imports ${module}`);
      }
    }
    assert.deepEqual(found, []);
  });
});
