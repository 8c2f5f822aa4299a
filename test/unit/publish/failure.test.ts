import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DockerCommandError, failedStep } from "../../../src/executor";
import { parseBuildSteps } from "../../../src/executor/progress";
import { explainBuildFailure, failingTestLines, locateStep } from "../../../src/publish/failure";

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
      new DockerCommandError("docker build --target production .", 1, log, "build"),
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

  it("a registry that refuses the cache's tag: said as the cache, with the exclusion filter or registryCache: false", () => {
    // BuildKit's own step names the failure; the registry's code is lost in its output ("unknown:").
    const log = [
      "#14 exporting cache to registry",
      "#14 writing cache manifest sha256:abc 0.0s done",
      "------",
      " > exporting cache to registry:",
      "------",
      "ERROR: failed to build: failed to solve: error writing manifest blob: unknown: The image tag 'cache-app-dev' already exists in the 'ns/app' repository and cannot be overwritten because the tag is immutable.",
    ].join("\n");
    const err = explainBuildFailure(
      new DockerCommandError("docker-buildx build .", 1, log, "build"),
      { environment: "dev", dockerfile: "D", stages: [] },
      "D",
      "build",
    ) as Error;
    assert.match(
      err.message,
      /^build of environment "dev": every stage built, but the registry refused its cache \(ERROR: failed to build/,
    );
    assert.match(err.message, /an exclusion filter cache-\*, IMMUTABLE_WITH_EXCLUSION/);
    assert.match(err.message, /registryCache: false/);
    fs.rmSync(/The whole build log: (.*)$/.exec(err.message)?.[1] ?? "");
  });

  it("leaves other failures as they are", () => {
    const push = new DockerCommandError("docker push x", 1, "#1 ERROR: denied", "push");
    // Decided on the step, not the command's text: a repository named "build" is still a push.
    const named = new DockerCommandError(
      "docker push registry.example.com/build:1",
      1,
      '#7 [app 1/2] RUN make\n#7 ERROR: process "/bin/sh -c make" did not complete successfully: exit code: 1',
      "push",
    );
    assert.equal(explainBuildFailure(named, { environment: "dev", dockerfile: "D", stages: [] }, "D", "build"), named);
    assert.equal(explainBuildFailure(push, { environment: "dev", dockerfile: "D", stages: [] }, "D", "build"), push);
    const other = new Error("no engine");
    assert.equal(explainBuildFailure(other, { environment: "dev", dockerfile: "D", stages: [] }, "D", "build"), other);
  });
});

describe("A failing test gate shows the failing tests' own lines first", () => {
  const RUNNERS: Record<string, { output: string; shows: RegExp[] }> = {
    "node --test (TAP)": {
      output: `TAP version 13
# Subtest: adds
ok 1 - adds
  ---
  duration_ms: 0.5
  ...
# Subtest: subtracts
not ok 2 - subtracts
  ---
  duration_ms: 0.7
  failureType: 'testCodeFailure'
  error: |-
    Expected values to be strictly equal:

    1 !== 2

  code: 'ERR_ASSERTION'
  expected: 2
  actual: 1
  ...
1..2
# tests 2
# pass 1
# fail 1`,
      shows: [/^not ok 2 - subtracts$/, /Expected values to be strictly equal/, /1 !== 2/, /expected: 2/],
    },
    pytest: {
      output: `collected 2 items

test_math.py .F                                                          [100%]

=================================== FAILURES ===================================
________________________________ test_subtract _________________________________

    def test_subtract():
>       assert 1 - 1 == 1
E       assert (1 - 1) == 1

test_math.py:5: AssertionError
=========================== short test summary info ============================
FAILED test_math.py::test_subtract - assert (1 - 1) == 1
========================= 1 failed, 1 passed in 0.02s ==========================`,
      shows: [
        /^E {7}assert \(1 - 1\) == 1$/,
        /^test_math\.py:5: AssertionError$/,
        /^FAILED test_math\.py::test_subtract/,
        /1 failed, 1 passed/,
      ],
    },
    "go test": {
      output: `=== RUN   TestAdd
--- PASS: TestAdd (0.00s)
=== RUN   TestSub
    math_test.go:12: Sub(1, 1) = 0, want 1
--- FAIL: TestSub (0.00s)
FAIL
FAIL	example.com/m	0.003s`,
      shows: [/math_test\.go:12: Sub\(1, 1\) = 0, want 1/, /^--- FAIL: TestSub/, /^FAIL\texample\.com\/m/],
    },
    jest: {
      output: `FAIL src/sum.test.js
  ● sum › adds 1 + 2 to equal 4

    expect(received).toBe(expected) // Object.is equality

    Expected: 4
    Received: 3

Tests:       1 failed, 1 passed, 2 total`,
      shows: [/^FAIL src\/sum\.test\.js$/, /● sum › adds 1 \+ 2 to equal 4/, /Expected: 4/, /Received: 3/],
    },
    "JUnit (Maven Surefire)": {
      output: `[INFO] Running com.acme.MathTest
[ERROR] Tests run: 2, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.05 s <<< FAILURE! - in com.acme.MathTest
[ERROR] subtract(com.acme.MathTest)  Time elapsed: 0.01 s  <<< FAILURE!
org.opentest4j.AssertionFailedError: expected: <1> but was: <0>
	at com.acme.MathTest.subtract(MathTest.java:12)
[INFO] BUILD FAILURE`,
      shows: [/subtract\(com\.acme\.MathTest\).*<<< FAILURE!/, /AssertionFailedError: expected: <1> but was: <0>/],
    },
  };

  for (const [runner, { output, shows }] of Object.entries(RUNNERS))
    it(`${runner}: the failing test and its reason, before the tail`, () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-gate-"));
      const file = path.join(dir, "Dockerfile");
      fs.writeFileSync(file, "FROM busybox:1 AS test\nRUN npm test\nFROM busybox:1\n");
      // Padding after the failure, as a long run prints: the tail alone would miss it.
      const lines = [...output.split("\n"), ...Array.from({ length: 30 }, (_, i) => `teardown ${i}`)];
      const log = [
        "#5 [test 2/2] RUN npm test",
        ...lines.map((l, i) => `#5 1.${i} ${l}`),
        '#5 ERROR: process "/bin/sh -c npm test" did not complete successfully: exit code: 1',
      ].join("\n");
      const err = explainBuildFailure(
        new DockerCommandError("docker build --target test .", 1, log, "test gate"),
        { environment: "production", dockerfile: file, stages: ["test"] },
        file,
        "test gate",
      ) as Error;
      const [head, tail] = err.message.split(/\nits last \d+ lines:\n/);
      assert.match(head, /\nwhat failed:\n/);
      const quoted = head
        .split("what failed:\n")[1]
        .split("\n")
        .map((l) => l.replace(/^ {2}\| /, ""));
      for (const pattern of shows)
        assert.ok(
          quoted.some((l) => pattern.test(l)),
          `${pattern} not among the failing lines:\n${quoted.join("\n")}`,
        );
      assert.match(tail, /teardown 29/);
      fs.rmSync(/The whole build log: (.*)$/.exec(err.message)?.[1] ?? "", { force: true });
    });

  it("nothing is listed when nothing looks like a failing test (a compiler error keeps the tail only)", () => {
    assert.deepEqual(failingTestLines(["gcc -c main.c", "compilation terminated."]), []);
    assert.equal(failingTestLines(Array.from({ length: 100 }, (_, i) => `not ok ${i} - t`)).length, 20);
    assert.ok(failingTestLines([`Error: ${"x".repeat(5000)}`])[0].length < 400, "a line is bounded");
  });
});

describe("A failed build by Podman or Buildah says where, as BuildKit's does", () => {
  /** What podman 4.3 and buildah 1.28 print for the same failing test stage (captured here). */
  const GATE = `FROM multistage-local/busybox:1 AS build
RUN echo built > /out
FROM build AS test
RUN echo "checking" && \\
    echo "not ok 1 - adds" && exit 3
FROM multistage-local/busybox:1 AS final
COPY --from=build /out /out
`;
  const LOG = [
    "[1/2] STEP 1/2: FROM multistage-local/busybox:1 AS build",
    "[1/2] STEP 2/2: RUN echo built > /out",
    "--> Using cache ef15c9b3b3b30a2192506ee36fadfce95e68130b099b77d16d0ce45cc5874b42",
    "--> ef15c9b3b3b",
    "[2/2] STEP 1/2: FROM ef15c9b3b3b30a2192506ee36fadfce95e68130b099b77d16d0ce45cc5874b42 AS test",
    '[2/2] STEP 2/2: RUN echo "checking" &&     echo "not ok 1 - adds" && exit 3',
    "checking",
    "not ok 1 - adds",
    'Error: building at STEP "RUN echo "checking" &&     echo "not ok 1 - adds" && exit 3": while running runtime: exit status 3',
  ].join("\n");

  it("reads the failed step: its stage (from its FROM … AS), instruction, exit code and output", () => {
    assert.deepEqual(failedStep(LOG), {
      id: 2002,
      stage: "test",
      instruction: 'RUN echo "checking" &&     echo "not ok 1 - adds" && exit 3',
      exitCode: 3,
      error: "while running runtime: exit status 3",
      output: ["checking", "not ok 1 - adds"],
    });
    // The steps, the cached one marked.
    assert.deepEqual(
      parseBuildSteps(LOG).map((s) => [s.stage, s.instruction.slice(0, 14), s.cached]),
      [
        ["build", "FROM multistag", false],
        ["build", "RUN echo built", true],
        ["test", "FROM ef15c9b3b", false],
        ["test", 'RUN echo "chec', false],
      ],
    );
  });

  it("names the environment, stage, file:line, exit code and the failing test", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-failure-"));
    const file = path.join(dir, "Dockerfile");
    fs.writeFileSync(file, GATE);
    const err = explainBuildFailure(
      new DockerCommandError("podman build --target test .", 3, LOG, "test gate"),
      { environment: "production", dockerfile: file, stages: ["build", "final"] },
      file,
      "test gate",
    ) as Error;
    const lines = err.message.split("\n");
    assert.equal(
      lines[0],
      `test gate of environment "production" failed in stage "test" at ${file}:4: RUN echo "checking" &&     echo "not ok 1 - adds" && exit 3`,
    );
    assert.equal(lines[1], "exited with code 3");
    assert.deepEqual(lines.slice(2, 4), ["what failed:", "  | not ok 1 - adds"]);
    fs.rmSync(/The whole build log: (.*)$/.exec(err.message)?.[1] ?? "", { force: true });
  });
});
