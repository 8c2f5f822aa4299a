/** The diagnostic codes: each layer declares the codes of the problems it finds, each code once. */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { COMPONENT_CODES } from "../../src/component/codes";
import { CONSUMERS_CODES } from "../../src/consumers/codes";
import { CONTEXT_CODES } from "../../src/context/codes";
import { DOCKERFILE_CODES } from "../../src/dockerfile";
import { ECR_CODES } from "../../src/ecr/codes";
import { PLAN_CODES } from "../../src/plan/codes";
import { REGISTRY_CODES } from "../../src/registry/codes";
import { REPO_ROOT } from "../helpers";

const LAYERS: Record<string, readonly string[]> = {
  dockerfile: DOCKERFILE_CODES,
  plan: PLAN_CODES,
  context: CONTEXT_CODES,
  component: COMPONENT_CODES,
  registry: REGISTRY_CODES,
  ecr: ECR_CODES,
  consumers: CONSUMERS_CODES,
};

/** The text of a layer's sources, its code list left out. */
function sources(layer: string): string {
  const dir = path.join(REPO_ROOT, "src", layer);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && f !== "codes.ts" && f !== "diagnostics.ts")
    .map((f) => fs.readFileSync(path.join(dir, f), "utf8"))
    .join("\n");
}

describe("diagnostic codes", () => {
  it("are declared once, each by a layer that reports it", () => {
    const all = Object.values(LAYERS).flat();
    assert.deepEqual(
      all.filter((c, i) => all.indexOf(c) !== i),
      [],
      "codes declared twice",
    );
    for (const [layer, codes] of Object.entries(LAYERS)) {
      const text = sources(layer);
      const unused = codes.filter((c) => !text.includes(`"${c}"`));
      assert.deepEqual(unused, [], `${layer} declares codes it never reports`);
    }
  });
});
