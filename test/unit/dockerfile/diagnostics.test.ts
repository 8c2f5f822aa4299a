import { strict as assert } from "assert";
import { MultiStageError, formatDiagnostic } from "../../../src/dockerfile";

describe("Diagnostics", () => {
  it("gathers several errors into one MultiStageError message", () => {
    const err = new MultiStageError([
      { severity: "error", code: "missing-arg", file: "Dockerfile", line: 3, message: "a." },
      { severity: "warning", code: "unknown-arg", message: "w." },
      { severity: "error", code: "cycle", file: "Dockerfile", line: 5, stage: "x", message: "b." },
    ]);
    assert.equal(err.message, '2 problems:\n  - Dockerfile:3: a.\n  - Dockerfile:5: stage "x": b.');
  });

  it("formats property, file, line, stage, message and hint in one style", () => {
    assert.equal(
      formatDiagnostic({
        severity: "error",
        code: "unknown-target",
        property: "environments.production.target",
        file: "app/Dockerfile",
        line: 4,
        stage: "web",
        message: "m.",
        hint: "h.",
      }),
      'environments.production.target: app/Dockerfile:4: stage "web": m. h.',
    );
    assert.equal(
      formatDiagnostic(
        { severity: "error", code: "invalid-tag", property: "tags[0]", message: "m." },
        { withProperty: false },
      ),
      "m.",
    );
  });
});
