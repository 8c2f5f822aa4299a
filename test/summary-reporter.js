"use strict";
// Mocha's spec output, then the skipped tests with their reasons, then one line
// "N passed, N failed, N skipped" that CI reads.
const Mocha = require("mocha");
const { EVENT_RUN_END, EVENT_TEST_PENDING } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const skipped = [];
    runner.on(EVENT_TEST_PENDING, (test) => {
      let reason = test.skipReason;
      for (let suite = test.parent; !reason && suite; suite = suite.parent) reason = suite.skipReason;
      skipped.push(`${test.fullTitle()}${reason ? ` — ${reason}` : ""}`);
    });
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures, pending } = this.stats;
      if (skipped.length) {
        console.log(`\nSkipped (${skipped.length}):`);
        for (const line of skipped) console.log(`  - ${line}`);
      }
      console.log(`\n${passes} passed, ${failures} failed, ${pending} skipped`);
    });
  }
}
module.exports = SummaryReporter;
