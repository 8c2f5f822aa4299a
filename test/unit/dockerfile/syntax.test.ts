/** BuildKit's syntax rules, beyond what its parser test files show (those run in test/conformance). */
import { strict as assert } from "assert";
import { dumpInstructions, parseDockerfile, parseSyntax } from "../../../src/dockerfile";

describe("Dockerfile syntax", () => {
  it("continuation lines keep their leading blanks; comments and blank lines inside are skipped", () => {
    assert.equal(dumpInstructions("RUN a \\\n  # a comment \\\n\n\tb \\\n c\n"), '(run "a \\tb  c")');
  });

  it("here-documents belong to their instruction, with their lines; <<- strips leading tabs", () => {
    const tree = parseSyntax('FROM busybox\nRUN <<EOF bash\necho $A\nEOF\nCOPY <<-"X" /x\n\tkeep $B\n\tX\nRUN true\n');
    const [, run, copy, last] = tree.nodes;
    assert.deepEqual([run.line, run.endLine, run.heredocs[0].content], [2, 4, "echo $A\n"]);
    assert.deepEqual(
      [copy.heredocs[0].quoted, copy.heredocs[0].chomp, copy.heredocs[0].content],
      [true, true, "\tkeep $B\n"],
    );
    assert.equal(last.line, 8);
    // The quoted body is not expanded: $B is no variable use; the unquoted one's $A is.
    const { model } = parseDockerfile('FROM busybox\nARG A\nRUN <<EOF\necho $A\nEOF\nCOPY <<"X" /x\n$B\nX\n');
    assert.deepEqual(
      model.stages[0].variables.map((v) => v.name),
      ["A"],
    );
  });

  it("the escape directive changes the continuation character; a second one, or a bad one, is refused", () => {
    assert.equal(dumpInstructions("# escape=`\nRUN a `\n b\n"), '(run "a  b")');
    assert.deepEqual(
      parseSyntax("# escape=`\n# escape=\\\nFROM x\n").errors.map((e) => e.message),
      ["only one escape parser directive can be used"],
    );
    assert.match(parseSyntax("# escape=x\nFROM x\n").errors[0].message, /invalid escape token 'x'/);
  });

  it("ARG a b=c declares two args; quotes stay in the written default", () => {
    const { model } = parseDockerfile('ARG a b="c d"\nFROM busybox\n');
    assert.deepEqual(
      model.globalArgs.map((a) => [a.name, a.defaultValue]),
      [
        ["a", undefined],
        ["b", '"c d"'],
      ],
    );
  });

  it("instruction checks: argument counts, unknown flags, ONBUILD triggers, SHELL form", () => {
    const codes = (text: string): string[] =>
      parseDockerfile(`FROM busybox\n${text}\n`).diagnostics.map((d) => d.message);
    assert.deepEqual(codes("WORKDIR"), ["WORKDIR requires exactly one argument."]);
    assert.deepEqual(codes("COPY --chmod=644 a"), [
      "COPY requires at least two arguments, but only one was provided. Destination could not be determined.",
    ]);
    assert.deepEqual(codes("RUN --mnt=type=cache true"), ["unknown flag: --mnt."]);
    assert.deepEqual(codes("ONBUILD ONBUILD RUN true"), ["Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed."]);
    assert.deepEqual(codes("SHELL /bin/bash -c"), ["SHELL requires the arguments to be in JSON form."]);
    assert.deepEqual(codes('SHELL ["/bin/bash", "-c"]\nCOPY --from=busybox:1.36 --chown=1 a b'), []);
  });
});
