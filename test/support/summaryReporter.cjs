// Mocha's spec reporter, plus one closing line "N passed, N failed, N skipped"
// that CI reads as the run's result. With PULSE_TEST_FAILURES_FILE set (the
// extension runner sets it per window), each failed test is also appended
// there as one JSON line, so the runner can name it again at the very end of
// its output, where a CI log's tail shows it.
const { appendFileSync } = require('node:fs');
const Mocha = require('mocha');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const failuresFile = process.env.PULSE_TEST_FAILURES_FILE;
    if (failuresFile) {
      runner.on('fail', (test, error) => {
        const message = String(error && error.message ? error.message : error).split('\n')[0];
        appendFileSync(failuresFile, `${JSON.stringify({ title: test.fullTitle(), message })}\n`);
      });
    }
    runner.once('end', () => {
      const { passes, failures, pending } = runner.stats ?? this.stats;
      console.log(`${passes} passed, ${failures} failed, ${pending} skipped`);
    });
  }
}

module.exports = SummaryReporter;
