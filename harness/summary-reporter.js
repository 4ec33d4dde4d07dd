// Ends the run with one plain line, "Tests: N passed, N failed[, N skipped]", that CI and people can read at a glance.
// It is also written to .data/last-test-summary.txt so that .ci/run can repeat it as the very last line of its output.
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `Tests: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
    process.stderr.write(`\n${line}\n`);
    const dataDir = path.join(__dirname, '..', '.data');
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'last-test-summary.txt'), `${line}\n`);
  }
}
module.exports = SummaryReporter;
