/**
 * A build that fails says where, through the publish pipeline on the real engine: a `RUN` that
 * exits non-zero in the production stage is reported with the environment, the stage, the
 * Dockerfile's line and instruction, the exit code and that step's last lines; the whole log is
 * in the file the message names. The test gate's failure is reported the same way.
 */
import { baseImageResolver, dockerHost } from "../../src/host";
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { planBuildFromFiles } from "../../src";
import { withInputsHash } from "../../src/plan";
import { prepareImage, publishImage } from "../../src/publish";
import { type Engine, requireEngine } from "./engine";

describe("Integration: a failed build says where", function () {
  this.timeout(300000);
  let engine: Engine;
  before(function () {
    engine = requireEngine(this);
  });

  async function publishFailure(dockerfile: string, environment: string): Promise<{ message: string; file: string }> {
    const context = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-failure-"));
    const file = path.join(context, "Dockerfile");
    fs.writeFileSync(file, dockerfile);
    const plan = planBuildFromFiles({
      context,
      environment,
      gitSha: "0123456789abcdef",
      allowUnpinnedBaseImages: true,
    } as Parameters<typeof planBuildFromFiles>[0]);
    const registry = { server: engine.registry.server };
    const prepared = await prepareImage(plan, registry, {
      resolveImages: baseImageResolver(engine.env),
      secret: false,
      warn: () => undefined,
    });
    const references = withInputsHash(plan.tags, prepared.inputs.hash).map((t) => `multistage-tests/failure:${t}`);
    const err = await publishImage(
      { plan, references, push: false, registry, ...prepared },
      undefined,
      dockerHost(plan, {
        env: engine.env,
      }),
    ).then(
      () => assert.fail("the build should fail"),
      (e: unknown) => e as Error,
    );
    return { message: err.message, file };
  }

  it("a RUN that fails in the production stage: environment, stage, line, instruction, exit code, last lines, log file", async () => {
    const { message, file } = await publishFailure(
      [
        "FROM multistage-local/busybox:1 AS build",
        `RUN echo built-${Date.now()} > /out`,
        "",
        "FROM multistage-local/busybox:1 AS production",
        "COPY --from=build /out /out",
        'RUN echo "checking the config" && ls /etc/app.conf && \\',
        "    echo never",
        "",
      ].join("\n"),
      "production",
    );
    console.log(message.replace(/^/gm, "      "));
    const lines = message.split("\n");
    assert.equal(
      lines[0],
      `build of environment "production" failed in stage "production" at ${file}:6: RUN echo "checking the config" && ls /etc/app.conf &&     echo never`,
    );
    assert.equal(lines[1], "exited with code 1");
    assert.deepEqual(lines.slice(2, 5), [
      "its last 2 lines:",
      "  | checking the config",
      "  | ls: /etc/app.conf: No such file or directory",
    ]);
    const log = fs.readFileSync(/The whole build log: (.*)$/.exec(message)?.[1] ?? "", "utf8");
    assert.match(log, /\[production 3\/3\] RUN echo "checking the config"/);
    assert.doesNotMatch(message, /sha256:[0-9a-f]{64}/, "none of BuildKit's raw stream in the message");
  });

  it("a failing test stage: the test gate says where", async () => {
    const { message, file } = await publishFailure(
      [
        "FROM multistage-local/busybox:1 AS build",
        `RUN echo built-${Date.now()} > /out`,
        "FROM build AS test",
        "RUN echo '1 failed, 3 passed' && exit 3",
        "FROM multistage-local/busybox:1 AS production",
        "COPY --from=build /out /out",
        "",
      ].join("\n"),
      "production",
    );
    assert.match(
      message,
      new RegExp(
        `^test gate of environment "production" failed in stage "test" at ${file}:4: RUN echo '1 failed, 3 passed' && exit 3\nexited with code 3\nits last line:\n  \\| 1 failed, 3 passed\n`,
      ),
    );
  });
});
