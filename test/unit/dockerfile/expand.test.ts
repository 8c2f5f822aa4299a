import { strict as assert } from "assert";
import { expandWord } from "../../../src/dockerfile";

describe("Word expansion", () => {
  const scope = new Map<string, string | undefined>([
    ["SET", "v"],
    ["EMPTY", ""],
  ]);
  const cases: Array<[string, string]> = [
    ["$SET", "v"],
    ["${SET}-x", "v-x"],
    ["${UNSET:-d}", "d"],
    ["${EMPTY:-d}", "d"],
    ["${EMPTY-d}", ""],
    ["${SET:+alt}", "alt"],
    ["${UNSET:+alt}", ""],
    ["node:${UNSET:-${SET}}", "node:v"],
  ];
  for (const [input, output] of cases) {
    it(`${input} → "${output}"`, () => assert.equal(expandWord(input, scope), output));
  }
  it("${UNSET:?msg} fails with the message", () => {
    assert.throws(() => expandWord("${UNSET:?set it}", scope), /UNSET: set it/);
  });
});
