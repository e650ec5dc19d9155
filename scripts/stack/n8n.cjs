'use strict';
/**
 * n8n itself, for the dev and test stacks: the pinned runtime, the environment it runs in, this
 * package installed as a user installs it, credentials and workflows imported and published, and the
 * owner account with an API key.
 */
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const { StackError, http, run } = require('./processes.cjs');

const ROOT = path.resolve(__dirname, '..', '..');
const EXAMPLES_DIR = path.join(ROOT, 'examples');
const PACKAGE_NAME = 'n8n-nodes-catalystpay';

/** The credential the examples refer to, by id. */
const CREDENTIAL = { id: 'catalystpaySandbox01', name: 'CatalystPay Sandbox', type: 'catalystPayApi' };

/** A throwaway local account for a throwaway local n8n. */
const OWNER = {
	email: 'dev@catalystpay.example',
	firstName: 'Local',
	lastName: 'Developer',
	password: 'CatalystPay-dev-1',
};

// n8n binds its auth cookie to a browser id sent in this header; scripts send a fixed one.
const BROWSER_ID = 'catalystpay-stack';

/**
 * Installs (once) and returns the pinned runtime's paths; progress goes to stderr. n8nVersion: the
 * runtime's default (2.x) unless given, e.g. '1.123.81'.
 */
function ensureRuntime({ n8nVersion } = {}) {
	const args = [path.join(ROOT, 'scripts', 'n8n-runtime.mjs'), '--json', ...(n8nVersion ? ['--n8n', n8nVersion] : [])];
	const res = spawnSync(process.execPath, args, {
		cwd: ROOT,
		stdio: ['ignore', 'pipe', 'inherit'],
		encoding: 'utf8',
	});
	if (res.status !== 0) throw new StackError('could not install the n8n runtime (see the messages above)');
	return JSON.parse(res.stdout.trim().split('\n').pop());
}

/** The major version of the runtime's n8n (1 or 2), where the two differ. */
function n8nMajor(runtime) {
	return Number(runtime.n8nVersion.split('.')[0]);
}

/** The example workflows directly in a folder (examples/ by default; not its subfolders). */
function readExamples(dir = EXAMPLES_DIR) {
	return fs
		.readdirSync(dir, { withFileTypes: true })
		.filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
		.map((entry) => entry.name)
		.sort()
		.map((file) => ({ file, workflow: JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) }));
}

function findNode(workflows, type) {
	for (const { workflow } of workflows) {
		const node = workflow.nodes.find((n) => n.type === type);
		if (node) return { workflow, node };
	}
	return undefined;
}

/** Runs one n8n CLI command (import, publish) to completion. */
async function runN8nCli(runtime, env, args, log) {
	const t0 = Date.now();
	await run(runtime.nodeBin, [runtime.n8nBin, ...args], { cwd: ROOT, env, timeout: 180000 });
	log(`n8n ${args.join(' ')}  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

/**
 * The environment n8n runs in: loopback only, SQLite in the throwaway user folder, nothing phoned
 * home, no banners.
 */
function n8nEnv(runtime, { userFolder, host, port, logLevel }) {
	const env = {};
	// Keep the caller's basics (PATH, HOME, locale, proxies) but none of its n8n or Node settings:
	// a jest worker, for one, sets N8N_USER_FOLDER and NODE_OPTIONS of its own.
	for (const [name, value] of Object.entries(process.env)) {
		if (/^(N8N_|DB_|EXECUTIONS_|WEBHOOK_URL$|NODE_OPTIONS$|NODE_ENV$|npm_|JEST_|GENERIC_TIMEZONE$)/i.test(name)) continue;
		env[name] = value;
	}
	const base = `http://${host}:${port}/`;
	Object.assign(env, {
		PATH: `${path.dirname(runtime.nodeBin)}${path.delimiter}${process.env.PATH ?? ''}`,
		N8N_USER_FOLDER: userFolder,
		DB_TYPE: 'sqlite',
		N8N_HOST: host,
		N8N_PORT: String(port),
		N8N_PROTOCOL: 'http',
		N8N_LISTEN_ADDRESS: host,
		N8N_WEBHOOK_URL: base,
		N8N_EDITOR_BASE_URL: base,
		// Plain http on loopback: without this the browser drops n8n's login cookie.
		N8N_SECURE_COOKIE: 'false',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_DYNAMIC_BANNERS_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_AI_ENABLED: 'false',
		// 2.x's start-up refresh asks api.n8n.io for MCP servers: nothing to do with this package. (1.x
		// has no such module, and refuses to start when told to disable one it does not know.)
		...(n8nMajor(runtime) >= 2 ? { N8N_DISABLED_MODULES: 'mcp-registry' } : {}),
		N8N_PUBLIC_API_SWAGGERUI_DISABLED: 'true',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
		// The task runner's broker has a port of its own: next to n8n's, so two stacks can coexist.
		N8N_RUNNERS_BROKER_PORT: String(port + 1),
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		N8N_LOG_LEVEL: logLevel,
		N8N_LOG_OUTPUT: 'console',
		GENERIC_TIMEZONE: 'UTC',
		// As n8n's own Docker image runs it (error answers carry no stack traces, and so on).
		NODE_ENV: 'production',
		// n8n calls the sandbox on loopback: never through a proxy.
		NO_PROXY: ['127.0.0.1', 'localhost', '::1', process.env.NO_PROXY].filter(Boolean).join(','),
		no_proxy: ['127.0.0.1', 'localhost', '::1', process.env.no_proxy].filter(Boolean).join(','),
	});
	return env;
}

/**
 * Puts this package where n8n finds community packages, $N8N_USER_FOLDER/.n8n/nodes/node_modules/<name>:
 *   'link'  a symlink to this checkout (npm run dev: rebuild and restart to see a change);
 *   'pack'  the tarball `npm pack` makes, unpacked: exactly the files a user installs (the tests).
 * Either way n8n puts its own modules on NODE_PATH, so the package's `require('n8n-workflow')`
 * resolves to n8n's copy when no node_modules above the package has one, as in a real install.
 */
function installPackage(userFolder, mode, log) {
	for (const file of ['dist/index.js', 'dist/nodes/CatalystPay/CatalystPay.node.js']) {
		if (!fs.existsSync(path.join(ROOT, file))) throw new StackError(`${file} is missing: run npm run build first`);
	}
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	const target = path.join(nodesDir, 'node_modules', PACKAGE_NAME);
	fs.mkdirSync(path.dirname(target), { recursive: true });
	fs.rmSync(target, { recursive: true, force: true });
	const manifest = path.join(nodesDir, 'package.json');
	if (!fs.existsSync(manifest)) {
		fs.writeFileSync(manifest, JSON.stringify({ name: 'installed-nodes', private: true }, null, 2) + '\n');
	}
	if (mode === 'link') {
		fs.symlinkSync(ROOT, target, 'dir');
		return;
	}
	if (mode !== 'pack') throw new StackError(`unknown install mode ${mode}`);
	const t0 = Date.now();
	const workDir = fs.mkdtempSync(path.join(userFolder, 'pack-'));
	try {
		// The project's .npmrc skips lifecycle scripts, so this packs dist/ as built (no prepack rebuild).
		const res = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['pack', '--json', '--pack-destination', workDir], {
			cwd: ROOT,
			encoding: 'utf8',
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		if (res.status !== 0) throw new StackError(`npm pack failed:\n${res.stdout}${res.stderr}`);
		const info = JSON.parse(res.stdout.slice(res.stdout.indexOf('[')))[0];
		fs.mkdirSync(target);
		const tar = spawnSync('tar', ['-xzf', path.join(workDir, info.filename), '-C', target, '--strip-components=1'], {
			encoding: 'utf8',
		});
		if (tar.status !== 0) throw new StackError(`could not unpack ${info.filename}: ${tar.stderr}`);
		log(`installed ${info.filename} (${info.entryCount} files) into the n8n user folder  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
	} finally {
		fs.rmSync(workDir, { recursive: true, force: true });
	}
}

/** The credential the examples use, for the sandbox. */
function sandboxCredential(sandboxConfig, sandbox) {
	return {
		...CREDENTIAL,
		data: {
			apiKey: sandboxConfig.apiKey,
			signingSecret: sandboxConfig.signingSecret,
			previousSigningSecret: '',
			environment: 'sandbox',
			sandboxUrl: sandbox.url,
		},
	};
}

/**
 * Imports credentials and workflows into the n8n that env points at (n8n's CLI), and publishes the
 * workflows but those whose ids are in `inactive` (n8n 1.x has no published versions: there they are
 * set active). The plain-text copy of the credentials is removed afterwards.
 */
async function importIntoN8n(runtime, env, { importDir, credentials, workflows, inactive = [] }, log) {
	for (const { file, workflow } of workflows) {
		// `n8n import:workflow` keeps the id as it is, but n8n saves a workflow's static data (the
		// trigger's memory of deliveries) only for ids of at most 21 characters (isWorkflowIdValid).
		if (typeof workflow.id !== 'string' || !/^[A-Za-z0-9]{1,21}$/.test(workflow.id)) {
			throw new StackError(`${file}: the workflow id ${JSON.stringify(workflow.id)} must be 1 to 21 letters or digits, or n8n never saves its static data`);
		}
	}
	// The plain-text credentials go, whatever happens: also when the caller exits mid-import (Ctrl-C).
	const removeImport = () => fs.rmSync(importDir, { recursive: true, force: true });
	removeImport();
	process.on('exit', removeImport);
	fs.mkdirSync(path.join(importDir, 'workflows'), { recursive: true });
	try {
		fs.writeFileSync(path.join(importDir, 'credentials.json'), JSON.stringify(credentials, null, 2));
		for (const { file, workflow } of workflows) {
			fs.writeFileSync(path.join(importDir, 'workflows', file), JSON.stringify(workflow, null, 2));
		}
		await runN8nCli(runtime, env, ['import:credentials', `--input=${path.join(importDir, 'credentials.json')}`], log);
		await runN8nCli(runtime, env, ['import:workflow', '--separate', `--input=${path.join(importDir, 'workflows')}`], log);
		for (const { workflow } of workflows) {
			if (inactive.includes(workflow.id)) continue;
			const activate = n8nMajor(runtime) >= 2 ? ['publish:workflow', `--id=${workflow.id}`] : ['update:workflow', `--id=${workflow.id}`, '--active=true'];
			await runN8nCli(runtime, env, activate, log);
		}
	} finally {
		// The imported secrets are in n8n's database (encrypted) now; no plain copy stays behind.
		process.off('exit', removeImport);
		removeImport();
	}
}

/**
 * Sets up n8n's owner (or logs in as it, for an n8n kept from an earlier run) and creates an API
 * key. Returns the callers the stacks hand out: rest()/editor() as the logged-in owner, api() with
 * the key.
 */
async function setupOwner(n8nUrl) {
	let cookie = '';
	/** A call to n8n's editor backend (the /rest API, /types/...) as the logged-in owner. */
	const editor = async (method, route, body) => {
		const res = await http(`${n8nUrl}${route}`, {
			method,
			headers: {
				'content-type': 'application/json',
				'browser-id': BROWSER_ID,
				...(cookie ? { cookie } : {}),
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const setCookie = res.headers.get('set-cookie');
		const auth = setCookie && /n8n-auth=[^;]+/.exec(setCookie);
		if (auth) cookie = auth[0];
		return res;
	};
	const rest = (method, route, body) => editor(method, `/rest${route}`, body);
	let res = await rest('POST', '/owner/setup', OWNER);
	if (res.status !== 200) {
		// An n8n kept from an earlier run (fresh: false) has its owner already.
		res = await rest('POST', '/login', { emailOrLdapLoginId: OWNER.email, password: OWNER.password });
	}
	if (res.status !== 200 || !cookie) throw new StackError(`could not set up or log in the n8n owner: ${res.status} ${res.text}`);

	const scopesRes = await rest('GET', '/api-keys/scopes');
	const scopes = (scopesRes.json?.data ?? []).filter((s) => /^(workflow|execution|credential):/.test(s));
	res = await rest('POST', '/api-keys', {
		label: `catalystpay ${crypto.randomBytes(3).toString('hex')}`,
		scopes: scopes.length ? scopes : ['execution:list', 'execution:read', 'workflow:list', 'workflow:read'],
		expiresAt: null,
	});
	const apiKey = res.json?.data?.rawApiKey ?? res.json?.data?.apiKey;
	if (res.status !== 200 || !apiKey) throw new StackError(`could not create an n8n API key: ${res.status} ${res.text}`);

	/** n8n's public API (/api/v1), with the API key. */
	const api = async (route, init = {}) => {
		const r = await http(`${n8nUrl}/api/v1${route}`, {
			...init,
			headers: { accept: 'application/json', 'x-n8n-api-key': apiKey, ...(init.headers ?? {}) },
		});
		if (r.status !== 200) throw new StackError(`GET /api/v1${route}: ${r.status} ${r.text}`);
		return r.json;
	};
	return { rest, editor, api, apiKey };
}

/** True once a POST to a CatalystPay Trigger's webhook URL is answered by the trigger (not n8n's 404). */
async function triggerAnswers(url) {
	// An unsigned empty POST is refused by the trigger (401) and starts nothing.
	const res = await http(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs: 5000 });
	return res.status !== 404 && res.status < 500;
}

module.exports = {
	ROOT,
	EXAMPLES_DIR,
	PACKAGE_NAME,
	CREDENTIAL,
	OWNER,
	ensureRuntime,
	n8nMajor,
	readExamples,
	findNode,
	runN8nCli,
	n8nEnv,
	installPackage,
	sandboxCredential,
	importIntoN8n,
	setupOwner,
	triggerAnswers,
};
