import { strict as assert } from "assert";
import { scanVariables } from "../../../src/dockerfile/variables";

describe("Variable references", () => {
  it("finds bare and braced names with their modifiers, with or without a colon", () => {
    assert.deepEqual(scanVariables("$A ${B} ${C:-x} ${D-x} ${E:+y} ${F+y} ${G:?m} ${H?m}"), [
      { name: "A" },
      { name: "B" },
      { name: "C", modifier: "-" },
      { name: "D", modifier: "-" },
      { name: "E", modifier: "+" },
      { name: "F", modifier: "+" },
      { name: "G", modifier: "?" },
      { name: "H", modifier: "?" },
    ]);
  });

  it("skips escaped dollars, positional parameters, and words nested in a default", () => {
    assert.deepEqual(scanVariables("\\$NOT $1 $@ ${A:-${B}} $C"), [{ name: "A", modifier: "-" }, { name: "C" }]);
    assert.deepEqual(scanVariables("`$NOT` $YES", "`"), [{ name: "YES" }]);
  });

  it("keeps the name of a pattern form without calling it tolerant", () => {
    assert.deepEqual(scanVariables("${V#v} ${V%%.*} ${V/a/b}"), [{ name: "V" }, { name: "V" }, { name: "V" }]);
  });
});
