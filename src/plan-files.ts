/** Read the Dockerfile a request points at and plan it (the one impure step before `planBuild`). */
import * as fs from "fs";
import * as path from "path";
import { MultiStageError } from "./dockerfile/diagnostics";
import { parseDockerfile } from "./dockerfile/parse";
import { type BuildPlan, type BuildPlanRequest, planBuild } from "./plan";

/** Plan a build from files on disk; throws `MultiStageError` naming the file for every problem. */
export function planBuildFromFiles(request: BuildPlanRequest): BuildPlan {
  const dockerfile = request.dockerfile
    ? path.resolve(request.dockerfile)
    : path.resolve(request.context, "Dockerfile");
  const label = path.relative(process.cwd(), dockerfile) || dockerfile;
  if (!fs.existsSync(request.context) || !fs.statSync(request.context).isDirectory()) {
    throw new MultiStageError([
      {
        severity: "error",
        code: "parse-error",
        file: request.context,
        message: "the build context is not a directory.",
        hint: "Set `context` to the folder the Dockerfile's COPY instructions read from.",
      },
    ]);
  }
  if (!fs.existsSync(dockerfile)) {
    throw new MultiStageError([
      {
        severity: "error",
        code: "parse-error",
        file: label,
        message: "the Dockerfile does not exist.",
        hint: "Set `dockerfile` to its path (relative to the Pulumi program), or put a Dockerfile in the context.",
      },
    ]);
  }
  const { model, diagnostics } = parseDockerfile(fs.readFileSync(dockerfile, "utf8"), label);
  return planBuild(model, { ...request, dockerfile }, diagnostics);
}
