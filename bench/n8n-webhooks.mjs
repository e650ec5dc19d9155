// What the webhook benchmarks in a real n8n share: the deliveries, the workflows under test, and the
// load and its accounting (answers, and the executions n8n saved for them, through its public API).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { request } from 'undici';

import { percentile, sleep } from './common.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { sign } = require(join(ROOT, 'dist', 'index.js'));
const { startStack } = require(join(ROOT, 'scripts', 'n8n-stack.cjs'));

export const CAMPAIGN_ID = 'a1b2c3d4-e5f6-7890-abcd-ef1234567890';
const CREDENTIAL = { catalystPayApi: { id: 'catalystpaySandbox01', name: 'CatalystPay Sandbox' } };

// ------------------------------------------------------------------------------------------------
// Deliveries
// ------------------------------------------------------------------------------------------------

const asciiEscaped = (s) => JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** json.dumps(obj) with Python's defaults (", " and ": ", \u escapes), for flat objects of strings and numbers. */
export function pythonDumps(object) {
	return `{${Object.entries(object)
		.map(([key, value]) => `${asciiEscaped(key)}: ${typeof value === 'string' ? asciiEscaped(value) : JSON.stringify(value)}`)
		.join(', ')}}`;
}

/** The canonical form CatalystPay signs (sorted keys, compact), for flat objects of strings and numbers. */
export function canonicalDumps(object) {
	return `{${Object.keys(object)
		.sort()
		.map((key) => `${asciiEscaped(key)}:${typeof object[key] === 'string' ? asciiEscaped(object[key]) : JSON.stringify(object[key])}`)
		.join(',')}}`;
}

export const UMLAUT_NAMES = [
	['Jürgen', 'Müller'],
	['Zoë', 'Lefèvre'],
	['Ólafur', 'Þórsson'],
	['Renée', 'Dvořák'],
];
export const ASCII_NAMES = [
	['Max', 'Mustermann'],
	['Erika', 'Musterfrau'],
	['John', 'Smith'],
	['Ada', 'Lovelace'],
];

const sessionToken = () => `ps_${randomBytes(20).toString('hex').slice(0, 30)}`;

/** A payment_session.completed payload as a webhook profile maps it: distinct per n, about 350 bytes. */
export function payload(n, { names = UMLAUT_NAMES, session } = {}) {
	const [first, last] = names[n % names.length];
	return {
		session_token: session?.token ?? sessionToken(),
		status: 'COMPLETED',
		order_number: session?.orderNumber ?? `ORD-${randomBytes(4).toString('hex')}`,
		amount: '29.99',
		currency: 'EUR',
		email: session?.email ?? `lead-${n}-${randomBytes(3).toString('hex')}@example.com`,
		first_name: first,
		last_name: last,
		customer_name: `${first} ${last}`,
		country: 'DE',
		campaign_id: CAMPAIGN_ID,
		completed_at: new Date(Date.UTC(2026, 10, 24, 12, 0, n % 60)).toISOString(),
	};
}

/** A delivery as CatalystPay sends it: the body, its headers, and a signature made with `secret`. */
export function delivery(body, secret) {
	return {
		body,
		headers: {
			'content-type': 'application/json',
			'user-agent': 'CatalystPay-Webhooks/1.0',
			'x-catalystpay-event': 'payment_session.completed',
			'x-catalystpay-signature': sign(body, secret),
			'x-catalystpay-delivery': `dlv_${randomBytes(12).toString('hex')}`,
		},
	};
}

// ------------------------------------------------------------------------------------------------
// The workflows
// ------------------------------------------------------------------------------------------------

const node = (name, type, typeVersion, x, parameters, extra = {}) => ({ id: randomUUID(), name, type, typeVersion, position: [x, 0], parameters, ...extra });
const NO_OP = (x) => node('No Operation', 'n8n-nodes-base.noOp', 1, x, {});
const to = (target) => ({ main: [[{ node: target, type: 'main', index: 0 }]] });

/**
 * The CatalystPay Trigger -> No Operation, at version 1.1 unless told otherwise (the figures before
 * version 2 were taken there); `parameters` adds version 2's, such as `respond`.
 */
export function catalystPayTrigger(name, confirmSessionStatus, typeVersion = 1.1, options = {}, parameters = {}) {
	const webhookId = randomUUID();
	return {
		name,
		path: `/webhook/${webhookId}/webhook`,
		nodes: [
			node('CatalystPay Trigger', 'n8n-nodes-catalystpay.catalystPayTrigger', typeVersion, 0, {
				events: ['payment_session.completed'],
				otherEvents: '',
				confirmSessionStatus,
				options,
				...parameters,
			}, { webhookId, credentials: CREDENTIAL }),
			NO_OP(240),
		],
		connections: { 'CatalystPay Trigger': to('No Operation') },
	};
}

function webhookNode(typeVersion, options = {}) {
	const webhookId = randomUUID();
	const path = `bench-v${typeVersion}-${webhookId.slice(0, 8)}`;
	return {
		path: `/webhook/${path}`,
		node: node('Webhook', 'n8n-nodes-base.webhook', typeVersion, 0, { httpMethod: 'POST', path, responseMode: 'onReceived', options }, { webhookId }),
	};
}

/** The Webhook node's version a user drops into a workflow today (n8n 2.41.1). */
export const WEBHOOK_VERSION = 2.1;

/** n8n's Webhook node (POST, answers at once) -> No Operation: no verification at all. */
export function plainWebhook(name, typeVersion = WEBHOOK_VERSION) {
	const { path, node: webhook } = webhookNode(typeVersion);
	return { name, path, nodes: [webhook, NO_OP(240)], connections: { Webhook: to('No Operation') } };
}

/** An IF (v2) that passes an item when `left` equals `right`; what a user puts after the signature check. */
function signatureIf(x, left, right) {
	return node('Signature OK?', 'n8n-nodes-base.if', 2.3, x, {
		conditions: {
			options: { caseSensitive: true, leftValue: '', typeValidation: 'strict', version: 2 },
			conditions: [{ id: randomUUID(), leftValue: left, rightValue: right, operator: { type: 'string', operation: 'equals' } }],
			combinator: 'and',
		},
		options: {},
	});
}

/**
 * Do it yourself, no code: Webhook (raw body on) -> Crypto v2 HMAC-SHA256 of the raw body with the
 * signing secret in a Crypto credential -> IF it equals the header -> No Operation. It accepts a
 * delivery only when the body on the wire is already the canonical form byte for byte (real
 * CatalystPay bodies are not). `credential` is what addCryptoCredential returned.
 */
export function diyCrypto(name, credential) {
	const { path, node: webhook } = webhookNode(WEBHOOK_VERSION, { rawBody: true });
	return {
		name,
		path,
		nodes: [
			webhook,
			node(
				'Crypto',
				'n8n-nodes-base.crypto',
				2,
				240,
				{ action: 'hmac', type: 'SHA256', binaryData: true, binaryPropertyName: 'data', dataPropertyName: 'expected', encoding: 'hex' },
				{ credentials: { crypto: credential } },
			),
			signatureIf(480, '={{ $json.expected }}', "={{ $json.headers['x-catalystpay-signature'] }}"),
			NO_OP(720),
		],
		connections: { Webhook: to('Crypto'), Crypto: to('Signature OK?'), 'Signature OK?': to('No Operation') },
	};
}

/**
 * Do it yourself in code: Webhook -> Code node running the integration guide's JavaScript sample
 * (sort keys, JSON.stringify, HMAC) -> IF valid -> No Operation. The Code node needs n8n's
 * NODE_FUNCTION_ALLOW_BUILTIN=crypto, as a user doing this sets.
 */
export function diyCode(name, secret) {
	const { path, node: webhook } = webhookNode(WEBHOOK_VERSION);
	const code = [
		"const crypto = require('crypto');",
		'function sortKeys(obj) {',
		"  if (typeof obj !== 'object' || obj === null) return obj;",
		'  if (Array.isArray(obj)) return obj.map(sortKeys);',
		'  return Object.keys(obj).sort().reduce((acc, key) => { acc[key] = sortKeys(obj[key]); return acc; }, {});',
		'}',
		'const canonical = JSON.stringify(sortKeys($json.body));',
		`const expected = crypto.createHmac('sha256', ${JSON.stringify(secret)}).update(canonical).digest('hex');`,
		"const signature = String($json.headers['x-catalystpay-signature'] ?? '');",
		'const valid = signature.length === expected.length && crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(signature));',
		'return { json: { ...$json, valid: String(valid) } };',
	].join('\n');
	return {
		name,
		path,
		nodes: [
			webhook,
			node('Code', 'n8n-nodes-base.code', 2, 240, { mode: 'runOnceForEachItem', jsCode: code }),
			signatureIf(480, '={{ $json.valid }}', 'true'),
			NO_OP(720),
		],
		connections: { Webhook: to('Code'), Code: to('Signature OK?'), 'Signature OK?': to('No Operation') },
	};
}

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
