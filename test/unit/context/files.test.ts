import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MultiStageError } from "../../../src/plan";
import { MAX_DOCKERFILE_BYTES, readDockerfile } from "../../../src/context";

function problem(read: () => unknown): [string, string | undefined, string] {
  try {
    read();
  } catch (err) {
    if (!(err instanceof MultiStageError)) throw err;
    const [d] = err.diagnostics;
    return [d.code, d.property, d.message];
  }
  throw new Error("expected a MultiStageError");
}

describe("readDockerfile", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "multistage-files-"));

  it("reads and parses the context's Dockerfile", () => {
    fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM busybox:1.36 AS app\n");
    assert.deepEqual(
      readDockerfile({ context: dir }).model.stages.map((s) => s.name),
      ["app"],
    );
  });

  it("refuses a missing context, a missing Dockerfile and a directory, naming the property", () => {
    assert.deepEqual(
      problem(() => readDockerfile({ context: path.join(dir, "nope") })),
      ["missing-context", "context", "the build context does not exist."],
    );
    assert.deepEqual(
      problem(() => readDockerfile({ context: dir, dockerfile: path.join(dir, "Other") })),
      ["missing-dockerfile", "dockerfile", "the Dockerfile does not exist."],
    );
    assert.deepEqual(
      problem(() => readDockerfile({ context: dir, dockerfile: dir })),
      ["invalid-dockerfile", "dockerfile", "the Dockerfile is a directory."],
    );
  });

  it("a Latin-1 byte in a comment is read, as BuildKit reads it; in an instruction it is refused at its line", () => {
    const latin1 = path.join(dir, "Latin1");
    fs.writeFileSync(
      latin1,
      Buffer.concat([Buffer.from("# author: Jos"), Buffer.from([0xe9]), Buffer.from("\nFROM busybox:1.36 AS app\n")]),
    );
    assert.deepEqual(
      readDockerfile({ context: dir, dockerfile: latin1 }).model.stages.map((s) => s.name),
      ["app"],
    );
    fs.writeFileSync(
      latin1,
      Buffer.concat([Buffer.from("FROM busybox:1.36\nLABEL author=Jos"), Buffer.from([0xe9]), Buffer.from("\n")]),
    );
    assert.deepEqual(
      problem(() => readDockerfile({ context: dir, dockerfile: latin1 })),
      [
        "invalid-dockerfile",
        "dockerfile",
        "holds bytes that are not UTF-8 in an instruction (in a comment they would do no harm).",
      ],
    );
  });

  it("never reads a FIFO or a device (which would hang), nor an oversized file", () => {
    const fifo = path.join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    assert.equal(
      problem(() => readDockerfile({ context: dir, dockerfile: fifo }))[2],
      "the Dockerfile is not a regular file.",
    );
    assert.equal(
      problem(() => readDockerfile({ context: dir, dockerfile: "/dev/zero" }))[2],
      "the Dockerfile is not a regular file.",
    );
    const big = path.join(dir, "Big");
    fs.writeFileSync(big, Buffer.alloc(MAX_DOCKERFILE_BYTES + 1, "#"));
    assert.match(problem(() => readDockerfile({ context: dir, dockerfile: big }))[2], /more than the 4194304 read/);
  });
});
