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
 * One process on SQLite by default. With `queue`, the same n8n in queue mode, as n8n's scaling docs
 * describe it: PostgreSQL, Redis and nginx in front (stack/queueInfrastructure.cjs), main (editor,
 * API, test webhooks), webhook processes (production webhooks and forms) and a worker (every
 * production execution): what `npm run dev -- --queue` and test/e2e/queue.test.ts run.
 *
 * Every server runs as its own process group (n8n with its task runner), so stop() (or this process
 * exiting) ends all of it and nothing is left behind.
 */
const fs = require('node:fs');
const path = require('node:path');

const n8n = require('./stack/n8n.cjs');
const processes = require('./stack/processes.cjs');
const { startQueueInfrastructure, webhookNames, QUEUE_EXAMPLES_DIR } = require('./stack/queueInfrastructure.cjs');

const { CREDENTIAL, OWNER, ROOT, ensureRuntime, findNode, importIntoN8n, installPackage, n8nEnv, n8nMajor, readExamples, sandboxCredential, setupOwner, triggerAnswers } = n8n;
const { StackError, freePort, freePortPair, http, portIsFree, startProcess, waitUntil } = processes;

/** What each n8n process runs. */
const COMMANDS = { main: ['start'], worker: ['worker'] };
const commandOf = (name) => COMMANDS[name] ?? ['webhook'];

/**
 * One process: n8n on the port asked for (5678) and its task runner broker on the next; the sandbox
 * on 4010. Refuses ports that are taken, naming what they were for.
 */
async function singleProcessLayout(options, host) {
	const { userFolder, n8nPort = 5678, sandboxPort = 4010 } = options;
	if (!userFolder) throw new StackError('startStack needs a userFolder');
	for (const [what, port] of [
		['n8n', n8nPort],
		["n8n's task runner broker", n8nPort + 1],
		['the sandbox', sandboxPort],
	]) {
		if (port !== 0 && !(await portIsFree(port, host))) {
			throw new StackError(`port ${port} on ${host} (for ${what}) is taken: is another npm run dev or n8n running?`);
		}
	}
	return {
		names: ['main'],
		ports: { main: n8nPort },
		sandboxPort,
		n8nUrl: `http://${host}:${n8nPort}`,
		dataDir: userFolder,
		userFolders: { main: userFolder },
		examples: readExamples(),
	};
}

/** Queue mode: ports asked for (checked) or free ones; every n8n process needs its port + 1 too. */
async function queueLayout(options, host) {
	const { dataDir = path.join(ROOT, '.n8n-runtime', 'queue'), webhookProcesses = 2 } = options;
	if (!Number.isInteger(webhookProcesses) || webhookProcesses < 1) throw new StackError(`webhookProcesses must be a whole number of at least 1, not ${webhookProcesses}`);
	const webhooks = webhookNames(webhookProcesses);
	const taken = new Set();
	const pair = async (what, wanted) => {
		if (wanted) {
			for (const p of [wanted, wanted + 1]) {
				if (!(await portIsFree(p, host))) throw new StackError(`port ${p} on ${host} (for ${what}) is taken`);
			}
		}
		const port = wanted || (await freePortPair(host, taken));
		taken.add(port).add(port + 1);
		return port;
	};
	const single = async (what, wanted) => {
		if (wanted && !(await portIsFree(wanted, host))) throw new StackError(`port ${wanted} on ${host} (for ${what}) is taken`);
		let port = wanted;
		while (!port || (!wanted && taken.has(port))) port = await freePort(host);
		taken.add(port);
		return port;
	};
	const ports = {};
	ports.main = await pair('n8n main', options.mainPort);
	for (const [i, name] of webhooks.entries()) ports[name] = await pair(`n8n webhook process ${i + 1}`, options.webhookPorts?.[i]);
	ports.worker = await pair('the n8n worker', options.workerPort);
	ports.proxy = await single('nginx', options.proxyPort);
	ports.postgres = await single('PostgreSQL', options.postgresPort);
	ports.redis = await single('Redis', options.redisPort);
	const names = ['main', ...webhooks, 'worker'];
	return {
		names,
		webhooks,
		ports,
		sandboxPort: options.sandboxPort ?? 0,
		n8nUrl: `http://${host}:${ports.proxy}`,
		dataDir,
		userFolders: Object.fromEntries(names.map((name) => [name, path.join(dataDir, 'n8n', name)])),
		examples: [...readExamples().filter(({ file }) => file === 'checkout.json'), ...readExamples(QUEUE_EXAMPLES_DIR)],
	};
}

/**
 * Starts the sandbox and n8n. Options:
 *   userFolder   n8n's N8N_USER_FOLDER (required for one process); fresh: true empties it first
 *   n8nVersion   which n8n (default: the runtime's, 2.x; '1.123.81' for 1.x), installed on first use
 *   install      'link' (default) or 'pack': how the package gets into n8n (see installPackage)
 *   host         127.0.0.1; n8nPort 5678; sandboxPort 4010 (0: any free port)
 *   configureSandbox(config)  changes the sandbox config before it starts (tests: short retries)
 *   log(line)    progress; onN8nOutput(chunk, processName) n8n's own output as it comes
 *   logLevel     n8n's (info); readyTimeoutMs how long n8n may take to answer
 *   n8nEnv       extra environment for every n8n process (benchmarks: execution saving settings, ...)
 *   nodeArgs     extra Node flags for the n8n processes (benchmarks: --cpu-prof, ...)
 *   queue        true: queue mode, with these further options (free ports unless given):
 *     dataDir (default .n8n-runtime/queue; fresh: true empties it), webhookProcesses (2),
 *     proxyBalance 'signature' (nginx hashes on X-CatalystPay-Signature) or 'round-robin',
 *     proxyPort, mainPort, webhookPorts: [a, b, ...], workerPort, postgresPort, redisPort
 * The stack's restart() stops n8n (every process) and starts it again on the same data, as an
 * operator restarting n8n would; the sandbox (and in queue mode PostgreSQL, Redis, nginx) keep running.
 */
async function startStack(options = {}) {
	const {
		n8nVersion,
		fresh = true,
		install = 'link',
		host = '127.0.0.1',
		configureSandbox = () => {},
		log = () => {},
		onN8nOutput = () => {},
		logLevel = 'info',
		n8nEnv: extraEnv = {},
		nodeArgs = [],
		queue = false,
		proxyBalance = 'signature',
	} = options;
	const readyTimeoutMs = options.readyTimeoutMs ?? (queue ? 240000 : 120000);
	if (queue && !['signature', 'round-robin'].includes(proxyBalance)) throw new StackError(`proxyBalance must be 'signature' or 'round-robin', not ${proxyBalance}`);
	const timings = {};
	const started = Date.now();
	const mark = (name, since) => (timings[name] = Date.now() - since);

	let t = Date.now();
	const runtime = ensureRuntime({ n8nVersion });
	mark('runtime', t);

	const layout = queue ? await queueLayout(options, host) : await singleProcessLayout(options, host);
	const { names, ports, n8nUrl, userFolders, examples } = layout;
	const urlOf = (name) => `http://${host}:${ports[name]}`;
	const trigger = findNode(examples, 'n8n-nodes-catalystpay.catalystPayTrigger');
	const form = findNode(examples, 'n8n-nodes-base.formTrigger');
	if (!trigger || !form) throw new StackError('the examples need a workflow with a CatalystPay Trigger and one with a Form Trigger');
	const webhookPath = `/webhook/${trigger.node.webhookId}/webhook`;
	const webhookUrl = `${n8nUrl}${webhookPath}`;
	const formUrl = `${n8nUrl}/form/${form.node.parameters.options?.path ?? form.node.webhookId}`;
	// The checkout example's form nodes are version 2.5, which n8n 1.x does not have (its stop at 2.3):
	// on 1.x that example is imported but left inactive, and there is no checkout form.
	const checkoutForm = n8nMajor(runtime) >= 2;

	if (fresh) fs.rmSync(layout.dataDir, { recursive: true, force: true });
	fs.mkdirSync(layout.dataDir, { recursive: true });

	const procs = {};
	let infrastructure;
	let sandbox;
	const stopN8n = async ({ crash = false } = {}) => {
		const t0 = Date.now();
		const took = {};
		const stopOne = async (name, timeoutMs) => {
			const t1 = Date.now();
			await procs[name]?.stop({ timeoutMs, log, crash });
			took[name] = Date.now() - t1;
		};
		// Webhook processes first (no new executions), then the worker (finishes what it runs), then main.
		await Promise.all((layout.webhooks ?? []).map((name) => stopOne(name)));
		if (queue) await stopOne('worker', 40000);
		await stopOne('main');
		timings.lastStop = Date.now() - t0;
		for (const [name, ms] of Object.entries(took)) timings[`lastStop_${name}`] = ms;
		if (queue) log(`n8n processes stopped in ${((Date.now() - t0) / 1000).toFixed(1)} s ${JSON.stringify(took)} (ms)`);
	};
	const stop = async () => {
		await stopN8n();
		await sandbox?.close();
		await infrastructure?.stop();
	};

	try {
		// 1. In queue mode, PostgreSQL, Redis and nginx.
		if (queue) {
			infrastructure = await startQueueInfrastructure({ dataDir: layout.dataDir, host, ports, webhooks: layout.webhooks, proxyBalance, n8nUrl, runtime, log, mark });
		}
		const infrastructureProcs = Object.values(infrastructure?.procs ?? {});

		// 2. The sandbox, in this process, sending its webhooks to the trigger's production URL.
		t = Date.now();
		const sandboxLib = require(path.join(ROOT, 'sandbox', 'dist', 'index.js'));
		const sandboxConfig = sandboxLib.defaultConfig();
		sandboxConfig.host = host;
		sandboxConfig.port = layout.sandboxPort;
		sandboxConfig.campaigns[0].webhook.url = webhookUrl;
		configureSandbox(sandboxConfig);
		sandbox = await sandboxLib.startSandbox(sandboxConfig, (line) => log(`[sandbox] ${line}`));
		mark('sandbox', t);

		// 3. A user folder per n8n process, each with the package; packed once, copied to the others.
		t = Date.now();
		for (const [i, name] of names.entries()) {
			const folder = userFolders[name];
			fs.mkdirSync(folder, { recursive: true });
			if (i === 0 || install === 'link') {
				installPackage(folder, install, log);
			} else {
				const to = path.join(folder, '.n8n', 'nodes');
				fs.rmSync(to, { recursive: true, force: true });
				fs.cpSync(path.join(userFolders.main, '.n8n', 'nodes'), to, { recursive: true });
			}
		}
		mark('install', t);

		const envFor = (name) => ({
			...n8nEnv(runtime, { userFolder: userFolders[name], host, port: ports[name], logLevel }),
			...(infrastructure ? infrastructure.n8nEnv(name) : {}),
			...extraEnv,
		});

		// 4. Credentials and workflows into n8n's database, published, before any n8n process starts.
		t = Date.now();
		await importIntoN8n(
			runtime,
			envFor('main'),
			{
				importDir: path.join(userFolders.main, 'import'),
				credentials: [sandboxCredential(sandboxConfig, sandbox), ...(infrastructure ? [infrastructure.credential] : [])],
				workflows: examples,
				inactive: checkoutForm ? [] : [form.workflow.id],
			},
			log,
		);
		mark('import', t);

		// 5. The n8n processes. Output is kept per process, and in one list with the process's name.
		const outputs = Object.fromEntries(names.map((name) => [name, []]));
		const combined = [];
		const spawnN8n = (name) => {
			procs[name] = startProcess({
				name: queue ? `n8n ${name}` : 'n8n',
				command: runtime.nodeBin,
				args: [...nodeArgs, runtime.n8nBin, ...commandOf(name)],
				cwd: userFolders[name],
				env: envFor(name),
				onOutput: (text) => {
					outputs[name].push(text);
					combined.push(text.replace(/^(?=.)/gm, `[${name}] `));
					onN8nOutput(text, name);
				},
			});
		};
		/** Resolves once the process answers: main and the worker their readiness, a webhook process the trigger. */
		const processReady = (name, wait) =>
			name === 'main' || name === 'worker'
				? waitUntil(`n8n ${name} /healthz/readiness`, async () => (await http(`${urlOf(name)}/healthz/readiness`, { timeoutMs: 2000 })).status === 200, wait)
				: waitUntil(`the CatalystPay Trigger webhook on ${name}`, () => triggerAnswers(`${urlOf(name)}${webhookPath}`), wait);
		const startN8n = async () => {
			const t0 = Date.now();
			const deadline = t0 + readyTimeoutMs;
			// Main first: it registers the published workflows' webhooks in the database.
			spawnN8n('main');
			await processReady('main', { deadline, procs: [procs.main, ...infrastructureProcs] });
			const mainReady = Date.now() - t0;
			const others = names.filter((name) => name !== 'main');
			for (const name of others) spawnN8n(name);
			const all = [...names.map((name) => procs[name]), ...infrastructureProcs];
			await Promise.all(others.map((name) => processReady(name, { deadline, procs: all })));
			// Where users reach it (nginx in queue mode): a live webhook stops answering 404, and the form.
			await waitUntil('the CatalystPay Trigger webhook', () => triggerAnswers(webhookUrl), { deadline, procs: all });
			if (checkoutForm) await waitUntil('the checkout form', async () => (await http(formUrl, { timeoutMs: 5000 })).status === 200, { deadline, procs: all });
			return { mainReady, ready: Date.now() - t0 };
		};

		t = Date.now();
		log(
			`starting n8n ${runtime.n8nVersion} (Node ${runtime.nodeVersion}) on ${n8nUrl}` +
				(queue ? ` in queue mode: main, ${layout.webhooks.length} webhook process${layout.webhooks.length === 1 ? '' : 'es'}, 1 worker` : ''),
		);
		const { mainReady } = await startN8n();
		timings.n8nMainReady = mainReady;
		mark('n8nReady', t);

		// 6. The owner account, so a person can log in and the tests can read executions.
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
			webhookPath,
			ports,
			sandbox,
			sandboxConfig,
			owner: { ...OWNER },
			credential: { ...CREDENTIAL },
			apiKey,
			workflows: { checkout: form.workflow, payments: trigger.workflow },
			userFolder: userFolders.main,
			userFolders,
			timings,
			rest,
			editor,
			api,
			http,
			/** n8n main's process group id. */
			get pid() {
				return procs.main.pid;
			},
			/** One process's output (main, webhook1..N, worker); without a name, all of it (in queue mode with [name] prefixes). */
			n8nOutput: (name) => (name ? outputs[name].join('') : queue ? combined.join('') : outputs.main.join('')),
			/** Each server's process group id, by name (main, webhook1..N, worker, postgres, redis, nginx). */
			processGroups: () =>
				Object.fromEntries([...Object.entries(procs), ...Object.entries(infrastructure?.procs ?? {})].map(([name, proc]) => [name, proc.pid])),
			/** The first process (n8n's or the infrastructure's) that has exited, or null. */
			hasExited: () => {
				const dead = [...Object.values(procs), ...infrastructureProcs].find((proc) => proc.exited !== null);
				return dead ? { ...dead.exited, name: dead.name } : null;
			},
			/**
			 * Stops every n8n process and starts them again (same data, database and encryption key);
			 * waits until webhooks answer again. crash: kill -9 of each process group instead of a
			 * graceful stop.
			 */
			async restart({ crash = false } = {}) {
				const t0 = Date.now();
				await stopN8n({ crash });
				const res = await startN8n();
				timings.lastRestart = Date.now() - t0;
				log(`n8n restarted  (${(timings.lastRestart / 1000).toFixed(1)} s; main ready after ${(res.mainReady / 1000).toFixed(1)} s)`);
			},
			/**
			 * kill -9 of one worker or webhook process (its whole group), as the OOM killer or a lost
			 * machine would end it, then the same process started again; resolves once it answers.
			 */
			async crash(name) {
				if (!procs[name] || name === 'main') throw new Error(`crash(): a worker or webhook process, not ${JSON.stringify(name)}`);
				const t0 = Date.now();
				await procs[name].stop({ log, crash: true });
				spawnN8n(name);
				await processReady(name, { deadline: Date.now() + readyTimeoutMs, procs: [procs[name], ...infrastructureProcs] });
				log(`n8n ${name} killed and started again  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
			},
			stop,
		};
		if (queue) {
			Object.assign(stack, {
				queueMode: true,
				mainUrl: urlOf('main'),
				webhookProcessUrls: layout.webhooks.map(urlOf),
				workerUrl: urlOf('worker'),
				proxyBalance,
				appDbCredential: { id: infrastructure.credential.id, name: infrastructure.credential.name, type: infrastructure.credential.type },
				dataDir: layout.dataDir,
				/** Runs a query on the app database (catalystpay_app) and returns its rows. */
				sql: infrastructure.sql,
			});
		}
		return stack;
	} catch (error) {
		await stop();
		throw error;
	}
}

module.exports = { ...n8n, ...processes, startStack };
