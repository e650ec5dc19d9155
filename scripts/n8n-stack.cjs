'use strict';
/**
 * The CatalystPay sandbox plus a real n8n (the pinned runtime from scripts/n8n-runtime.mjs) with this
 * package loaded, the sandbox credential imported and the example workflows published: what
 * `npm run dev` runs for a person and what the end-to-end tests run against.
 *
 *   const stack = await startStack({ userFolder, fresh: true });
 *   ... stack.formUrl, stack.webhookUrl, stack.api('/executions?includeData=true'), ...
 *   await stack.stop();
 *
 * n8n runs as its own process group (with its task runner), so stop() (or this process exiting)
 * ends all of it and nothing is left behind.
 */
const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
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

class StackError extends Error {}

/**
 * Installs (once) and returns the pinned runtime's paths; progress goes to stderr. n8nVersion: the
 * runtime's default (2.x) unless given, e.g. '1.123.81'.
 */
function ensureRuntime({ n8nVersion } = {}) {
	const args = [path.join(__dirname, 'n8n-runtime.mjs'), '--json', ...(n8nVersion ? ['--n8n', n8nVersion] : [])];
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

function portIsFree(port, host) {
	return new Promise((resolve) => {
		const server = net.createServer();
		server.once('error', () => resolve(false));
		server.listen(port, host, () => server.close(() => resolve(true)));
	});
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One HTTP call with fetch; never throws on a status, only on no answer. */
async function http(url, { method = 'GET', headers = {}, body, redirect = 'manual', timeoutMs = 15000 } = {}) {
	const res = await fetch(url, {
		method,
		headers,
		body,
		redirect,
		signal: AbortSignal.timeout(timeoutMs),
	});
	const text = await res.text();
	let json;
	try {
		json = text === '' ? undefined : JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: res.status, headers: res.headers, text, json };
}

/** Runs one n8n CLI command (import, publish) to completion. */
function runN8nCli(runtime, env, args, log) {
	const t0 = Date.now();
	const res = spawnSync(runtime.nodeBin, [runtime.n8nBin, ...args], {
		cwd: ROOT,
		env,
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'pipe'],
		timeout: 180000,
	});
	const output = `${res.stdout ?? ''}${res.stderr ?? ''}`;
	if (res.status !== 0) {
		throw new StackError(`n8n ${args.join(' ')} failed (${res.error?.message ?? `exit ${res.status ?? res.signal}`}):\n${output}`);
	}
	log(`n8n ${args.join(' ')}  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
	return output;
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

/** A free TCP port on host (the system picks it). */
function freePort(host = '127.0.0.1') {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, host, () => {
			const { port } = server.address();
			server.close(() => resolve(port));
		});
	});
}

/** A port p with p+1 free as well (an n8n process's task runner broker takes the next one). */
async function freePortPair(host = '127.0.0.1', avoid = new Set()) {
	for (let i = 0; i < 200; i++) {
		const port = 20000 + Math.floor(Math.random() * 20000);
		if (avoid.has(port) || avoid.has(port + 1)) continue;
		if ((await portIsFree(port, host)) && (await portIsFree(port + 1, host))) return port;
	}
	throw new StackError(`no free pair of ports on ${host}`);
}

const SETPRIV = process.platform === 'linux' ? ['/usr/bin/setpriv', '/bin/setpriv'].find((file) => fs.existsSync(file)) : undefined;

/**
 * Processes this module started and that are still running: the exit hook ends them if the caller
 * exits without stop() (a crash, process.exit in a signal handler, a jest worker ending).
 */
const liveProcesses = new Set();
process.on('exit', () => {
	for (const proc of liveProcesses) proc.kill(proc.exitSignal);
});

/**
 * Starts one server as its own process group (n8n's task runner, postgres's backends and nginx's
 * workers share it), collecting its output. stop() sends stopSignal to the process (or to the whole
 * group), waits for it to exit, and kills whatever is left of the group.
 *   exitSignal   sent to the group by the exit hook (SIGKILL unless the server cleans up better)
 */
function startProcess({ name, command, args, cwd, env, uid, gid, onOutput = () => {}, stopSignal = 'SIGTERM', exitSignal = 'SIGKILL' }) {
	// If this process dies without running its exit hook (SIGKILL, an unhandled signal), the kernel
	// sends the server its stop signal: util-linux's setpriv sets the parent-death signal, then execs it.
	if (SETPRIV) {
		args = ['--pdeathsig', stopSignal, '--', command, ...args];
		command = SETPRIV;
	}
	const child = spawn(command, args, {
		cwd,
		env,
		uid,
		gid,
		detached: true,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	const proc = {
		name,
		child,
		pid: child.pid,
		output: [],
		exited: null,
		exitSignal,
		kill(signal) {
			try {
				process.kill(-child.pid, signal);
			} catch {
				// already gone
			}
		},
		/** The last lines of its output, for an error message. */
		tail(chars = 6000) {
			return proc.output.join('').slice(-chars);
		},
		/** crash: SIGKILL at once, as the OOM killer or a power cut would end it (nothing of it runs after). */
		async stop({ timeoutMs = 15000, log = () => {}, crash = false } = {}) {
			if (proc.exited === null) {
				proc.kill(crash ? 'SIGKILL' : stopSignal);
				const deadline = Date.now() + timeoutMs;
				while (proc.exited === null && Date.now() < deadline) await sleep(100);
				if (proc.exited === null) {
					log(`${name} did not stop within ${timeoutMs / 1000} s: killing it`);
					proc.kill('SIGKILL');
					while (proc.exited === null) await sleep(50);
				}
			}
			// Whatever else is in its group (a task runner, a backend) goes too.
			proc.kill('SIGKILL');
			liveProcesses.delete(proc);
		},
	};
	liveProcesses.add(proc);
	child.on('exit', (code, signal) => {
		proc.exited = { code, signal };
	});
	child.on('error', (error) => {
		proc.output.push(`${name}: ${error.message}\n`);
		if (proc.exited === null) proc.exited = { code: null, signal: null, error: error.message };
	});
	const collect = (chunk) => {
		const text = chunk.toString();
		proc.output.push(text);
		onOutput(text);
	};
	child.stdout.on('data', collect);
	child.stderr.on('data', collect);
	return proc;
}

/**
 * Polls check() until it returns true, failing early (with the process's output) if one of procs
 * exits, and at deadline (a Date.now() value).
 */
async function waitUntil(what, check, { deadline, procs = [], intervalMs = 150 }) {
	for (;;) {
		const dead = procs.find((proc) => proc.exited !== null);
		if (dead) {
			throw new StackError(
				`${dead.name} exited (${dead.exited.signal ?? `code ${dead.exited.code}`}) while waiting for ${what}. Its output:\n${dead.tail()}`,
			);
		}
		try {
			if (await check()) return;
		} catch {
			// not answering yet
		}
		if (Date.now() > deadline) {
			const outputs = procs.map((proc) => `--- ${proc.name} ---\n${proc.tail(3000)}`).join('\n');
			throw new StackError(`not ready (${what}) after waiting. Output:\n${outputs}`);
		}
		await sleep(intervalMs);
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
function importIntoN8n(runtime, env, { importDir, credentials, workflows, inactive = [] }, log) {
	for (const { file, workflow } of workflows) {
		// `n8n import:workflow` keeps the id as it is, but n8n saves a workflow's static data (the
		// trigger's memory of deliveries) only for ids of at most 21 characters (isWorkflowIdValid).
		if (typeof workflow.id !== 'string' || !/^[A-Za-z0-9]{1,21}$/.test(workflow.id)) {
			throw new StackError(`${file}: the workflow id ${JSON.stringify(workflow.id)} must be 1 to 21 letters or digits, or n8n never saves its static data`);
		}
	}
	fs.rmSync(importDir, { recursive: true, force: true });
	fs.mkdirSync(path.join(importDir, 'workflows'), { recursive: true });
	try {
		fs.writeFileSync(path.join(importDir, 'credentials.json'), JSON.stringify(credentials, null, 2));
		for (const { file, workflow } of workflows) {
			fs.writeFileSync(path.join(importDir, 'workflows', file), JSON.stringify(workflow, null, 2));
		}
		runN8nCli(runtime, env, ['import:credentials', `--input=${path.join(importDir, 'credentials.json')}`], log);
		runN8nCli(runtime, env, ['import:workflow', '--separate', `--input=${path.join(importDir, 'workflows')}`], log);
		for (const { workflow } of workflows) {
			if (inactive.includes(workflow.id)) continue;
			const activate = n8nMajor(runtime) >= 2 ? ['publish:workflow', `--id=${workflow.id}`] : ['update:workflow', `--id=${workflow.id}`, '--active=true'];
			runN8nCli(runtime, env, activate, log);
		}
	} finally {
		// The imported secrets are in n8n's database (encrypted) now; no plain copy stays behind.
		fs.rmSync(importDir, { recursive: true, force: true });
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

/**
 * Starts the sandbox and n8n. Options:
 *   userFolder   n8n's N8N_USER_FOLDER (required); fresh: true empties it first
 *   n8nVersion   which n8n (default: the runtime's, 2.x; '1.123.81' for 1.x), installed on first use
 *   install      'link' (default) or 'pack': how the package gets into n8n (see installPackage)
 *   host         127.0.0.1; n8nPort 5678; sandboxPort 4010 (0: any free port)
 *   configureSandbox(config)  changes the sandbox config before it starts (tests: short retries)
 *   log(line)    progress; onN8nOutput(chunk) n8n's own output as it comes
 *   n8nEnv       extra environment for n8n (benchmarks: execution saving settings, ...)
 *   nodeArgs     extra Node flags for the n8n process (benchmarks: --cpu-prof, ...)
 * The stack's restart() stops n8n and starts it again on the same user folder (and SQLite
 * database), as an operator restarting n8n would; the sandbox keeps running.
 */
async function startStack(options) {
	const {
		userFolder,
		n8nVersion,
		fresh = true,
		install = 'link',
		host = '127.0.0.1',
		n8nPort = 5678,
		sandboxPort = 4010,
		configureSandbox = () => {},
		log = () => {},
		onN8nOutput = () => {},
		logLevel = 'info',
		readyTimeoutMs = 120000,
		n8nEnv: extraEnv = {},
		nodeArgs = [],
	} = options;
	if (!userFolder) throw new StackError('startStack needs a userFolder');
	const timings = {};
	const started = Date.now();
	const mark = (name, since) => (timings[name] = Date.now() - since);

	let t = Date.now();
	const runtime = ensureRuntime({ n8nVersion });
	mark('runtime', t);

	for (const [what, port] of [
		['n8n', n8nPort],
		["n8n's task runner broker", n8nPort + 1],
		['the sandbox', sandboxPort],
	]) {
		if (port !== 0 && !(await portIsFree(port, host))) {
			throw new StackError(`port ${port} on ${host} (for ${what}) is taken: is another npm run dev or n8n running?`);
		}
	}

	const examples = readExamples();
	const trigger = findNode(examples, 'n8n-nodes-catalystpay.catalystPayTrigger');
	const form = findNode(examples, 'n8n-nodes-base.formTrigger');
	if (!trigger || !form) throw new StackError(`examples/ needs a workflow with a CatalystPay Trigger and one with a Form Trigger`);
	const n8nUrl = `http://${host}:${n8nPort}`;
	const webhookUrl = `${n8nUrl}/webhook/${trigger.node.webhookId}/webhook`;
	const formUrl = `${n8nUrl}/form/${form.node.parameters.options?.path ?? form.node.webhookId}`;
	// The checkout example's form nodes are version 2.5, which n8n 1.x does not have (its stop at 2.3):
	// on 1.x that example is imported but left inactive, and there is no checkout form.
	const checkoutForm = n8nMajor(runtime) >= 2;

	// 1. The sandbox, in this process, sending its webhooks to the trigger's production URL.
	t = Date.now();
	const sandboxLib = require(path.join(ROOT, 'sandbox', 'dist', 'index.js'));
	const sandboxConfig = sandboxLib.defaultConfig();
	sandboxConfig.host = host;
	sandboxConfig.port = sandboxPort;
	sandboxConfig.campaigns[0].webhook.url = webhookUrl;
	configureSandbox(sandboxConfig);
	const sandbox = await sandboxLib.startSandbox(sandboxConfig, (line) => log(`[sandbox] ${line}`));
	mark('sandbox', t);

	let n8n;
	// Everything n8n printed, over restarts.
	const output = [];

	const stopN8n = async ({ crash = false } = {}) => {
		if (n8n) await n8n.stop({ log, crash });
	};
	const stop = async () => {
		await stopN8n();
		await sandbox.close();
	};

	let env;
	/** Starts n8n on the prepared user folder and waits until its webhooks and form answer. */
	const startN8n = async () => {
		log(`starting n8n ${runtime.n8nVersion} (Node ${runtime.nodeVersion}) on ${n8nUrl}`);
		n8n = startProcess({
			name: 'n8n',
			command: runtime.nodeBin,
			args: [...nodeArgs, runtime.n8nBin, 'start'],
			cwd: userFolder,
			env,
			onOutput: (text) => {
				output.push(text);
				onN8nOutput(text);
			},
		});
		const wait = { deadline: Date.now() + readyTimeoutMs, procs: [n8n] };
		const t0 = Date.now();
		await waitUntil('/healthz/readiness', async () => (await http(`${n8nUrl}/healthz/readiness`, { timeoutMs: 2000 })).status === 200, wait);
		const healthy = Date.now() - t0;
		// /healthz answers before webhooks are registered: a live webhook stops answering 404.
		await waitUntil('the CatalystPay Trigger webhook', () => triggerAnswers(webhookUrl), wait);
		if (checkoutForm) await waitUntil('the checkout form', async () => (await http(formUrl, { timeoutMs: 5000 })).status === 200, wait);
		return { healthy, ready: Date.now() - t0 };
	};

	try {
		// 2. The user folder: the package linked in, the credential and the examples imported and published.
		t = Date.now();
		if (fresh) fs.rmSync(userFolder, { recursive: true, force: true });
		fs.mkdirSync(userFolder, { recursive: true });
		installPackage(userFolder, install, log);
		env = { ...n8nEnv(runtime, { userFolder, host, port: n8nPort, logLevel }), ...extraEnv };
		importIntoN8n(
			runtime,
			env,
			{
				importDir: path.join(userFolder, 'import'),
				credentials: [sandboxCredential(sandboxConfig, sandbox)],
				workflows: examples,
				inactive: checkoutForm ? [] : [form.workflow.id],
			},
			log,
		);
		mark('import', t);

		// 3. n8n itself, as its own process group.
		t = Date.now();
		const { healthy } = await startN8n();
		timings.n8nHealthy = healthy;
		mark('n8nReady', t);

		// 4. The owner account, so a person can log in and the tests can read executions.
		t = Date.now();
		const { rest, editor, api, apiKey } = await setupOwner(n8nUrl);
		mark('owner', t);
		timings.total = Date.now() - started;

		const stack = {
			runtime,
			n8nUrl,
			formUrl,
			checkoutForm,
			webhookUrl,
			sandbox,
			sandboxConfig,
			owner: { ...OWNER },
			credential: { ...CREDENTIAL },
			apiKey,
			workflows: { checkout: form.workflow, payments: trigger.workflow },
			userFolder,
			timings,
			pid: n8n.pid,
			rest,
			editor,
			api,
			http,
			n8nOutput: () => output.join(''),
			hasExited: () => n8n.exited,
			/**
			 * Stops n8n and starts it again (same user folder, database and encryption key); the sandbox
			 * keeps running. crash: kill -9 of n8n's process group instead of a graceful stop.
			 */
			async restart({ crash = false } = {}) {
				const t0 = Date.now();
				await stopN8n({ crash });
				await startN8n();
				stack.pid = n8n.pid;
				timings.lastRestart = Date.now() - t0;
				log(`n8n restarted  (${(timings.lastRestart / 1000).toFixed(1)} s)`);
			},
			stop,
		};
		return stack;
	} catch (error) {
		await stop();
		throw error;
	}
}

module.exports = {
	startStack,
	ensureRuntime,
	StackError,
	CREDENTIAL,
	OWNER,
	ROOT,
	EXAMPLES_DIR,
	PACKAGE_NAME,
	http,
	sleep,
	portIsFree,
	freePort,
	freePortPair,
	readExamples,
	findNode,
	runN8nCli,
	n8nEnv,
	installPackage,
	startProcess,
	waitUntil,
	sandboxCredential,
	importIntoN8n,
	setupOwner,
	triggerAnswers,
};
