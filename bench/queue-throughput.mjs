#!/usr/bin/env node
/**
 * Benchmark: signed deliveries through n8n in queue mode (Postgres, Redis, nginx in front, n8n main,
 * N webhook processes, one worker), with 1 and with 2 webhook processes, in the same run.
 *
 * The workflow is the queue-mode example as shipped (examples/queue-mode/payment-events.json):
 * CatalystPay Trigger (version 2: answered when the workflow has finished) with Confirm Session
 * Status on -> a Switch on the status -> "Ship the order" (the gate on deliveryId and the order row in
 * one statement). The sessions are real: created and paid in the sandbox beforehand, with the sandbox's own
 * webhooks caught by a recorder here; the recorded deliveries (CatalystPay's exact bytes and
 * signature) are then sent through nginx, a fixed number in flight.
 *
 * Reported per setup: deliveries/s answered, p50/p99 of the answer, orders/s (until the last order
 * row is written by the worker), lost (a non-2xx answer, or a delivery without its order) and
 * doubled (an order shipped twice).
 *
 * Then, per setup, what the proxy's routing does for copies of one delivery arriving at the same
 * instant (CatalystPay retrying while the first attempt is still open): two copies of each of
 * --copies further deliveries, sent together through nginx. nginx hashing on X-CatalystPay-Signature
 * (what the README recommends) against round robin: how many copies the trigger caught and how many
 * started an execution that only the Postgres gate stopped. And, with 2 webhook processes, a copy of
 * each delivery sent straight to the other process right after the first was answered: with the
 * trigger at version 2 (answered when the workflow has finished) the worker finds it done at once.
 * Figures are printed, never asserted.
 *
 *   npm run build && npm run build:sandbox && node bench/queue-throughput.mjs [--deliveries 300] [--in-flight 16] [--copies 40] [--window 20]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Agent, request } from 'undici';

import { arg, percentile, sleep } from './common.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { startQueueStack } = require(join(ROOT, 'scripts', 'n8n-queue-stack.cjs'));

const DELIVERIES = arg('deliveries', 300);
const IN_FLIGHT = arg('in-flight', 16);
const COPIES = arg('copies', 40);
const WINDOW_DELIVERIES = arg('window', 20);

/**
 * CPU seconds used so far by each server and every process below it (n8n with its task runner,
 * PostgreSQL with its backends, which leave its process group), from /proc; and this process (the
 * load and the sandbox).
 */
function cpuSeconds(stack) {
	const parent = new Map();
	const own = new Map();
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			// Fields after the command's closing parenthesis: state ppid pgrp ... utime(12th) stime(13th).
			const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ').pop().split(' ');
			parent.set(Number(entry), Number(fields[1]));
			own.set(Number(entry), (Number(fields[11]) + Number(fields[12])) / 100);
		} catch {
			// the process ended meanwhile
		}
	}
	const rootOf = new Map(Object.entries(stack.processGroups()).map(([name, pid]) => [pid, name]));
	const seconds = {};
	for (const [pid, cpu] of own) {
		for (let at = pid; at > 1; at = parent.get(at) ?? 0) {
			const name = rootOf.get(at);
			if (name) {
				seconds[name] = (seconds[name] ?? 0) + cpu;
				break;
			}
		}
	}
	const usage = process.cpuUsage();
	return { ...seconds, 'bench + sandbox': (usage.user + usage.system) / 1e6 };
}
const cpuSpent = (before, after) => Object.fromEntries(Object.entries(after).map(([name, seconds]) => [name, seconds - (before[name] ?? 0)]));

/** Catches the sandbox's webhooks: the exact bytes and headers CatalystPay would send. */
async function startRecorder() {
	const recorded = [];
	const server = createServer((req, res) => {
		const chunks = [];
		req.on('data', (chunk) => chunks.push(chunk));
		req.on('end', () => {
			recorded.push({ body: Buffer.concat(chunks), headers: { ...req.headers } });
			res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
		});
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	return { url: `http://127.0.0.1:${server.address().port}/`, recorded, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** Creates and pays `count` sessions in the sandbox; returns the signed deliveries it sent. */
async function paidDeliveries(stack, count) {
	const recorder = await startRecorder();
	const { sandbox, sandboxConfig } = stack;
	const campaign = sandbox.config.campaigns[0];
	const target = campaign.webhook.url;
	campaign.webhook.url = recorder.url;
	try {
		for (let i = 0; i < count; i += 20) {
			await Promise.all(
				Array.from({ length: Math.min(20, count - i) }, async (_, j) => {
					const n = i + j;
					const created = await fetch(`${sandbox.url}/api/v1/payment-sessions/`, {
						method: 'POST',
						headers: { authorization: `Bearer ${sandboxConfig.apiKey}`, 'content-type': 'application/json' },
						body: JSON.stringify({
							campaign_id: campaign.id,
							lead: { first_name: 'Jürgen', last_name: 'Müller', email: `bench-${n}@example.com`, country: 'DE' },
						}),
					});
					const { session_token: token } = await created.json();
					const paid = await fetch(`${sandbox.url}/s/${token}`, {
						method: 'POST',
						headers: { 'content-type': 'application/x-www-form-urlencoded' },
						body: new URLSearchParams({ iban: 'DE89370400440532013000', account_holder: 'Jürgen Müller' }).toString(),
						redirect: 'manual',
					});
					await paid.text();
				}),
			);
		}
		await sandbox.webhooks.idle();
	} finally {
		campaign.webhook.url = target;
		await recorder.close();
	}
	return recorder.recorded.map(({ body, headers }) => ({
		body,
		headers: {
			'content-type': 'application/json',
			'x-catalystpay-event': headers['x-catalystpay-event'],
			'x-catalystpay-signature': headers['x-catalystpay-signature'],
		},
	}));
}

const ordersTotal = async (stack) => Number((await stack.sql('SELECT count(*) AS n FROM catalystpay_orders'))[0].n);

/** Two copies of each delivery at the same instant through nginx: which layer stopped the second. */
async function sendCopies(stack, deliveries) {
	const ordersBefore = await ordersTotal(stack);
	let executions = 0;
	let caughtByTrigger = 0;
	let refused = 0;
	const answered = [];
	for (let i = 0; i < deliveries.length; i += 4) {
		await Promise.all(
			deliveries.slice(i, i + 4).map(async (delivery, j) => {
				const answers = await Promise.all(
					[0, 1].map(async () => {
						const res = await request(stack.webhookUrl, { method: 'POST', headers: delivery.headers, body: delivery.body });
						const text = await res.body.text();
						return { status: res.statusCode, duplicate: res.statusCode === 200 && /"duplicate"/.test(text) };
					}),
				);
				answered.push({ index: i + j, statuses: answers.map((answer) => answer.status) });
				for (const answer of answers) {
					if (answer.status === 409 || answer.duplicate) caughtByTrigger++;
					else if (answer.status === 200) executions++;
					else refused++;
				}
			}),
		);
	}
	// Every started execution has finished when its order is written; the gated ones finish alongside.
	const deadline = Date.now() + 5 * 60_000;
	let orders = 0;
	const accepted = new Set(answered.filter(({ statuses }) => statuses.includes(200)).map(({ index }) => index)).size;
	while ((orders = (await ordersTotal(stack)) - ordersBefore) < accepted && Date.now() < deadline) await sleep(100);
	return { payments: deliveries.length, caughtByTrigger, gatedExecutions: executions - orders, orders, refused };
}

/**
 * A copy of each delivery sent straight to the other webhook process right after the first copy was
 * answered: with the trigger at version 2 the answer comes when the workflow has finished, so the
 * copy finds the delivery done on the worker at once (no repeat window). Counts copies that recorded
 * an order (none expected) and the copy's answer time.
 */
async function repeatWindow(stack, deliveries) {
	const [first, other] = stack.webhookProcessUrls.map((url) => `${url}${stack.webhookPath}`);
	const latencies = [];
	let shipped = 0;
	for (const delivery of deliveries) {
		const send = async (url) => {
			const res = await request(url, { method: 'POST', headers: delivery.headers, body: delivery.body });
			await res.body.text();
			return res.statusCode;
		};
		const answered = await send(first);
		if (answered !== 200) throw new Error(`the first copy was answered ${answered}`);
		const before = await ordersTotal(stack);
		const t0 = process.hrtime.bigint();
		const copy = await send(other);
		latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
		if (copy !== 200) throw new Error(`the copy was answered ${copy}`);
		shipped += (await ordersTotal(stack)) - before;
	}
	latencies.sort((a, b) => a - b);
	return { deliveries: deliveries.length, copyAnswerP50: percentile(latencies, 50), copyAnswerMax: latencies[latencies.length - 1], shipped };
}

async function measure({ webhookProcesses, proxyBalance }) {
	const stack = await startQueueStack({
		install: 'pack',
		webhookProcesses,
		proxyBalance,
		logLevel: 'warn',
		log: (line) => process.stderr.write(`  [stack] ${line}\n`),
	});
	try {
		const windowed = webhookProcesses > 1 && proxyBalance === 'signature' ? WINDOW_DELIVERIES : 0;
		const paid = await paidDeliveries(stack, DELIVERIES + COPIES + windowed);
		const deliveries = paid.slice(0, DELIVERIES);
		const ordersBefore = Number((await stack.sql('SELECT count(*) AS n FROM catalystpay_orders'))[0].n);
		const dispatcher = new Agent({ connections: IN_FLIGHT, pipelining: 1 });
		const latencies = [];
		let failed = 0;
		let next = 0;
		const cpuBefore = cpuSeconds(stack);
		const t0 = process.hrtime.bigint();
		await Promise.all(
			Array.from({ length: IN_FLIGHT }, async () => {
				for (let i = next++; i < deliveries.length; i = next++) {
					const started = process.hrtime.bigint();
					try {
						const res = await request(stack.webhookUrl, { method: 'POST', headers: deliveries[i].headers, body: deliveries[i].body, dispatcher });
						await res.body.text();
						if (res.statusCode < 200 || res.statusCode >= 300) failed++;
					} catch {
						failed++;
					}
					latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
				}
			}),
		);
		const answeredSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
		// The worker ships the orders after the answers: wait for the last one (a ceiling, not a target).
		let orders = 0;
		const deadline = Date.now() + 10 * 60_000;
		for (;;) {
			orders = Number((await stack.sql('SELECT count(*) AS n FROM catalystpay_orders'))[0].n) - ordersBefore;
			// A delivery answered non-2xx is lost already (counted below): do not wait for its order.
			if (orders >= deliveries.length - failed || Date.now() > deadline) break;
			await sleep(100);
		}
		const orderedSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
		const cpu = cpuSpent(cpuBefore, cpuSeconds(stack));
		const doubled = Number(
			(await stack.sql('SELECT count(*) AS n FROM (SELECT session_token FROM catalystpay_orders GROUP BY session_token HAVING count(*) > 1) d'))[0].n,
		);
		await dispatcher.close();
		latencies.sort((a, b) => a - b);
		const copies = await sendCopies(stack, paid.slice(DELIVERIES, DELIVERIES + COPIES));
		const window = windowed > 0 ? await repeatWindow(stack, paid.slice(DELIVERIES + COPIES)) : undefined;
		const doubledAfterCopies = Number(
			(await stack.sql('SELECT count(*) AS n FROM (SELECT session_token FROM catalystpay_orders GROUP BY session_token HAVING count(*) > 1) d'))[0].n,
		);
		return {
			webhookProcesses,
			proxyBalance,
			copies,
			window,
			cpu,
			elapsed: orderedSeconds,
			deliveries: deliveries.length,
			perSecond: deliveries.length / answeredSeconds,
			p50: percentile(latencies, 50),
			p99: percentile(latencies, 99),
			ordersPerSecond: orders / orderedSeconds,
			lost: failed + Math.max(0, deliveries.length - orders) + copies.refused + Math.max(0, copies.payments - copies.orders),
			doubled: Math.max(doubled, doubledAfterCopies),
		};
	} finally {
		await stack.stop();
	}
}

console.log(`Queue mode: ${DELIVERIES} paid sessions' deliveries through nginx, ${IN_FLIGHT} in flight, Confirm Session Status on, Postgres gate`);
const setups = [
	{ webhookProcesses: 1, proxyBalance: 'signature' },
	{ webhookProcesses: 2, proxyBalance: 'signature' },
	{ webhookProcesses: 2, proxyBalance: 'round-robin' },
];
const results = [];
for (const setup of setups) {
	process.stderr.write(`\nstarting the queue-mode stack: ${JSON.stringify(setup)}\n`);
	results.push(await measure(setup));
}
console.log('\nwebhook processes | nginx       | deliveries/s answered | p50      | p99      | orders/s | lost | doubled');
for (const r of results) {
	console.log(
		`${String(r.webhookProcesses).padEnd(17)} | ${r.proxyBalance.padEnd(11)} | ${r.perSecond.toFixed(1).padEnd(21)} | ${`${r.p50.toFixed(0)} ms`.padEnd(8)} | ${`${r.p99.toFixed(0)} ms`.padEnd(8)} | ${r.ordersPerSecond.toFixed(1).padEnd(8)} | ${String(r.lost).padEnd(4)} | ${r.doubled}`,
	);
}
console.log('\nCPU seconds per server while the deliveries above were sent and shipped (the machine has ' + (await import('node:os')).cpus().length + ' cores):');
for (const r of results) {
	const parts = Object.entries(r.cpu).filter(([, seconds]) => seconds >= 0.05).map(([name, seconds]) => `${name} ${seconds.toFixed(1)}`);
	console.log(`  ${r.webhookProcesses} webhook process(es), ${r.proxyBalance}: ${parts.join(', ')} (of ${r.elapsed.toFixed(0)} s elapsed)`);
}
console.log(`\nTwo copies of each of ${COPIES} deliveries at the same instant through nginx (${COPIES * 2} copies):`);
console.log('webhook processes | nginx       | caught at a webhook process | executions that recorded no order (worker or gate) | orders');
for (const r of results) {
	const c = r.copies;
	console.log(`${String(r.webhookProcesses).padEnd(17)} | ${r.proxyBalance.padEnd(11)} | ${String(c.caughtByTrigger).padEnd(27)} | ${String(c.gatedExecutions).padEnd(50)} | ${c.orders}/${c.payments}`);
}
for (const r of results.filter((result) => result.window)) {
	const w = r.window;
	console.log(
		`\nA copy sent to the other webhook process right after the first was answered: answered in ${w.copyAnswerP50.toFixed(0)} ms (median; longest ` +
			`${w.copyAnswerMax.toFixed(0)} ms), ${w.shipped} of ${w.deliveries} recorded an order (the worker found each done)`,
	);
}
const [one, two] = results;
console.log(`\n2 webhook processes / 1: ${(two.perSecond / one.perSecond).toFixed(2)}x deliveries answered, ${(two.ordersPerSecond / one.ordersPerSecond).toFixed(2)}x orders shipped`);
console.log(`Goal: zero lost and zero doubled: ${results.every((r) => r.lost === 0 && r.doubled === 0) ? 'met' : 'MISSED'}`);
if (results.some((r) => r.lost > 0 || r.doubled > 0)) process.exitCode = 1;
