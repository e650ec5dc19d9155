#!/usr/bin/env node
/**
 * Benchmark: creating payment sessions in bulk, the CatalystPay node against what a user would use
 * instead, n8n's own HTTP Request node, in one real n8n (the pinned 2.41.1 runtime with this package
 * installed from its packed tarball), against the sandbox with 50 ms added to every API answer.
 *
 * Why a real n8n and not n8n-core's engine in this process (test/helpers/n8nEngine.ts): what a request
 * costs a node depends on n8n's server, which that harness only imitates. In n8n a credential read is
 * a database query and a decryption (the harness copies an object), and every expression, the
 * credential's own `=Bearer {{...}}` included, runs in n8n 2.x's default `vm` expression engine (the
 * harness uses n8n-workflow's in-process evaluator). Both nodes also run here exactly as users run
 * them: the HTTP Request node with its Bearer Auth credential, ours from the tarball users install.
 * Time is n8n's own: the `executionTime` n8n saves for the node in the execution's run data. "n8n CPU
 * per item" is the n8n process's CPU time (all threads, /proc/<pid>/stat) from the webhook call to
 * the saved execution, over N: the node's work and n8n's around it (webhook, Split Out, saving).
 *
 * The workflows, one per contender and concurrency C, each started by POSTing the items to its
 * webhook: Webhook (respond at once) -> Split Out (one item per lead, {email}) -> "Create":
 *   catalystpay  the CatalystPay node, Create, Concurrency C, email `={{ $json.email }}`, the other
 *                fields fixed (Continue On Fail on, as in a bulk job)
 *   http         HTTP Request 4.5, POST /api/v1/payment-sessions/, Bearer Auth credential, JSON body
 *                written as users write it (a JSON template with {{ $json.email }}), Batching: items
 *                per batch C, interval 0, Continue On Fail on. The HTTP Request node never waits for
 *                a batch's answers: it only sleeps `interval` between batches while it starts each
 *                item's request, so with interval 0 (n8n: "0 for disabled") it starts every request
 *                as soon as it has built it and is not held to C; how many it has in flight depends
 *                on how fast it builds them (printed, as the sandbox counts them)
 *   paced        (diagnostic) the same with interval = the latency: C requests started per latency,
 *                about C in flight, the nearest the HTTP Request node comes to a concurrency of C
 * Items are measured at each count in ITEMS, contenders interleaved (the order rotates per
 * concurrency); each workflow runs once with 100 items first, unmeasured (warm-up).
 *
 * The ideal for N items at concurrency C is max(N x latency / C, N x the CPU one request costs inside
 * n8n's request helper). That CPU is measured in the same run by bench/request-cpu.cjs: a child
 * process on the runtime's Node, with n8n's environment, that calls n8n-core's `helpers.httpRequest`
 * (getRequestHelperFunctions, after n8n's start-up installGlobalProxyAgent) `--probe-requests` times,
 * 10 in flight, with the same JSON body and Bearer header, against a second sandbox with no added
 * latency running in this process, and divides its process.cpuUsage() by the count. It runs before
 * and after the measurements; the ideal uses the mean of the two. The same child process, pointed at
 * the 50 ms sandbox with C in flight, also gives "n8n's request helper alone": the wall time n8n's
 * request path needs on this machine with nothing around it, the floor for any node (printed for
 * each concurrency, scaled to N).
 *
 * Memory is the n8n process's (the sandboxes run here, in the benchmark's process):
 *   peak RSS     the kernel's high-water mark (VmHWM in /proc/<pid>/status), reset before each run
 *                by writing 5 to /proc/<pid>/clear_refs
 *   peak heap    the highest heapUsed over the timed run, sampled every 10 ms inside n8n by
 *                bench/memory-sampler.cjs (preloaded with --expose-gc); each run starts after a full
 *                collection, and "+x MB" is the peak above that start. It counts garbage not yet
 *                collected, so it says more about V8's collection schedule than about what is held.
 *   live heap    a memory pass after the timed runs, not timed: the smallest and the largest count
 *                again for the CatalystPay node and the HTTP Request node (batch interval 0), at the
 *                largest concurrency; when the sandbox has had requests for 90% of the items, n8n
 *                collects fully once (the sampler's "measure") and what is live above the run's
 *                start is taken: all inputs and 90% of the outputs held, the execution not yet being
 *                saved. Per item added from the smaller count to the larger, minus what the items
 *                themselves take at that point (each lead in the webhook's parsed body, its Split Out
 *                item, n8n's input item for the node, 0.9 of a created session's item; built and
 *                measured in this process, on this process's V8, with a full collection before and
 *                after), is what the node holds beyond the items. The CatalystPay node is measured
 *                twice: as in the timed runs, and with one fixed email (no expression), since n8n's
 *                expression engine holds on to what each evaluation made while the node runs. n8n's own passing heap (requests in flight, compiled code) moves
 *                each figure by about a MB, so 1,000 against 10,000 items resolves about 0.1-0.2 KB
 *                per item.
 *
 *   npm run bench                       (all benchmarks; builds first)
 *   node bench/run.mjs batch-create     (this one; run `npm run build:sandbox` first)
 *   node bench/batch-create.mjs [--items 1000,10000] [--concurrency 10,50] [--latency 50]
 *        [--probe-requests 2000] [--only catalystpay,http,paced] [--memory 0 (no memory pass)]
 *        [--expression-engine vm|legacy] [--n8n-cpu-prof DIR]
 * Figures are printed, never asserted: this is not a timed test. The exit code is non-zero only
 * when the benchmark could not run or the CatalystPay node lost an item.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { arg, sleep } from './common.mjs';
import { addWorkflow, publicApi } from './n8n-webhooks.mjs';
import { itemBytes } from './batch-create/itemBytes.mjs';
import { LABEL, line, mb, s, verdict } from './batch-create/print.mjs';
import { N8nMemory, nextExecution } from './batch-create/n8nProcess.mjs';
import { CAMPAIGN_ID, catalystPayCreate, httpRequestCreate, workflow } from './batch-create/workflows.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const require = createRequire(import.meta.url);
const { startStack, freePortPair, n8nEnv } = require(join(ROOT, 'scripts', 'n8n-stack.cjs'));
const sandboxLib = require(join(ROOT, 'sandbox', 'dist', 'index.js'));

const textArg = (name) => {
	const at = process.argv.indexOf(`--${name}`);
	return at >= 0 ? process.argv[at + 1] : undefined;
};
const listArg = (name, fallback) => textArg(name)?.split(',').map(Number) ?? fallback;

const ITEMS = listArg('items', [1000, 10000]).sort((a, b) => a - b);
const CONCURRENCY = listArg('concurrency', [10, 50]);
const LATENCY = arg('latency', 50);
const PROBE_REQUESTS = arg('probe-requests', 2000);
const WARMUP_ITEMS = 100;
const CONTENDERS = textArg('only')?.split(',') ?? ['catalystpay', 'http', 'paced'];
const CPU_PROF_DIR = textArg('n8n-cpu-prof');
const MEMORY_PASS = arg('memory', 1) !== 0;
const SETTLE_MS = 8000;
const EXPRESSION_ENGINE = textArg('expression-engine');
const MEMORY_CONCURRENCY = Math.max(...CONCURRENCY);
const FLOOR_REQUESTS = Math.min(ITEMS[0], 1000);

// ------------------------------------------------------------------------------------------------
// The ideal's CPU per request
// ------------------------------------------------------------------------------------------------

async function probeRequests(stack, sandbox, { count, inFlight, warmup }) {
	const folder = mkdtempSync(join(tmpdir(), 'catalystpay-bench-probe-'));
	try {
		const env = n8nEnv(stack.runtime, { userFolder: folder, host: '127.0.0.1', port: 1, logLevel: 'error' });
		const modules = join(dirname(stack.runtime.n8nBin), '..', '..');
		const child = spawn(
			stack.runtime.nodeBin,
			[join(HERE, 'request-cpu.cjs'), modules, sandbox.url, sandbox.config.apiKey, CAMPAIGN_ID, String(count), String(inFlight), String(warmup)],
			{ env, stdio: ['ignore', 'pipe', 'pipe'] },
		);
		let out = '';
		let err = '';
		child.stdout.on('data', (chunk) => (out += chunk));
		child.stderr.on('data', (chunk) => (err += chunk));
		const code = await new Promise((resolve) => child.on('exit', resolve));
		if (code !== 0) throw new Error(`bench/request-cpu.cjs failed (${code}): ${err.slice(-2000)}`);
		return JSON.parse(out.trim().split('\n').pop());
	} finally {
		rmSync(folder, { recursive: true, force: true });
	}
}

// ------------------------------------------------------------------------------------------------
// One measured run
// ------------------------------------------------------------------------------------------------

let runSerial = 0;

/**
 * One run of `items` items through the endpoint's workflow. With `measureLive`, n8n collects fully
 * once, when the sandbox has had requests for 90% of the items, and `liveGrowth` is what was live then above the run's start: every input item and most outputs
 * held, the execution not yet being saved.
 */
async function runOnce(ctx, endpoint, items, measureLive = false) {
	const { stack, memory, seen } = ctx;
	const id = `r${++runSerial}-${Date.now().toString(36)}`;
	const body = JSON.stringify({ leads: Array.from({ length: items }, (_, i) => ({ email: `${id}-${i}@example.com` })) });
	const mem = await memory.start();
	const { stats } = stack.sandbox;
	const before = { requests: stats.requests, creates: stats.creates };
	stats.maxInFlight = stats.inFlight;
	const cpu0 = memory.cpuSeconds();
	const res = await fetch(endpoint.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
	await res.text();
	if (res.status !== 200) throw new Error(`${endpoint.name}: the webhook answered ${res.status}`);
	let liveGrowth = null;
	if (measureLive) {
		while (stats.requests - before.requests < 0.9 * items) await sleep(5);
		liveGrowth = await memory.liveNow(mem);
	}
	// Until the sandbox has seen a request for every item.
	const sending = () => stats.requests - before.requests < items;
	const execution = await nextExecution(stack, endpoint.id, seen, 30 * 60 * 1000, sending);
	const cpuSeconds = memory.cpuSeconds() - cpu0;
	const memoryUse = await memory.end(mem);
	const full = await publicApi(stack, 'GET', `/executions/${execution.id}?includeData=true`);
	const task = full.data?.resultData?.runData?.Create?.[0];
	if (!task) throw new Error(`${endpoint.name}: execution ${execution.id} has no run data for the node (${execution.status})`);
	const out = task.data?.main?.[0] ?? [];
	const created = out.filter((item) => typeof item.json?.session_token === 'string').length;
	return {
		ms: task.executionTime,
		executionMs: Date.parse(execution.stoppedAt) - Date.parse(execution.startedAt),
		status: execution.status,
		items,
		outputs: out.length,
		created,
		failed: out.length - created,
		error: task.error?.message,
		maxInFlight: stats.maxInFlight,
		cpuMsPerItem: (cpuSeconds * 1000) / items,
		liveGrowth,
		apiRequests: stats.requests - before.requests,
		apiCreates: stats.creates - before.creates,
		...memoryUse,
	};
}

// ------------------------------------------------------------------------------------------------

async function main() {
	const userFolder = mkdtempSync(join(tmpdir(), 'catalystpay-bench-n8n-'));
	const memoryFile = join(userFolder, 'memory.json');
	const log = process.env.BENCH_VERBOSE ? (text) => process.stderr.write(`${text}\n`) : () => {};
	const t0 = Date.now();
	const stack = await startStack({
		userFolder,
		install: 'pack',
		n8nPort: await freePortPair(),
		sandboxPort: 0,
		configureSandbox: (config) => {
			config.campaigns[0].webhook.url = null;
			config.faults = { ...config.faults, latencyMs: LATENCY };
		},
		n8nEnv: { BENCH_MEMORY_FILE: memoryFile, ...(EXPRESSION_ENGINE ? { N8N_EXPRESSION_ENGINE: EXPRESSION_ENGINE } : {}) },
		nodeArgs: [
			'--expose-gc',
			'--require',
			join(HERE, 'memory-sampler.cjs'),
			...(CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : []),
		],
		log,
		onN8nOutput: (text) => process.env.BENCH_VERBOSE && process.stderr.write(text),
	});
	const probeConfig = sandboxLib.defaultConfig();
	probeConfig.host = '127.0.0.1';
	probeConfig.port = 0;
	probeConfig.campaigns[0].webhook.url = null;
	const probeSandbox = await sandboxLib.startSandbox(probeConfig);
	let failed = false;
	try {
		const env = stack.runtime;
		console.log(
			`Batch create in real n8n ${env.n8nVersion} (Node ${env.nodeVersion}, SQLite, regular mode, default execution saving, ` +
				`expression engine ${EXPRESSION_ENGINE ?? "n8n's default (vm)"}), ` +
				`sandbox with ${LATENCY} ms added latency in the benchmark's process; started in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
		);
		const bearer = await publicApi(stack, 'POST', '/credentials', {
			name: 'Bench Bearer (sandbox key)',
			type: 'httpBearerAuth',
			data: { token: stack.sandboxConfig.apiKey },
		});
		const credential = { id: stack.credential.id, name: stack.credential.name };
		const bearerCredential = { id: bearer.id, name: bearer.name };

		const endpoints = {};
		for (const c of CONCURRENCY) {
			if (CONTENDERS.includes('catalystpay')) endpoints[`catalystpay/${c}`] = await addWorkflow(stack, workflow(`Bench: CatalystPay, concurrency ${c}`, catalystPayCreate(c, credential)));
			if (CONTENDERS.includes('http')) endpoints[`http/${c}`] = await addWorkflow(stack, workflow(`Bench: HTTP Request, batch ${c}, interval 0`, httpRequestCreate(c, 0, stack.sandbox.url, bearerCredential)));
			if (CONTENDERS.includes('paced')) endpoints[`paced/${c}`] = await addWorkflow(stack, workflow(`Bench: HTTP Request, batch ${c}, interval ${LATENCY}`, httpRequestCreate(c, LATENCY, stack.sandbox.url, bearerCredential)));
		}

		if (MEMORY_PASS && CONTENDERS.includes('catalystpay')) {
			// The memory pass only: one email for every lead, so n8n evaluates no expression per item.
			endpoints.fixed = await addWorkflow(
				stack,
				workflow(`Bench: CatalystPay, concurrency ${MEMORY_CONCURRENCY}, fixed email`, catalystPayCreate(MEMORY_CONCURRENCY, credential, 'lead@example.com')),
			);
		}

		const ctx = { stack, memory: new N8nMemory(stack.pid, memoryFile), seen: new Set() };
		for (const endpoint of Object.values(endpoints)) {
			const warm = await runOnce(ctx, endpoint, WARMUP_ITEMS);
			if (warm.outputs !== WARMUP_ITEMS) throw new Error(`${endpoint.name}: the warm-up gave ${warm.outputs} items of ${WARMUP_ITEMS}`);
		}

		const probeBefore = await probeRequests(stack, probeSandbox, { count: PROBE_REQUESTS, inFlight: 10, warmup: 300 });
		console.log(
			`  n8n's request helper (helpers.httpRequest, ${PROBE_REQUESTS} POSTs, 10 in flight, no latency, own process): ` +
				`${(probeBefore.cpuUsPerRequest / 1000).toFixed(3)} ms CPU per request (before the runs)`,
		);

		// What n8n's request path alone gives at each concurrency against the same sandbox (its 50 ms
		// included): the floor for any node in n8n on this machine, whatever the node does.
		const helperAlone = {};
		for (const c of CONCURRENCY) {
			helperAlone[c] = await probeRequests(stack, stack.sandbox, { count: FLOOR_REQUESTS, inFlight: c, warmup: 2 * c });
		}

		const results = {};
		const rotation = ['catalystpay', 'http', 'paced'].filter((key) => CONTENDERS.includes(key));
		let turn = 0;
		for (const n of ITEMS) {
			for (const c of CONCURRENCY) {
				const order = rotation.map((_, i) => rotation[(i + turn) % rotation.length]);
				turn++;
				for (const key of order) {
					const r = await runOnce(ctx, endpoints[`${key}/${c}`], n);
					results[`${key}/${c}/${n}`] = r;
					log(`${key}/${c}/${n}: ${JSON.stringify(r)}`);
				}
			}
		}

		// The memory pass: live heap at the smallest and largest count, not timed.
		const memoryKeys = ['catalystpay', 'fixed', 'http'].filter((key) => endpoints[`${key}/${MEMORY_CONCURRENCY}`] || (key === 'fixed' && endpoints.fixed));
		let memoryRuns;
		if (ITEMS.length >= 2 && MEMORY_PASS) {
			memoryRuns = {};
			for (const n of [ITEMS[0], ITEMS[ITEMS.length - 1]]) {
				for (const key of memoryKeys) {
					const endpoint = key === 'fixed' ? endpoints.fixed : endpoints[`${key}/${MEMORY_CONCURRENCY}`];
					// n8n keeps the last execution it served through its API for a while, and what a run
					// leaves (sockets, timers) goes within seconds: a one-item run first, so that every
					// measured run starts from the same small one, then a pause.
					await runOnce(ctx, endpoint, 1);
					await sleep(SETTLE_MS);
					memoryRuns[`${key}/${n}`] = await runOnce(ctx, endpoint, n, true);
				}
			}
		}

		const probeAfter = await probeRequests(stack, probeSandbox, { count: PROBE_REQUESTS, inFlight: 10, warmup: 300 });
		const cpuMs = (probeBefore.cpuUsPerRequest + probeAfter.cpuUsPerRequest) / 2 / 1000;
		console.log(
			`  the same after the runs: ${(probeAfter.cpuUsPerRequest / 1000).toFixed(3)} ms; the ideal uses the mean, ${cpuMs.toFixed(3)} ms per request`,
		);

		// ---- times
		for (const n of ITEMS) {
			for (const c of CONCURRENCY) {
				const latencyBound = (n * LATENCY) / c;
				const cpuBound = n * cpuMs;
				const ideal = Math.max(latencyBound, cpuBound);
				console.log(
					`\n  ${n.toLocaleString('en-US')} items, concurrency ${c}: ideal ${s(ideal)} = max(${n.toLocaleString('en-US')} x ${LATENCY} ms / ${c} = ${s(latencyBound)}, ` +
						`${n.toLocaleString('en-US')} x ${cpuMs.toFixed(3)} ms = ${s(cpuBound)})`,
				);
				const floorMs = (helperAlone[c].wallMs / helperAlone[c].count) * n;
				console.log(
					`    ${"n8n's request helper alone".padEnd(34)} ${s(floorMs).padStart(8)}  ${`${(floorMs / ideal).toFixed(3)}x ideal`.padEnd(13)} ` +
						`(${helperAlone[c].count} requests, ${c} in flight, same sandbox, own process: n8n's floor on this machine, scaled to ${n.toLocaleString('en-US')})`,
				);
				for (const key of rotation) console.log(line(key, results[`${key}/${c}/${n}`], ideal));
				const ours = results[`catalystpay/${c}/${n}`];
				if (!ours) continue;
				if (ours.created !== n) failed = true;
				const ratio = ours.ms / ideal;
				console.log(
					`    CatalystPay vs ideal: ${ratio.toFixed(3)}x   goal <= 1.25x: ${verdict(ratio <= 1.25, `${(ratio - 1.25).toFixed(3)}x (${s(ours.ms - 1.25 * ideal)})`)}`,
				);
				for (const key of ['http', 'paced']) {
					const other = results[`${key}/${c}/${n}`];
					if (!other) continue;
					const vs = ours.ms / other.ms;
					const complete = other.created === n ? '' : ` (it created ${other.created} of ${n})`;
					console.log(
						`    CatalystPay time / ${LABEL[key]}: ${vs.toFixed(3)}x${complete}` +
							(key === 'http' ? `   goal <= 1x (at least as fast): ${verdict(vs <= 1, `${(vs - 1).toFixed(3)}x (${s(ours.ms - other.ms)})`)}` : '   (diagnostic)'),
					);
				}
			}
		}

		// ---- memory against the number of items (the runs of the memory pass)
		if (memoryRuns) {
			const [small, large] = [ITEMS[0], ITEMS[ITEMS.length - 1]];
			const kb = (bytes) => `${(bytes / 1024).toFixed(2)} KB`;
			const own = itemBytes();
			const ownAt90 = own.lead + own.splitItem + own.nodeInput + 0.9 * own.session;
			console.log(
				`\n  Live heap at 90% of the requests (one full collection then; runs not timed), concurrency ${MEMORY_CONCURRENCY}, above each run's start. ` +
					`The items themselves at that point: ${kb(ownAt90)} per item (a parsed lead ${own.lead} B, its Split Out item ${own.splitItem} B, ` +
					`the node's input item ${own.nodeInput} B, 0.9 x a created session's item ${own.session} B)`,
			);
			const beyondOf = {};
			for (const key of memoryKeys) {
				const a = memoryRuns[`${key}/${small}`];
				const b = memoryRuns[`${key}/${large}`];
				const perAdded = (b.liveGrowth - a.liveGrowth) / (large - small);
				beyondOf[key] = perAdded - ownAt90;
				console.log(
					`    ${LABEL[key].padEnd(34)} ${small.toLocaleString('en-US')}: +${mb(a.liveGrowth)}   ${large.toLocaleString('en-US')}: +${mb(b.liveGrowth)}   ` +
						`per item added ${kb(perAdded)}, beyond the items ${kb(beyondOf[key])}`,
				);
			}
			if (beyondOf.fixed !== undefined) {
				const limit = 256;
				console.log(
					`    CatalystPay node beyond the items, without n8n's expression engine: ${kb(beyondOf.fixed)} per item   ` +
						`goal: memory does not grow with the items beyond the items (<= ${limit} B per item, about this measurement's resolution): ` +
						`${verdict(beyondOf.fixed <= limit, `${kb(beyondOf.fixed - limit)} per item`)}`,
				);
			}
			if (beyondOf.catalystpay !== undefined && beyondOf.fixed !== undefined) {
				console.log(
					`    with the email from an expression per item: ${kb(beyondOf.catalystpay - beyondOf.fixed)} per item more, held by n8n's expression ` +
						'engine (its evaluation contexts) while the node runs; the HTTP Request node pays it too, for its JSON body',
				);
			}
		}
		const n8nLog = stack.n8nOutput();
		// Not counted: n8n's "not registered" answers to the readiness probes sent before each workflow was live.
		const problems = n8nLog
			.split('\n')
			.filter((text) => /uncaught|unhandled|ERROR|problem saving/i.test(text) && !/is not registered|not registered for POST/.test(text));
		console.log(`\n  n8n log: ${problems.length} error lines${problems.length ? `, first: ${problems.slice(0, 3).join(' | ')}` : ''}`);
		if (failed) process.exitCode = 1;
	} finally {
		await probeSandbox.close();
		await stack.stop();
		rmSync(userFolder, { recursive: true, force: true });
	}
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
