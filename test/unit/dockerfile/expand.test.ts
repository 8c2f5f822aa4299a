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
    ['"registry/app/base"', "registry/app/base"],
    ["'991'", "991"],
    ['node:"$SET"', "node:v"],
    ["'$SET'", "$SET"],
    ['"a\\"b"', 'a"b'],
    ["\\$SET", "$SET"],
    ["${UNSET-d}", "d"],
    ["${UNSET+alt}", ""],
    ["${EMPTY+alt}", "alt"],
    ["cost: $", "cost: $"],
  ];
  for (const [input, output] of cases) {
    it(`${input} → "${output}"`, () => assert.equal(expandWord(input, scope), output));
  }
  it("${UNSET:?msg} fails with the message (expanded); ${UNSET?} too; ${EMPTY?} does not", () => {
    assert.throws(() => expandWord("${UNSET:?set $SET}", scope), /UNSET: set v/);
    assert.throws(() => expandWord("${UNSET?}", scope), /UNSET: parameter not set/);
    assert.equal(expandWord("${EMPTY?}", scope), "");
  });

  it("refuses a malformed reference", () => {
    assert.throws(() => expandWord("${SET", scope), /missing "}"/);
    assert.throws(() => expandWord("${SET%}", scope), /unsupported modifier/);
  });

  it("honours another escape character", () => {
    assert.equal(expandWord("`$SET", scope, "`"), "$SET");
  });
});
