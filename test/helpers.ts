import * as fs from "fs";
import * as path from "path";
import { type Diagnostic, type DockerfileModel, MultiStageError, parseDockerfile } from "../src/dockerfile";

export const FIXTURES = path.join(__dirname, "fixtures");
export { REPO_ROOT } from "../scripts/lib/local";

/** Parse a seed fixture; fails the test if it has any diagnostic. */
export function seed(name: string): DockerfileModel {
  const { model, diagnostics } = parseDockerfile(
    fs.readFileSync(path.join(FIXTURES, "seeds", `${name}.Dockerfile`), "utf8"),
    `seeds/${name}.Dockerfile`,
  );
  if (diagnostics.length) throw new Error(`unexpected diagnostics: ${JSON.stringify(diagnostics)}`);
  return model;
}

/** Parse inline Dockerfile text (leading indentation removed). */
export function dockerfile(text: string): ReturnType<typeof parseDockerfile> {
  const lines = text.replace(/^\n/, "").split("\n");
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return parseDockerfile(lines.map((l) => l.slice(indent)).join("\n"), "Dockerfile");
}

/** Two stages copying from each other: a dependency cycle (and a forward reference). */
export const CYCLIC_DOCKERFILE = `
  FROM alpine:3.19 AS a
  COPY --from=b /x /x
  FROM alpine:3.19 AS b
  COPY --from=a /y /y
`;

/**
 * The problems of a plan: errors as `property: message`, warnings as `warning property: message`
 * (those of a plan made, or beside the errors of one refused); `plan` makes it.
 */
export function planProblems(plan: () => { warnings: readonly Diagnostic[] }): string[] {
  try {
    return plan().warnings.map((w) => `warning ${w.property}: ${w.message}`);
  } catch (err) {
    if (!(err instanceof MultiStageError)) throw err;
    return err.diagnostics.map((d) => `${d.severity === "error" ? "" : "warning "}${d.property}: ${d.message}`);
  }
}
