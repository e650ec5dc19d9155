#!/usr/bin/env node
/**
 * Benchmark: signed webhook deliveries through the CatalystPay Trigger in a real n8n
 * (the pinned 2.41.1 runtime, this package installed from its packed tarball), against n8n's own
 * Webhook node in the same n8n, in the same run:
 *
 *   A  CatalystPay Trigger, Confirm Session Status OFF -> No Operation   (the measured one: signature
 *      verification, event filter, repeat check, and n8n's webhook path for a community trigger)
 *   B  Webhook node (POST, respond immediately) -> No Operation            (the baseline)
 *   C  Webhook node v1, same settings -> No Operation                      (diagnostic: n8n takes an
 *      expression isolate for every webhook request except Webhook >= v2 with static parameters,
 *      so C pays what every community trigger, A included, pays in n8n itself)
 *   D  CatalystPay Trigger, Confirm Session Status ON -> No Operation      (extra: adds one GET of the
 *      session from the sandbox per delivery; the sessions are real and paid beforehand)
 *
 * Each delivery is a distinct ~300-byte body as a Python sender writes it (json.dumps defaults:
 * ", " and ": ", \u escapes for the non-ASCII name), signed with the package's own `sign` (from the
 * built dist/index.js), sent with undici over keep-alive connections, a fixed number in flight.
 * Endpoints are measured in rounds, rotating the order (A B C D, B C D A, ...), and n8n's saved
 * executions are awaited between rounds, so one endpoint's backlog never lands on another's round.
 * Lost = any non-2xx or error, and any delivery of A or D without exactly one saved execution
 * (counted through n8n's public API).
 *
 *   npm run bench                        (all benchmarks; builds first)
 *   node bench/webhook-throughput.mjs [--per-round 300] [--rounds 3] [--in-flight 16] [--warmup 50]
 *        [--only A,B] [--n8n-cpu-prof DIR]   (a subset of the endpoints; a CPU profile of n8n, written when it stops)
 * Figures are printed, never asserted: this is not a timed test.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Agent, request } from 'undici';

import { arg, percentile, sleep } from './common.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { startStack } = require(join(ROOT, 'scripts', 'n8n-stack.cjs'));
const { sign } = require(join(ROOT, 'dist', 'index.js'));

const PER_ROUND = arg('per-round', 300);
const ROUNDS = arg('rounds', 3);
const IN_FLIGHT = arg('in-flight', 16);
const WARMUP = arg('warmup', 50);
const textArg = (name) => {
	const at = process.argv.indexOf(`--${name}`);
	return at >= 0 ? process.argv[at + 1] : undefined;
};
const ONLY = textArg('only')?.split(',');
const CPU_PROF_DIR = textArg('n8n-cpu-prof');
const CAMPAIGN_ID = 'a1b2c3d4-e5f6-7890-abcd-ef1234567890';
const CREDENTIAL = { catalystPayApi: { id: 'catalystpaySandbox01', name: 'CatalystPay Sandbox' } };

// ------------------------------------------------------------------------------------------------
// Bodies
// ------------------------------------------------------------------------------------------------

/** json.dumps(obj) with Python's defaults, for flat objects of strings and numbers. */
function pythonDumps(object) {
	const str = (s) => JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
	return `{${Object.entries(object)
		.map(([key, value]) => `${str(key)}: ${typeof value === 'string' ? str(value) : JSON.stringify(value)}`)
		.join(', ')}}`;
}

const NAMES = [
	['Jürgen', 'Müller'],
	['Zoë', 'Lefèvre'],
	['Ólafur', 'Þórsson'],
	['Renée', 'Dvořák'],
];
const token = () => `ps_${randomBytes(20).toString('hex').slice(0, 30)}`;

function payload(n, session) {
	const [first, last] = NAMES[n % NAMES.length];
	return {
		session_token: session?.token ?? token(),
		status: 'COMPLETED',
		order_number: session?.orderNumber ?? `ORD-${randomBytes(4).toString('hex')}`,
		amount: '29.99',
		currency: 'EUR',
		email: session?.email ?? `lead-${n}-${randomBytes(3).toString('hex')}@example.com`,
		customer_name: `${first} ${last}`,
		country: 'DE',
		campaign_id: CAMPAIGN_ID,
		completed_at: new Date(Date.UTC(2026, 10, 24, 12, 0, n % 60)).toISOString(),
	};
}

function delivery(object, secret) {
	const body = pythonDumps(object);
	return {
		body,
		headers: {
			'content-type': 'application/json',
			'user-agent': 'CatalystPay-Webhooks/1.0',
			'x-catalystpay-event': 'payment_session.completed',
			'x-catalystpay-signature': sign(body, secret),
			'x-catalystpay-delivery': `dlv_${randomBytes(12).toString('hex')}`,
		},
		token: object.session_token,
	};
}

// ------------------------------------------------------------------------------------------------
// The workflows
// ------------------------------------------------------------------------------------------------

function noOpAfter(startName, startNode) {
	return {
		nodes: [
			{ id: randomUUID(), position: [0, 0], ...startNode, name: startName },
			{ id: randomUUID(), name: 'No Operation', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [240, 0], parameters: {} },
		],
		connections: { [startName]: { main: [[{ node: 'No Operation', type: 'main', index: 0 }]] } },
	};
}

function catalystPayTrigger(name, confirmSessionStatus, options = {}) {
	const webhookId = randomUUID();
	return {
		name,
		path: `/webhook/${webhookId}/webhook`,
		...noOpAfter('CatalystPay Trigger', {
			type: 'n8n-nodes-catalystpay.catalystPayTrigger',
			typeVersion: 1,
			webhookId,
			parameters: { events: ['payment_session.completed'], otherEvents: '', confirmSessionStatus, options },
			credentials: CREDENTIAL,
		}),
	};
}

function plainWebhook(name, typeVersion) {
	const webhookId = randomUUID();
	const path = `bench-plain-v${typeVersion}-${webhookId.slice(0, 8)}`;
	return {
		name,
		path: `/webhook/${path}`,
		...noOpAfter('Webhook', {
			type: 'n8n-nodes-base.webhook',
			typeVersion,
			webhookId,
			parameters: { httpMethod: 'POST', path, responseMode: 'onReceived', options: {} },
		}),
	};
}

// ------------------------------------------------------------------------------------------------
// n8n and the sandbox
// ------------------------------------------------------------------------------------------------

function portFree(port) {
	return new Promise((resolve) => {
		const server = createServer();
		server.once('error', () => resolve(false));
		server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
	});
}

async function freePortPair() {
	for (let i = 0; i < 200; i++) {
		const port = 20000 + Math.floor(Math.random() * 20000);
		if ((await portFree(port)) && (await portFree(port + 1))) return port;
	}
	throw new Error('no free pair of ports on 127.0.0.1');
}

async function publicApi(stack, method, route, body) {
	const res = await fetch(`${stack.n8nUrl}/api/v1${route}`, {
		method,
		headers: { accept: 'application/json', 'content-type': 'application/json', 'x-n8n-api-key': stack.apiKey },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await res.text();
	if (res.status !== 200) throw new Error(`${method} /api/v1${route}: ${res.status} ${text}`);
	return text === '' ? undefined : JSON.parse(text);
}

async function addWorkflow(stack, { name, nodes, connections, path }) {
	const created = await publicApi(stack, 'POST', '/workflows', { name, nodes, connections, settings: { executionOrder: 'v1' } });
	await publicApi(stack, 'POST', `/workflows/${created.id}/activate`);
	for (let i = 0; ; i++) {
		// A CORS preflight for POST starts nothing; n8n answers 204 once the path is registered (an error before).
		const res = await fetch(`${stack.n8nUrl}${path}`, { method: 'OPTIONS', headers: { origin: stack.n8nUrl, 'access-control-request-method': 'POST' } });
		await res.text();
		if (res.status === 204) break;
		if (i > 200) throw new Error(`the webhook of "${name}" was never registered`);
		await sleep(100);
	}
	return { id: created.id, url: `${stack.n8nUrl}${path}`, name };
}

async function countExecutions(stack, workflowId, status) {
	let count = 0;
	let cursor;
	do {
		const query = new URLSearchParams({ workflowId, limit: '250', includeData: 'false' });
		if (status) query.set('status', status);
		if (cursor) query.set('cursor', cursor);
		const page = await stack.api(`/executions?${query}`);
		count += page.data.length;
		cursor = page.nextCursor ?? undefined;
	} while (cursor);
	return count;
}

/** Waits until n8n has saved `expected` executions of the workflow, or nothing changes for 10 s. */
async function settle(stack, workflowId, expected) {
	const t0 = Date.now();
	let last = -1;
	let lastChange = Date.now();
	for (;;) {
		const count = await countExecutions(stack, workflowId);
		if (count >= expected) return { count, ms: Date.now() - t0 };
		if (count !== last) {
			last = count;
			lastChange = Date.now();
		} else if (Date.now() - lastChange > 10000) {
			return { count, ms: Date.now() - t0 };
		}
		await sleep(100);
	}
}

// ------------------------------------------------------------------------------------------------
// The load
// ------------------------------------------------------------------------------------------------

async function sendAll(agent, url, deliveries) {
	const latencies = new Float64Array(deliveries.length);
	const statuses = new Map();
	let next = 0;
	const t0 = process.hrtime.bigint();
	await Promise.all(
		Array.from({ length: Math.min(IN_FLIGHT, deliveries.length) }, async () => {
			while (next < deliveries.length) {
				const i = next++;
				const { body, headers } = deliveries[i];
				const started = process.hrtime.bigint();
				let status;
				try {
					const res = await request(url, { method: 'POST', headers, body, dispatcher: agent, headersTimeout: 60000, bodyTimeout: 60000 });
					await res.body.text();
					status = res.statusCode;
				} catch (error) {
					status = error.code ?? error.message;
				}
				latencies[i] = Number(process.hrtime.bigint() - started) / 1e6;
				statuses.set(status, (statuses.get(status) ?? 0) + 1);
			}
		}),
	);
	return { ms: Number(process.hrtime.bigint() - t0) / 1e6, latencies, statuses };
}


async function main() {
	const userFolder = mkdtempSync(join(tmpdir(), 'catalystpay-bench-n8n-'));
	const log = process.env.BENCH_VERBOSE ? (line) => process.stderr.write(`${line}\n`) : () => {};
	const t0 = Date.now();
	const stack = await startStack({
		userFolder,
		install: 'pack',
		n8nPort: await freePortPair(),
		sandboxPort: 0,
		configureSandbox: (config) => {
			// The bench pays sessions itself (for D) and delivers their webhooks itself.
			config.campaigns[0].webhook.url = null;
		},
		nodeArgs: CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : [],
		log,
		onN8nOutput: (text) => process.env.BENCH_VERBOSE && process.stderr.write(text),
	});
	const agent = new Agent({ connections: IN_FLIGHT, pipelining: 1, keepAliveTimeout: 60000, keepAliveMaxTimeout: 60000 });
	try {
		const env = stack.runtime;
		console.log(
			`Webhook throughput in real n8n ${env.n8nVersion} (Node ${env.nodeVersion}, SQLite, regular mode, n8n's default execution saving: ` +
				`EXECUTIONS_DATA_SAVE_ON_SUCCESS=all, ..._ON_ERROR=all, ..._MANUAL_EXECUTIONS=true, N8N_CONCURRENCY_PRODUCTION_LIMIT=-1; the same for every workflow), ` +
				`started in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
		);
		const workflows = {
			A: () => catalystPayTrigger('Bench: CatalystPay Trigger, confirm off', false),
			B: () => plainWebhook('Bench: Webhook node v2', 2),
			C: () => plainWebhook('Bench: Webhook node v1 (takes an isolate like any trigger)', 1),
			D: () => catalystPayTrigger('Bench: CatalystPay Trigger, confirm on', true),
		};
		const endpoints = {};
		for (const [key, workflow] of Object.entries(workflows)) {
			if (!ONLY || ONLY.includes(key)) endpoints[key] = await addWorkflow(stack, workflow());
		}
		const secret = stack.sandboxConfig.signingSecret;

		// D needs real, paid sessions whose status the trigger can confirm.
		const sessionsNeeded = endpoints.D ? WARMUP + PER_ROUND * ROUNDS : 0;
		const sessions = [];
		for (let i = 0; i < sessionsNeeded; i += 50) {
			const batch = await Promise.all(
				Array.from({ length: Math.min(50, sessionsNeeded - i) }, async (_, k) => {
					const n = i + k;
					const [first, last] = NAMES[n % NAMES.length];
					const email = `paid-${n}@example.com`;
					const res = await fetch(`${stack.sandbox.url}/api/v1/payment-sessions/`, {
						method: 'POST',
						headers: { authorization: `Bearer ${stack.sandboxConfig.apiKey}`, 'content-type': 'application/json' },
						body: JSON.stringify({ campaign_id: CAMPAIGN_ID, lead: { first_name: first, last_name: last, email, country: 'DE' } }),
					});
					const created = await res.json();
					const paid = await fetch(`${stack.sandbox.url}/s/${created.session_token}`, {
						method: 'POST',
						headers: { 'content-type': 'application/x-www-form-urlencoded' },
						body: new URLSearchParams({ iban: 'DE89370400440532013000', account_holder: `${first} ${last}` }).toString(),
						redirect: 'manual',
					});
					await paid.text();
					const session = stack.sandbox.store.sessions.get(created.session_token);
					if (paid.status !== 303 || session.status !== 'COMPLETED') throw new Error(`could not pay ${created.session_token}`);
					return { token: created.session_token, orderNumber: session.order_number, email };
				}),
			);
			sessions.push(...batch);
		}

		const make = (key, count, offset) =>
			Array.from({ length: count }, (_, k) => delivery(payload(offset + k, key === 'D' ? sessions[offset + k] : undefined), secret));
		const sizes = make('A', 20, 0).map((d) => Buffer.byteLength(d.body));
		console.log(
			`  ${ROUNDS} rounds x ${PER_ROUND} deliveries per endpoint (after ${WARMUP} unmeasured), ${IN_FLIGHT} in flight, undici keep-alive; ` +
				`bodies ${Math.min(...sizes)}-${Math.max(...sizes)} bytes, distinct, e.g. ${make('A', 1, 1)[0].body}`,
		);

		const keys = Object.keys(endpoints);
		const results = Object.fromEntries(keys.map((key) => [key, { ms: 0, latencies: [], statuses: new Map(), sent: 0, settleMs: [] }]));
		const measure = async (key, count, offset, record) => {
			const deliveries = make(key, count, offset);
			const before = await countExecutions(stack, endpoints[key].id);
			const run = await sendAll(agent, endpoints[key].url, deliveries);
			const settled = await settle(stack, endpoints[key].id, before + count);
			if (!record) return;
			const r = results[key];
			r.ms += run.ms;
			r.latencies.push(...run.latencies);
			r.sent += count;
			r.settleMs.push(settled.ms);
			for (const [status, n] of run.statuses) r.statuses.set(status, (r.statuses.get(status) ?? 0) + n);
		};
		for (const key of keys) await measure(key, WARMUP, 0, false);
		for (let round = 0; round < ROUNDS; round++) {
			const order = keys.map((_, i) => keys[(i + round) % keys.length]);
			for (const key of order) await measure(key, PER_ROUND, WARMUP + round * PER_ROUND, true);
		}

		const lines = {};
		for (const key of keys) {
			const r = results[key];
			const sorted = [...r.latencies].sort((a, b) => a - b);
			const ok = [...r.statuses].filter(([s]) => typeof s === 'number' && s >= 200 && s < 300).reduce((sum, [, n]) => sum + n, 0);
			const executions = await countExecutions(stack, endpoints[key].id);
			const successful = await countExecutions(stack, endpoints[key].id, 'success');
			const expected = WARMUP + r.sent;
			lines[key] = {
				rate: (r.sent / r.ms) * 1000,
				p50: percentile(sorted, 50),
				p99: percentile(sorted, 99),
				notOk: r.sent - ok,
				statuses: Object.fromEntries(r.statuses),
				executions,
				successful,
				expected,
				settle: Math.max(...r.settleMs),
			};
		}
		const label = {
			A: 'CatalystPay Trigger (confirm off)',
			B: 'n8n Webhook node v2 (baseline)',
			C: 'n8n Webhook node v1 (isolate, diagnostic)',
			D: 'CatalystPay Trigger (confirm on, extra)',
		};
		for (const key of keys) {
			const l = lines[key];
			console.log(
				`  ${key} ${label[key].padEnd(42)} ${l.rate.toFixed(0).padStart(5)} deliveries/s   p50 ${l.p50.toFixed(1).padStart(6)} ms   p99 ${l.p99
					.toFixed(1)
					.padStart(6)} ms   non-2xx ${l.notOk}   executions ${l.executions}/${l.expected} sent (${l.successful} success)`,
			);
		}
		const rate = (key) => lines[key]?.rate ?? NaN;
		const ratio = rate('A') / rate('B');
		const lost = keys.map((key) => lines[key].notOk + Math.abs(lines[key].expected - lines[key].executions)).reduce((a, b) => a + b, 0);
		if (lines.A && lines.B) {
			console.log(
				`  trigger / plain Webhook node: ${ratio.toFixed(3)}x   target >= 0.9x: ${ratio >= 0.9 ? 'MET' : `MISSED by ${(0.9 - ratio).toFixed(3)}x (${(((0.9 - ratio) / 0.9) * 100).toFixed(1)}%)`}`,
			);
		}
		if (lines.A && lines.C) {
			console.log(
				`  trigger / Webhook node v1 (diagnostic; both pay n8n's per-request expression isolate, the trigger a second one ` +
					`to read its credential): ${(rate('A') / rate('C')).toFixed(3)}x`,
			);
		}
		if (lines.D && lines.B) console.log(`  trigger with Confirm Session Status on / plain (extra): ${(rate('D') / rate('B')).toFixed(3)}x`);
		console.log(
			`  lost deliveries (non-2xx, or saved executions != deliveries sent, any endpoint): ${lost}   target 0: ${lost === 0 ? 'MET' : 'MISSED'}`,
		);
		for (const key of keys) {
			if (lines[key].notOk > 0) console.log(`    ${key} answers: ${JSON.stringify(lines[key].statuses)}`);
		}

		// The trigger's memory of recent deliveries, as n8n saved it in the workflow's static data.
		if (endpoints.A) {
			const stored = await publicApi(stack, 'GET', `/workflows/${endpoints.A.id}`);
			const remembered = Object.keys(stored.staticData?.[`node:CatalystPay Trigger`]?.recentDeliveries ?? {}).length;
			console.log(
				`  trigger A's persisted repeat memory after ${lines.A.expected} distinct deliveries: ${remembered} entries ` +
					`(expected min(deliveries, 1,000): what catches a repeat after n8n restarts)`,
			);
		}
		const n8nLog = stack.n8nOutput();
		// Not counted: the "not registered" answers to the readiness probes sent before each workflow was live.
		const problems = n8nLog
			.split('\n')
			.filter((line) => /uncaught|unhandled|ERROR|Error:|problem saving/i.test(line) && !/is not registered|not registered for POST/.test(line));
		console.log(`  n8n log: ${problems.length} error lines${problems.length ? `, first: ${problems.slice(0, 3).join(' | ')}` : ''}`);
		if (lost > 0) process.exitCode = 1;
	} finally {
		await agent.close();
		await stack.stop();
		rmSync(userFolder, { recursive: true, force: true });
	}
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
