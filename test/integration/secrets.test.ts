/**
 * Build secrets with the real engine: the RUN sees the value, and after the build it is in
 * no layer, not in the image config or history, and not left on disk by the executor.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { planBuildFromFiles } from "../../src";
import { type Engine, requireEngine } from "./engine";

const SECRET = "build-secret-value-3f9a1c";

describe("Integration: build secrets", function () {
  this.timeout(300000);
  let engine: Engine;
  before(function () {
    engine = requireEngine(this);
  });

  it("a secret mounted by RUN is used, then found in no layer, config, history or leftover file", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-secret-build-"));
    fs.writeFileSync(
      path.join(dir, "Dockerfile"),
      [
        "FROM multistage-local/busybox:1 AS build",
        "RUN --mount=type=secret,id=TOKEN,required=true sha256sum /run/secrets/TOKEN | cut -d' ' -f1 > /token.sha256",
        "FROM multistage-local/busybox:1",
        "COPY --from=build /token.sha256 /token.sha256",
        "",
      ].join("\n"),
    );
    const plan = {
      ...planBuildFromFiles({ context: dir, environment: "staging", secrets: ["TOKEN"] }),
      tags: ["secret"],
    };
    const built = await engine.executor.build(plan, "multistage-tests/secrets", {
      secrets: { TOKEN: SECRET },
      noCache: true,
    });
    const seen = (await engine.executor.runImage(built.imageId, ["cat", "/token.sha256"])).trim();
    assert.equal(seen, crypto.createHash("sha256").update(SECRET).digest("hex"), "the RUN read the secret");

    const tar = path.join(dir, "image.tar");
    await engine.executor.run(["save", "--output", tar, built.imageId], { quiet: true });
    const archive = fs.readFileSync(tar);
    // Layers are tar files inside the archive (uncompressed by docker save): search the raw bytes.
    assert.equal(archive.indexOf(Buffer.from(SECRET)), -1, "the secret is in the saved image");
    const inspect = await engine.executor.run(["image", "inspect", built.imageId], { quiet: true });
    const history = await engine.executor.run(["history", "--no-trunc", built.imageId], { quiet: true });
    assert.ok(!inspect.includes(SECRET) && !history.includes(SECRET), "the secret is in the config or history");
    assert.ok(!built.log.includes(SECRET), "the secret is in the build log");
    // grep exits 1 when nothing matches.
    const leftovers = (() => {
      try {
        return execFileSync("grep", ["-rl", SECRET, engine.executor.configDir], { encoding: "utf8" }).trim();
      } catch {
        return "";
      }
    })();
    assert.equal(leftovers, "", "the executor left the secret on disk");
  });
});
