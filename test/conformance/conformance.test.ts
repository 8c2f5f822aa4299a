/**
 * The model against BuildKit's own Dockerfile-frontend tests (../shared/conformance/buildkit):
 * every case is run and reported in a table per category (pass / crash / false error /
 * missed error / wrong). A case listed in ./differences.ts must still differ (so the list,
 * and the README's "Differences from BuildKit" made from it, stay true); every other case
 * must pass; nothing may crash.
 */
import { strict as assert } from "assert";
import { DIFFERENCES } from "./differences";
import { dataAvailable, instructionCases, parserCases, shellCases, stageCases } from "./data";
import {
  type Outcome,
  type Result,
  evaluateInstruction,
  evaluateParser,
  evaluateShell,
  evaluateStage,
} from "./evaluate";

const OUTCOMES: Outcome[] = ["pass", "crash", "false error", "missed error", "wrong"];

/** The table the suite prints: one row per category. */
export function conformanceTable(results: readonly Result[]): string {
  const categories = [...new Set(results.map((r) => r.category))];
  const rows = categories.map((category) => {
    const own = results.filter((r) => r.category === category);
    const count = (o: Outcome): number => own.filter((r) => r.outcome === o).length;
    const pct = ((100 * count("pass")) / own.length).toFixed(0);
    return `| ${category} | ${own.length} | ${OUTCOMES.map(count).join(" | ")} | ${pct} % |`;
  });
  const total = results.filter((r) => r.outcome === "pass").length;
  return [
    `| category | cases | ${OUTCOMES.join(" | ")} | passed |`,
    `| --- | --- | ${OUTCOMES.map(() => "---").join(" | ")} | --- |`,
    ...rows,
    `| **all** | **${results.length}** | ${OUTCOMES.map((o) => `**${results.filter((r) => r.outcome === o).length}**`).join(" | ")} | **${((100 * total) / results.length).toFixed(0)} %** |`,
  ].join("\n");
}

export function runConformance(): Result[] {
  return [
    ...parserCases().map(evaluateParser),
    ...instructionCases().map(evaluateInstruction),
    ...shellCases().map(evaluateShell),
    ...stageCases().map(evaluateStage),
  ];
}

describe("Conformance with BuildKit's Dockerfile frontend tests", function () {
  if (!dataAvailable()) {
    it("SKIPPED (conformance): no data at ../shared/conformance/buildkit");
    return;
  }
  const results = runConformance();
  after(() => {
    console.log(`\n${conformanceTable(results)}\n`);
    if (process.env.CONFORMANCE_VERBOSE)
      for (const r of results.filter((x) => x.outcome !== "pass"))
        console.log(`  ${r.outcome}: [${r.category}] ${r.id}: ${r.detail ?? ""}`);
  });

  it("crashes on no case", () => {
    const crashed = results.filter((r) => r.outcome === "crash");
    assert.deepEqual(
      crashed.map((r) => `${r.id}: ${r.detail?.split("\n")[0]}`),
      [],
    );
  });

  it("passes every case but the listed differences, and each listed difference still differs", () => {
    const unexpected = results.filter((r) => r.outcome !== "pass" && !Object.hasOwn(DIFFERENCES, r.id));
    assert.deepEqual(
      unexpected.map((r) => `${r.outcome}: [${r.category}] ${r.id}: ${r.detail}`),
      [],
      "cases that differ from BuildKit without a listed reason",
    );
    const ids = new Set(results.map((r) => r.id));
    const stale = Object.keys(DIFFERENCES).filter(
      (id) => !ids.has(id) || results.find((r) => r.id === id)?.outcome === "pass",
    );
    assert.deepEqual(stale, [], "listed differences that now agree with BuildKit (or no longer exist)");
  });

  it("passes at least 95 % of the cases of every category", () => {
    const categories = [...new Set(results.map((r) => r.category))];
    const below = categories.flatMap((category) => {
      const own = results.filter((r) => r.category === category);
      const rate = own.filter((r) => r.outcome === "pass").length / own.length;
      return rate < 0.95 ? [`${category}: ${(100 * rate).toFixed(0)} %`] : [];
    });
    assert.deepEqual(below, []);
  });
});
