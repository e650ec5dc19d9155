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

/** Installs (once) and returns the pinned runtime's paths; progress goes to stderr. */
function ensureRuntime() {
	const res = spawnSync(process.execPath, [path.join(__dirname, 'n8n-runtime.mjs'), '--json'], {
		cwd: ROOT,
		stdio: ['ignore', 'pipe', 'inherit'],
		encoding: 'utf8',
	});
	if (res.status !== 0) throw new StackError('could not install the n8n runtime (see the messages above)');
	return JSON.parse(res.stdout.trim().split('\n').pop());
}

function readExamples() {
	return fs
		.readdirSync(EXAMPLES_DIR)
		.filter((file) => file.endsWith('.json'))
		.sort()
		.map((file) => ({ file, workflow: JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, file), 'utf8')) }));
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
		// Its start-up refresh asks api.n8n.io for MCP servers: nothing to do with this package.
		N8N_DISABLED_MODULES: 'mcp-registry',
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

/**
 * Starts the sandbox and n8n. Options:
 *   userFolder   n8n's N8N_USER_FOLDER (required); fresh: true empties it first
 *   install      'link' (default) or 'pack': how the package gets into n8n (see installPackage)
 *   host         127.0.0.1; n8nPort 5678; sandboxPort 4010 (0: any free port)
 *   configureSandbox(config)  changes the sandbox config before it starts (tests: short retries)
 *   log(line)    progress; onN8nOutput(chunk) n8n's own output as it comes
 *   n8nEnv       extra environment for n8n (benchmarks: execution saving settings, ...)
 *   nodeArgs     extra Node flags for the n8n process (benchmarks: --cpu-prof, ...)
 */
async function startStack(options) {
	const {
		userFolder,
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
	const runtime = ensureRuntime();
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

	// 1. The sandbox, in this process, sending its webhooks to the trigger's production URL.
	t = Date.now();
	const sandboxLib = require(path.join(ROOT, 'sandbox', 'dist', 'sandbox', 'src', 'index.js'));
	const sandboxConfig = sandboxLib.defaultConfig();
	sandboxConfig.host = host;
	sandboxConfig.port = sandboxPort;
	sandboxConfig.campaigns[0].webhook.url = webhookUrl;
	configureSandbox(sandboxConfig);
	const sandbox = await sandboxLib.startSandbox(sandboxConfig, (line) => log(`[sandbox] ${line}`));
	mark('sandbox', t);

	let child;
	let exited = null;
	const output = [];
	const killGroup = (signal) => {
		if (child && exited === null) {
			try {
				process.kill(-child.pid, signal);
			} catch {
				// already gone
			}
		}
	};
	const onExit = () => killGroup('SIGKILL');
	process.on('exit', onExit);

	const stop = async () => {
		process.removeListener('exit', onExit);
		if (child && exited === null) {
			killGroup('SIGTERM');
			const deadline = Date.now() + 15000;
			while (exited === null && Date.now() < deadline) await sleep(100);
			if (exited === null) {
				log('n8n did not stop within 15 s: killing it');
				killGroup('SIGKILL');
				while (exited === null) await sleep(50);
			}
		}
		// Its task runner shares the group; make sure nothing of the group is left.
		if (child) {
			try {
				process.kill(-child.pid, 'SIGKILL');
			} catch {
				// nothing left
			}
		}
		await sandbox.close();
	};

	try {
		// 2. The user folder: the package linked in, the credential and the examples imported and published.
		t = Date.now();
		if (fresh) fs.rmSync(userFolder, { recursive: true, force: true });
		fs.mkdirSync(userFolder, { recursive: true });
		installPackage(userFolder, install, log);
		const env = { ...n8nEnv(runtime, { userFolder, host, port: n8nPort, logLevel }), ...extraEnv };
		const importDir = path.join(userFolder, 'import');
		fs.rmSync(importDir, { recursive: true, force: true });
		fs.mkdirSync(path.join(importDir, 'workflows'), { recursive: true });
		const credentials = [
			{
				...CREDENTIAL,
				data: {
					apiKey: sandboxConfig.apiKey,
					signingSecret: sandboxConfig.signingSecret,
					previousSigningSecret: '',
					baseUrl: sandbox.url,
				},
			},
		];
		fs.writeFileSync(path.join(importDir, 'credentials.json'), JSON.stringify(credentials, null, 2));
		for (const { file, workflow } of examples) {
			fs.writeFileSync(path.join(importDir, 'workflows', file), JSON.stringify(workflow, null, 2));
		}
		runN8nCli(runtime, env, ['import:credentials', `--input=${path.join(importDir, 'credentials.json')}`], log);
		runN8nCli(runtime, env, ['import:workflow', '--separate', `--input=${path.join(importDir, 'workflows')}`], log);
		for (const { workflow } of examples) {
			runN8nCli(runtime, env, ['publish:workflow', `--id=${workflow.id}`], log);
		}
		// The imported secrets are in n8n's database (encrypted) now; no plain copy stays behind.
		fs.rmSync(importDir, { recursive: true, force: true });
		mark('import', t);

		// 3. n8n itself, as its own process group.
		t = Date.now();
		log(`starting n8n ${runtime.n8nVersion} (Node ${runtime.nodeVersion}) on ${n8nUrl}`);
		child = spawn(runtime.nodeBin, [...nodeArgs, runtime.n8nBin, 'start'], {
			cwd: userFolder,
			env,
			detached: true,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		child.on('exit', (code, signal) => {
			exited = { code, signal };
		});
		const collect = (chunk) => {
			const text = chunk.toString();
			output.push(text);
			onN8nOutput(text);
		};
		child.stdout.on('data', collect);
		child.stderr.on('data', collect);

		const deadline = Date.now() + readyTimeoutMs;
		const waitFor = async (what, check) => {
			for (;;) {
				if (exited !== null) {
					throw new StackError(
						`n8n exited (${exited.signal ?? `code ${exited.code}`}) while waiting for ${what}. Its output:\n${output.join('').slice(-6000)}`,
					);
				}
				try {
					if (await check()) return;
				} catch {
					// not answering yet
				}
				if (Date.now() > deadline) {
					throw new StackError(`n8n was not ready (${what}) after ${readyTimeoutMs / 1000} s. Its output:\n${output.join('').slice(-6000)}`);
				}
				await sleep(150);
			}
		};
		await waitFor('/healthz/readiness', async () => (await http(`${n8nUrl}/healthz/readiness`, { timeoutMs: 2000 })).status === 200);
		mark('n8nHealthy', t);
		// /healthz answers before webhooks are registered: a live webhook stops answering 404. An
		// unsigned empty POST is refused by the trigger (401) and starts nothing.
		await waitFor('the CatalystPay Trigger webhook', async () => {
			const res = await http(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs: 5000 });
			return res.status !== 404;
		});
		await waitFor('the checkout form', async () => (await http(formUrl, { timeoutMs: 5000 })).status === 200);
		mark('n8nReady', t);

		// 4. The owner account, so a person can log in and the tests can read executions.
		t = Date.now();
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
		mark('owner', t);
		timings.total = Date.now() - started;

		/** n8n's public API (/api/v1), with the API key. */
		const api = async (route, init = {}) => {
			const r = await http(`${n8nUrl}/api/v1${route}`, {
				...init,
				headers: { accept: 'application/json', 'x-n8n-api-key': apiKey, ...(init.headers ?? {}) },
			});
			if (r.status !== 200) throw new StackError(`GET /api/v1${route}: ${r.status} ${r.text}`);
			return r.json;
		};

		return {
			runtime,
			n8nUrl,
			formUrl,
			webhookUrl,
			sandbox,
			sandboxConfig,
			owner: { ...OWNER },
			credential: { ...CREDENTIAL },
			apiKey,
			workflows: { checkout: form.workflow, payments: trigger.workflow },
			userFolder,
			timings,
			pid: child.pid,
			rest,
			editor,
			api,
			http,
			n8nOutput: () => output.join(''),
			hasExited: () => exited,
			stop,
		};
	} catch (error) {
		await stop();
		throw error;
	}
}

module.exports = { startStack, ensureRuntime, StackError, CREDENTIAL, OWNER, ROOT, EXAMPLES_DIR, http };
