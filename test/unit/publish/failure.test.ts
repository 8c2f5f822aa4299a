import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DockerCommandError } from "../../../src/executor";
import { explainBuildFailure, locateStep } from "../../../src/publish/failure";

const DOCKERFILE = `FROM busybox:1 AS build
RUN make

FROM busybox:1
RUN echo same

FROM busybox:1 AS production
COPY --from=build /out /app
RUN echo "about to fail" && ls /nope && \\
    echo never
RUN echo same
`;

describe("A failed build says where", () => {
  it("locates the step by stage and text: continued lines, unnamed stages, the same text in two stages", () => {
    assert.deepEqual(
      locateStep(
        { stage: "production", instruction: 'RUN echo "about to fail" && ls /nope &&     echo never' },
        DOCKERFILE,
        [],
      ),
      { stage: "production", line: 9, instruction: 'RUN echo "about to fail" && ls /nope &&     echo never' },
    );
    assert.equal(locateStep({ stage: "stage-1", instruction: "RUN echo same" }, DOCKERFILE, [])?.line, 5);
    assert.equal(locateStep({ stage: "production", instruction: "RUN echo same" }, DOCKERFILE, [])?.line, 11);
    // A single-stage build: BuildKit names no stage; the built stages decide.
    assert.equal(locateStep({ instruction: "RUN echo same" }, DOCKERFILE, ["build", "production"])?.line, 11);
    assert.equal(locateStep({ instruction: "RUN not there" }, DOCKERFILE, []), undefined);
  });

  it("names the environment, stage, file:line, instruction, exit code and last lines, and keeps the whole log", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-failure-"));
    const file = path.join(dir, "Dockerfile");
    fs.writeFileSync(file, DOCKERFILE);
    const log = [
      '#7 [production 3/4] RUN echo "about to fail" && ls /nope &&     echo never',
      ...Array.from({ length: 20 }, (_, i) => `#7 0.${i} line ${i + 1}`),
      '#7 ERROR: process "/bin/sh -c ..." did not complete successfully: exit code: 1',
    ].join("\n");
    const err = explainBuildFailure(
      new DockerCommandError("docker build --target production .", 1, log),
      { environment: "production", dockerfile: file, stages: ["build", "production"] },
      file,
      "build",
    ) as Error;
    const lines = err.message.split("\n");
    assert.equal(
      lines[0],
      `build of environment "production" failed in stage "production" at ${file}:9: RUN echo "about to fail" && ls /nope &&     echo never`,
    );
    assert.equal(lines[1], "exited with code 1");
    assert.equal(lines[2], "its last 12 lines:");
    assert.equal(lines[3], "  | line 9");
    assert.equal(lines[14], "  | line 20");
    const logFile = /The whole build log: (.*)$/.exec(err.message)?.[1] ?? "";
    assert.equal(fs.readFileSync(logFile, "utf8"), log);
    fs.rmSync(logFile);
  });

  it("leaves other failures as they are", () => {
    const push = new DockerCommandError("docker push x", 1, "#1 ERROR: denied");
    assert.equal(explainBuildFailure(push, { environment: "dev", dockerfile: "D", stages: [] }, "D", "build"), push);
    const other = new Error("no engine");
    assert.equal(explainBuildFailure(other, { environment: "dev", dockerfile: "D", stages: [] }, "D", "build"), other);
  });
});
