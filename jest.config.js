/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	// The end-to-end tier needs a running n8n: jest.e2e.config.js, npm run test:e2e.
	testPathIgnorePatterns: ['/node_modules/', '/test/e2e/'],
	// The sandbox imports the package's built signature core (sandbox/core, copied from dist/lib); under test it gets the sources,
	// so a change to lib/ is tested without a rebuild.
	moduleNameMapper: { '^(?:\\.\\./)+dist/lib/(.*)$': '<rootDir>/lib/$1', '^\\.\\./core/(signature|validate)$': '<rootDir>/lib/$1' },
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: 'test/tsconfig.json' }],
	},
	setupFiles: ['<rootDir>/test/setup-env.ts'],
	testTimeout: 30000,
	reporters: ['default', '<rootDir>/test/summaryReporter.js'],
};
