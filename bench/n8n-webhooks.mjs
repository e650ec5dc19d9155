// What the webhook benchmarks in a real n8n share: the n8n stack, the load and its accounting
// (answers, and the executions n8n saved for them, through its public API); with the deliveries
// (webhooks/deliveries.mjs) and the workflows under test (webhooks/workflows.mjs).
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { request } from 'undici';

import { percentile, sleep } from './common.mjs';
import { CAMPAIGN_ID, UMLAUT_NAMES } from './webhooks/deliveries.mjs';

export * from './webhooks/deliveries.mjs';
export * from './webhooks/workflows.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { startStack } = require(join(ROOT, 'scripts', 'n8n-stack.cjs'));

// ------------------------------------------------------------------------------------------------
// n8n
// ------------------------------------------------------------------------------------------------

function portFree(port) {
	return new Promise((resolve) => {
		const server = createServer();
		server.once('error', () => resolve(false));
		server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
	});
}

/** n8n's port and the one above it (its task broker). */
export async function freePortPair() {
	for (let i = 0; i < 200; i++) {
		const port = 20000 + Math.floor(Math.random() * 20000);
		if ((await portFree(port)) && (await portFree(port + 1))) return port;
	}
	throw new Error('no free pair of ports on 127.0.0.1');
}

/** n8n's public REST API, with the stack's API key; throws on anything but 200. */
export async function publicApi(stack, method, route, body) {
	const res = await fetch(`${stack.n8nUrl}/api/v1${route}`, {
		method,
		headers: { accept: 'application/json', 'content-type': 'application/json', 'x-n8n-api-key': stack.apiKey },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await res.text();
	if (res.status !== 200) throw new Error(`${method} /api/v1${route}: ${res.status} ${text}`);
	return text === '' ? undefined : JSON.parse(text);
}

/** Creates and activates a workflow, and waits until n8n answers on its webhook path. */
export async function addWorkflow(stack, { name, nodes, connections, path }) {
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

/** A Crypto credential holding the HMAC secret, as a user of the Crypto node keeps it. */
export async function addCryptoCredential(stack, secret) {
	const created = await publicApi(stack, 'POST', '/credentials', { name: 'CatalystPay signing secret', type: 'crypto', data: { hmacSecret: secret } });
	return { id: created.id, name: created.name };
}

export const getWorkflow = (stack, id) => publicApi(stack, 'GET', `/workflows/${id}`);

/** The executions n8n saved for a workflow (ids and, with `includeData`, what each node did). */
export async function listExecutions(stack, workflowId, { status, includeData = false } = {}) {
	const all = [];
	let cursor;
	do {
		const query = new URLSearchParams({ workflowId, limit: includeData ? '50' : '250', includeData: String(includeData) });
		if (status) query.set('status', status);
		if (cursor) query.set('cursor', cursor);
		const page = await stack.api(`/executions?${query}`);
		all.push(...page.data);
		cursor = page.nextCursor ?? undefined;
	} while (cursor);
	return all;
}

export const countExecutions = async (stack, workflowId, status) => (await listExecutions(stack, workflowId, { status })).length;

/** Waits until n8n has saved `expected` executions of the workflow, or nothing changes for 10 s. */
export async function settle(stack, workflowId, expected) {
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
		await sleep(50);
	}
}

/** Real sessions, created and paid in the sandbox, for a trigger that confirms each with the API. */
export async function paidSessions(stack, count, names = UMLAUT_NAMES) {
	const sessions = [];
	for (let i = 0; i < count; i += 50) {
		const batch = await Promise.all(
			Array.from({ length: Math.min(50, count - i) }, async (_, k) => {
				const n = i + k;
				const [first, last] = names[n % names.length];
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
	return sessions;
}

// ------------------------------------------------------------------------------------------------
// The load
// ------------------------------------------------------------------------------------------------

/** Sends every delivery, `inFlight` at a time over the agent's keep-alive connections. */
export async function sendAll(agent, url, deliveries, inFlight) {
	const latencies = new Float64Array(deliveries.length);
	const statuses = new Map();
	let next = 0;
	const t0 = process.hrtime.bigint();
	await Promise.all(
		Array.from({ length: Math.min(inFlight, deliveries.length) }, async () => {
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

/** Accumulates rounds of one endpoint: answers, their latencies, and the time until n8n saved every execution. */
export class Tally {
	sent = 0;
	answerMs = 0;
	doneMs = 0;
	latencies = [];
	statuses = new Map();

	add(count, run, settleMs) {
		this.sent += count;
		this.answerMs += run.ms;
		this.doneMs += run.ms + settleMs;
		this.latencies.push(...run.latencies);
		for (const [status, n] of run.statuses) this.statuses.set(status, (this.statuses.get(status) ?? 0) + n);
	}

	answered(predicate) {
		return [...this.statuses].filter(([status]) => typeof status === 'number' && predicate(status)).reduce((sum, [, n]) => sum + n, 0);
	}

	/** Deliveries per second until n8n had saved the execution of every one (or answered, where none runs). */
	get rate() {
		return (this.sent / this.doneMs) * 1000;
	}

	get answerRate() {
		return (this.sent / this.answerMs) * 1000;
	}

	p(q) {
		return percentile([...this.latencies].sort((a, b) => a - b), q);
	}
}

/**
 * Sends `perRound` deliveries to each endpoint per round, after `warmup` unmeasured ones, rotating
 * the order every round (A B C, B C A, ...) and waiting for n8n's saved executions after each, so
 * one endpoint's backlog never lands on another's round. `make(key, count, offset)` makes the
 * deliveries. Returns a Tally per endpoint.
 */
export async function runRounds(stack, agent, endpoints, make, { rounds, perRound, warmup, inFlight }) {
	const keys = Object.keys(endpoints);
	const tallies = Object.fromEntries(keys.map((key) => [key, new Tally()]));
	const measure = async (key, deliveries, tally) => {
		const before = await countExecutions(stack, endpoints[key].id);
		const run = await sendAll(agent, endpoints[key].url, deliveries, inFlight);
		const settled = await settle(stack, endpoints[key].id, before + deliveries.length);
		tally?.add(deliveries.length, run, settled.ms);
	};
	for (const key of keys) await measure(key, make(key, warmup, 0), undefined);
	for (let round = 0; round < rounds; round++) {
		for (const key of keys.map((_, i) => keys[(i + round) % keys.length])) {
			await measure(key, make(key, perRound, warmup + round * perRound), tallies[key]);
		}
	}
	return tallies;
}

/** n8n 2.41.1's expression engine settings, as the benchmarks name them (`--settings default,lazy,legacy`). */
export const ENGINE_SETTINGS = [
	{ name: 'default', env: {}, describe: "n8n's default: an isolate per webhook request (but the Webhook node v2's) and per execution" },
	{ name: 'lazy', env: { N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true' }, describe: 'an isolate only once an expression is evaluated' },
	{ name: 'legacy', env: { N8N_EXPRESSION_ENGINE: 'legacy' }, describe: "expressions in n8n's own process, no isolates" },
];

/** The settings named by `--settings a,b` on the command line, or `fallback`'s. */
export function chosenSettings(fallback) {
	const at = process.argv.indexOf('--settings');
	const names = at >= 0 ? process.argv[at + 1].split(',') : fallback;
	return ENGINE_SETTINGS.filter((setting) => names.includes(setting.name));
}

/** A fresh n8n with this package (from its packed tarball) and the sandbox, for one benchmark run. */
export async function startBenchStack({ n8nEnv = {}, nodeArgs = [] } = {}) {
	const userFolder = mkdtempSync(join(tmpdir(), 'catalystpay-bench-n8n-'));
	const verbose = Boolean(process.env.BENCH_VERBOSE);
	const stack = await startStack({
		userFolder,
		install: 'pack',
		n8nPort: await freePortPair(),
		sandboxPort: 0,
		n8nEnv,
		configureSandbox: (config) => {
			// The benchmarks pay sessions and deliver webhooks themselves.
			config.campaigns[0].webhook.url = null;
		},
		nodeArgs,
		log: verbose ? (line) => process.stderr.write(`${line}\n`) : () => {},
		onN8nOutput: (text) => verbose && process.stderr.write(text),
	});
	const stop = stack.stop.bind(stack);
	stack.stop = async () => {
		await stop();
		rmSync(userFolder, { recursive: true, force: true });
	};
	return stack;
}

/** n8n's log lines that say something went wrong (not the "not registered" answers to readiness probes). */
export function n8nErrorLines(stack) {
	return stack
		.n8nOutput()
		.split('\n')
		.filter((line) => /uncaught|unhandled|ERROR|Error:|problem saving/i.test(line) && !/is not registered|not registered for POST/.test(line));
}

/** "MET" or "MISSED", with by how much, for a figure that should be at least `goal`. */
export function verdict(value, goal, unit = 'x') {
	if (value >= goal) return `MET (${value.toFixed(2)}${unit} >= ${goal}${unit}, by ${(((value - goal) / goal) * 100).toFixed(0)}%)`;
	return `MISSED (${value.toFixed(2)}${unit} < ${goal}${unit}, short by ${(((goal - value) / goal) * 100).toFixed(0)}%)`;
}
