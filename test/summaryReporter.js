// Ends a jest run with the plain "N passed, N failed" line that CI logs are read for, printed
// after jest's own summary so that it is the run's closing line.
const { writeSync } = require('node:fs');

class SummaryReporter {
	onRunComplete(_contexts, results) {
		const skipped = results.numPendingTests + results.numTodoTests;
		const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
		const line = `Tests: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
		process.once('exit', () => writeSync(2, line));
	}
}
module.exports = SummaryReporter;
