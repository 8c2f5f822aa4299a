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
    assert.throws(() => expandWord("${UNSET?}", scope), /UNSET: is not allowed to be unset/);
    assert.throws(() => expandWord("${EMPTY:?}", scope), /EMPTY: is not allowed to be empty/);
    assert.equal(expandWord("${EMPTY?}", scope), "");
  });

  it("refuses a malformed reference", () => {
    assert.throws(() => expandWord("${SET", scope), /missing '}'/);
    assert.throws(() => expandWord("${SET:%}", scope), /unsupported modifier \(:%\)/);
    assert.throws(() => expandWord("${}", scope), /bad substitution/);
    assert.throws(() => expandWord("'open", scope), /matching single-quote/);
  });

  it("pattern operators, as released Dockerfiles use them to pick stages per platform", () => {
    const platform = new Map([
      ["TARGETPLATFORM", "linux/arm64"],
      ["P", "/a/b/c.txt"],
    ]);
    assert.equal(expandWord("${TARGETPLATFORM#linux/}", platform), "arm64");
    assert.equal(expandWord("${P##*/}", platform), "c.txt");
    assert.equal(expandWord("${P%/*}", platform), "/a/b");
    assert.equal(expandWord("${P%%/*}", platform), "");
    assert.equal(expandWord("${P/\\//-}", platform), "-a/b/c.txt");
    assert.equal(expandWord("${P//\\//-}", platform), "-a-b-c.txt");
  });

  it("positional and special parameters are never set: they expand to empty", () => {
    assert.equal(expandWord("a$1b${2}c$@d", scope), "abcd");
    assert.equal(expandWord("${1:-one}", scope), "one");
  });

  it("honours another escape character", () => {
    assert.equal(expandWord("`$SET", scope, "`"), "$SET");
  });
});
