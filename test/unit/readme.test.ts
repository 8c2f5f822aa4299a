/**
 * The README's arguments table is generated from the field table and the doc comments
 * (`npm run readme`): it must be current, and what the table's columns say must be there.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { argumentsTable, fieldDocs, withArgumentsTable } from "../../scripts/readme";
import { COMPONENT_SPEC } from "../../src/component";
import { ENVIRONMENT_SPEC, type FieldTable } from "../../src/plan";
import { REPO_ROOT } from "../helpers";

describe("The README's arguments table", function () {
  this.timeout(120_000);
  const docs = fieldDocs();

  it("is the one generated from the field table and the doc comments (run `npm run readme` after changing them)", async () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    assert.equal(readme, await withArgumentsTable(readme, docs));
  });

  it("has a row for every field of MultiStageImageArgs, made from its doc comment and its columns", () => {
    const table = argumentsTable(docs);
    for (const name of Object.keys(COMPONENT_SPEC.fields)) assert.match(table, new RegExp(`^\\| \`${name}\` \\|`, "m"));
    // The columns: an environment's rule, the back ends, the builder a setting needs.
    assert.match(
      table,
      /\| `labels` \|.*`environments.<env>.labels` is merged over it, key by key\..*Back ends: `docker-cli`, `docker-build` \(refused on the others\)/,
    );
    assert.match(table, /\| `target` \|.*It wins over `environments.<env>.target`\./);
    assert.match(
      table,
      /\| `shmSize` \|.*Needs a `builder`: the Docker engine's own builder leaves \/dev\/shm at its default\./,
    );
    assert.match(table, /\| `buildArgs` \| `Input<Record<string, Input<string>>>` \| `\{\}` \|/);
    // A field without a doc comment has no row to make: the generation fails, naming it.
    const undocumented = new Map(docs);
    undocumented.set("pull", { text: "", required: false });
    assert.throws(() => argumentsTable(undocumented), /MultiStageImageArgs\.pull has no doc comment/);
  });

  it("says how each environment setting combines with the common arg of its name, for exactly those", () => {
    const common = Object.keys(COMPONENT_SPEC.fields);
    const wrong = Object.entries(ENVIRONMENT_SPEC.fields as FieldTable)
      .filter(([name, spec]) => common.includes(name) !== (spec.combines !== undefined))
      .map(([name, spec]) => `environments.<env>.${name}: combines ${spec.combines ?? "not declared"}`);
    assert.deepEqual(wrong, []);
  });
});
