/**
 * End-to-end tests (npm run test:e2e): a real n8n (the pinned runtime in .n8n-runtime/, installed on
 * first use) with this package, the sandbox and a headless Chromium. Nothing is mocked. One n8n per
 * test file, files one after another.
 * @type {import('jest').Config}
 */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test/e2e'],
	testMatch: ['**/*.test.ts'],
	// The sandbox imports the package's built signature core (sandbox/core, copied from dist/lib); under test it gets the sources,
	// so a change to lib/ is tested without a rebuild.
	moduleNameMapper: { '^(?:\\.\\./)+dist/lib/(.*)$': '<rootDir>/lib/$1', '^\\.\\./core/(signature|validate)$': '<rootDir>/lib/$1' },
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: 'test/tsconfig.json' }],
	},
	maxWorkers: 1,
	// Per test; beforeAll also installs the runtime on a machine that has none (about 4 minutes).
	testTimeout: 120000,
	slowTestThreshold: 60,
	reporters: ['default', '<rootDir>/test/summaryReporter.js'],
};
