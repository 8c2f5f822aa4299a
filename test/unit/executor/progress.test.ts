import { strict as assert } from "assert";
import { failedStep } from "../../../src/executor";

/** The Docker engine 20.10's BuildKit, as it printed a failing RUN here. */
const ENGINE_LOG = `#6 [production 2/4] COPY --from=build /bin/busybox /x
#6 sha256:1ddc25cf69ac5be7eb113d2a7640655a9693cfd58b87d58a7ae88e4a0b4b723d
#6 DONE 0.0s

#7 [production 3/4] RUN echo "about to fail" && ls /nope &&     echo never
#7 sha256:35b730ee71aceb380012f7c09279d92bb3797f20d05daf799d4e4dad8cce7376
#7 0.202 about to fail
#7 0.202 ls: /nope: No such file or directory
#7 ERROR: executor failed running [/bin/sh -c echo "about to fail" && ls /nope &&     echo never]: exit code: 1
------
 > [production 3/4] RUN echo "about to fail" && ls /nope &&     echo never:
------
executor failed running [/bin/sh -c echo "about to fail" && ls /nope &&     echo never]: exit code: 1`;

/** buildx 0.2x / BuildKit 0.2x: "did not complete successfully", a Dockerfile excerpt, steps interleaved. */
const BUILDX_LOG = `#8 [test 2/2] RUN npm test
#8 0.512 > app@1.0.0 test
#9 [build 3/3] RUN npm run build
#8 1.204 FAIL src/app.test.js
#8 1.210 Tests: 1 failed, 3 passed
#9 1.300 built
#8 ERROR: process "/bin/sh -c npm test" did not complete successfully: exit code: 2
------
 > [test 2/2] RUN npm test:
------
Dockerfile:14
--------------------
  14 | >>> RUN npm test
--------------------
ERROR: failed to solve: process "/bin/sh -c npm test" did not complete successfully: exit code: 2`;

describe("failedStep: where a build stopped, from its plain progress log", () => {
  it("the Docker engine's BuildKit: the step, its stage, exit code and only its own output", () => {
    assert.deepEqual(failedStep(ENGINE_LOG), {
      id: 7,
      stage: "production",
      instruction: 'RUN echo "about to fail" && ls /nope &&     echo never',
      exitCode: 1,
      error: 'executor failed running [/bin/sh -c echo "about to fail" && ls /nope &&     echo never]: exit code: 1',
      output: ["about to fail", "ls: /nope: No such file or directory"],
    });
  });

  it("buildx: interleaved steps keep their own lines; a single-stage build names no stage", () => {
    const step = failedStep(BUILDX_LOG);
    assert.equal(step?.stage, "test");
    assert.equal(step?.exitCode, 2);
    assert.deepEqual(step?.output, ["> app@1.0.0 test", "FAIL src/app.test.js", "Tests: 1 failed, 3 passed"]);
    assert.equal(failedStep("#5 [2/3] RUN false\n#5 ERROR: exit code: 1\n")?.stage, undefined);
  });

  it("a log without a failed step is no failure", () => {
    assert.equal(failedStep("#1 [internal] load build definition\n#1 DONE 0.0s\n"), undefined);
    assert.equal(failedStep("ERROR: failed to dial gRPC: cannot connect to the Docker daemon"), undefined);
  });
});
