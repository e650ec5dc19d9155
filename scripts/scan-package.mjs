#!/usr/bin/env node
// Runs n8n's community-package scanner (@n8n/scan-community-package, what n8n runs before it verifies
// a package) on this package, locally.
//
// The published CLI only scans what is on the registry: it downloads the tarball and the GitHub
// source named by the package's npm provenance, so it cannot check an unpublished build. This runs
// the scanner's own analysis (its exported `analyzePackage`, with its own ESLint configuration) on
// the same two legs the CLI lints:
//   1. the sources, with the scanner's SOURCE_FILE_PATTERNS (package.json, nodes/ and credentials/);
//   2. the packed tarball (`npm pack`), its compiled **/*.js and its package.json.
// Any error fails the run (exit 1).
//
// The scanner is installed from the npm registry, pinned, into .n8n-runtime/scanner/. Its
// dependencies ask for TypeScript 7, whose API @typescript-eslint's parser cannot use yet, so an npm
// override pins TypeScript 5.9 (as this repository uses); n8n-workflow is its ESLint plugin's peer.
//
//   node scripts/scan-package.mjs            build, pack, scan
//   node scripts/scan-package.mjs --no-build scan the existing dist/ (pack still runs)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SCANNER_VERSION = '0.32.0';
const TYPESCRIPT_VERSION = '5.9.3';
const N8N_WORKFLOW_VERSION = '2.41.0';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = process.env.CATALYSTPAY_N8N_RUNTIME_DIR
	? path.join(path.resolve(process.env.CATALYSTPAY_N8N_RUNTIME_DIR), 'scanner')
	: path.join(ROOT, '.n8n-runtime', 'scanner');
const SCANNER_MODULE = path.join(CACHE, 'node_modules', '@n8n', 'scan-community-package', 'scanner', 'scanner.mjs');
const MARKER = path.join(CACHE, 'installed.json');

const log = (msg) => process.stderr.write(`[scan] ${msg}\n`);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function fail(msg) {
	log(`FAILED: ${msg}`);
	process.exit(1);
}

function run(cmd, args, cwd, { quiet = false } = {}) {
	log(`$ ${[cmd, ...args].join(' ')}${cwd === ROOT ? '' : `   (in ${path.relative(ROOT, cwd)})`}`);
	const res = spawnSync(cmd, args, { cwd, stdio: quiet ? 'pipe' : 'inherit', encoding: 'utf8' });
	if (res.error) fail(`could not run ${cmd}: ${res.error.message}`);
	if (res.status !== 0) {
		if (quiet) process.stderr.write(`${res.stdout ?? ''}${res.stderr ?? ''}`);
		fail(`${[cmd, ...args].join(' ')} exited with ${res.status ?? res.signal}`);
	}
	return res.stdout ?? '';
}

function ensureScanner() {
	const manifest = {
		name: 'catalystpay-scanner-runtime',
		private: true,
		description: 'n8n community-package scanner for scripts/scan-package.mjs',
		dependencies: {
			'@n8n/scan-community-package': SCANNER_VERSION,
			'n8n-workflow': N8N_WORKFLOW_VERSION,
		},
		overrides: { typescript: TYPESCRIPT_VERSION },
	};
	const wanted = JSON.stringify(manifest);
	try {
		if (fs.readFileSync(MARKER, 'utf8') === wanted && fs.existsSync(SCANNER_MODULE)) return;
	} catch {
		// not installed yet
	}
	log(`installing @n8n/scan-community-package@${SCANNER_VERSION} into ${path.relative(ROOT, CACHE)}/`);
	fs.rmSync(CACHE, { recursive: true, force: true });
	fs.mkdirSync(CACHE, { recursive: true });
	fs.writeFileSync(path.join(CACHE, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
	run(npm, ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], CACHE);
	const ts = JSON.parse(fs.readFileSync(path.join(CACHE, 'node_modules', 'typescript', 'package.json'), 'utf8'));
	if (ts.version !== TYPESCRIPT_VERSION) fail(`the scanner got TypeScript ${ts.version}, not ${TYPESCRIPT_VERSION}`);
	fs.writeFileSync(MARKER, wanted);
}

function packTarball(workDir) {
	const out = run(npm, ['pack', '--json', '--pack-destination', workDir], ROOT, { quiet: true });
	const info = JSON.parse(out.slice(out.indexOf('[')))[0];
	const tarball = path.join(workDir, info.filename);
	const dir = path.join(workDir, 'package');
	fs.mkdirSync(dir);
	run('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1'], workDir, { quiet: true });
	log(`packed ${info.filename}: ${info.entryCount} files, ${info.size} bytes`);
	return dir;
}

async function main() {
	const t0 = Date.now();
	if (!process.argv.includes('--no-build')) run(npm, ['run', 'build', '--silent'], ROOT);
	if (!fs.existsSync(path.join(ROOT, 'dist'))) fail('dist/ is missing: run npm run build');
	ensureScanner();

	const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalystpay-scan-'));
	try {
		const packageDir = packTarball(workDir);
		const { analyzePackage, SOURCE_FILE_PATTERNS } = await import(pathToFileURL(SCANNER_MODULE).href);
		// The scanner's console.error on an internal failure is fine: its result says "failed" as well.
		const legs = [
			{ name: 'sources', dir: ROOT, patterns: SOURCE_FILE_PATTERNS },
			{ name: 'packed tarball', dir: packageDir, patterns: ['**/*.js', 'package.json'] },
		];
		let passed = true;
		for (const leg of legs) {
			const result = await analyzePackage(leg.dir, leg.patterns);
			if (result.passed) {
				log(`✅ ${leg.name}: passed${result.message ? ` (${result.message})` : ''}`);
				if (result.message === 'No files found to analyze') {
					passed = false;
					log(`   but nothing was analysed in ${leg.dir}: that is an error here`);
				}
			} else {
				passed = false;
				log(`❌ ${leg.name}: ${result.message}`);
				if (result.details) process.stderr.write(`${result.details}\n`);
			}
		}
		log(`${passed ? 'passed' : 'FAILED'} in ${((Date.now() - t0) / 1000).toFixed(1)} s (scanner ${SCANNER_VERSION})`);
		process.exitCode = passed ? 0 : 1;
	} finally {
		fs.rmSync(workDir, { recursive: true, force: true });
	}
}

main().catch((err) => fail(err.stack ?? String(err)));
