// ESLint flat config for n8n-nodes-catalystpay.
//
// What runs: the `recommended` config of @n8n/eslint-plugin-community-nodes, unmodified (no rule
// is turned off or down), plus core `no-console: error`, which both `n8n-node lint`
// (@n8n/node-cli) and the community-package scanner (@n8n/scan-community-package) add next to it.
//
// Where it runs: only on the code this package publishes, i.e. what ends up in dist/ and what the
// scanner reads:
//   - package.json: fifteen of the rules look only at package.json (name, version, author,
//     peerDependencies, the "n8n" block, lifecycle scripts, dead files, node registration, ...).
//     They walk the JSON as a TSESTree ObjectExpression, so it must be parsed with the
//     TypeScript parser, as node-cli does.
//   - nodes/ and credentials/ (.ts, .js, .json): the same globs the scanner lints in a source
//     checkout.
//   - index.ts and lib/ (lib/signature/: the pure signature core, kept free of n8n by the last block;
//     lib/transport/: the API client, its errors, retries and the credential): compiled into dist/, and the scanner also lints every dist/**/*.js of the
//     published tarball with these rules. lib/ therefore has to meet the same restrictions
//     (restricted imports and globals, dangerous functions, error wrapping).
// Tests, benchmarks, sandboxes and scripts are not published and are never scanned. They may use
// process.env, timers, fs and child_process freely, so the Cloud restrictions do not apply there.
// They are ignored below rather than linted with the rules turned off.
import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

const packageSources = [
	'package.json',
	'index.ts',
	'lib/**/*.ts',
	'nodes/**/*.{ts,js,json}',
	'credentials/**/*.{ts,js,json}',
];

export default defineConfig([
	globalIgnores([
		// build output, dependencies, coverage and local runtime data
		'dist/',
		'node_modules/',
		'coverage/',
		'.build/',
		'.n8n-runtime/',
		'.sandbox-data/',
		// non-package code (see above)
		'test/',
		'bench/',
		'sandbox/',
		'scripts/',
		// repo tooling at the root (jest/gulp/eslint configs): never published
		'*.{js,cjs,mjs}',
	]),
	{
		files: packageSources,
		extends: [n8nCommunityNodesPlugin.configs.recommended],
		languageOptions: {
			// No type information is needed: none of the plugin's rules use parserServices.
			parser: tseslint.parser,
			parserOptions: {
				// package.json (and node codex .json files) are parsed as a JSON expression.
				extraFileExtensions: ['.json'],
			},
		},
		linterOptions: {
			// The scanner lints with allowInlineConfig: false, so an eslint-disable comment would
			// silence a rule here and still fail the scan. Ignore such comments here as well.
			noInlineConfig: true,
		},
		rules: {
			'no-console': 'error',
		},
	},
	{
		// The signature core is pure: the trigger, the sandbox (which runs without n8n) and the package's
		// main export share it, so it may not reach into n8n or into the n8n transport.
		files: ['lib/signature/**/*.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{ group: ['n8n-workflow', 'n8n-core', 'n8n-workflow/*'], message: 'lib/signature/ is the pure signature core: no n8n import.' },
						{ group: ['../transport', '../transport/*', '../../nodes/*', '../../credentials/*'], message: 'lib/signature/ may not depend on the n8n transport or the nodes.' },
					],
				},
			],
		},
	},
]);
