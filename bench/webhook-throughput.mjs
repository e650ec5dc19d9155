#!/usr/bin/env node
/**
 * Benchmark: webhooks in a real n8n (the pinned 2.41.1 runtime, this package installed from its
 * packed tarball, SQLite, regular mode), the CatalystPay Trigger against what a user would build
 * instead, all in one n8n, in the same run; once under n8n's default expression engine and once
 * under N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true (what the README recommends for high volume), a
 * fresh n8n each:
 *
 *   A  CatalystPay Trigger, Confirm Session Status off -> No Operation
 *   D  CatalystPay Trigger, Confirm Session Status on  -> No Operation   (one GET of the session per
 *      delivery; the sessions are real and paid in the sandbox beforehand)
 *   B  n8n's Webhook node v2 -> No Operation: no verification at all, the ceiling n8n gives its own node
 *   E  do it yourself, no code: Webhook v2 (raw body) -> Crypto (HMAC-SHA256) -> IF -> No Operation
 *   F  do it yourself in code: Webhook v2 -> Code (the integration guide's JavaScript sample) -> IF -> No Operation
 *
 * 1. Throughput: the same signed ~350-byte deliveries to each, a fixed number in flight, in rounds
 *    that rotate the order (A D B E F, D B E F A, ...); n8n's saved executions are awaited after each
 *    round, so one endpoint's backlog never lands on another's. deliveries/s is to the last saved
 *    execution (what n8n can sustain), p50/p99 are of the HTTP answer. Lost: a non-2xx answer, or a
 *    delivery without exactly one saved execution. The bodies are sent in the canonical form with ASCII
 *    names, the only bodies E and F accept; a check after the rounds sends what CatalystPay's Python
 *    really sends (json.dumps defaults, customers named Müller) and counts what each lets through.
 * 2. A forged flood: wrongly signed deliveries at the same load. Refused/s is to the last saved
 *    execution where the workflow runs to refuse (E, F); executions is what n8n started for them.
 *
 *   npm run bench                        (all benchmarks; builds first)
 *   node bench/webhook-throughput.mjs [--per-round 150] [--rounds 3] [--in-flight 16] [--warmup 30]
 *        [--flood 300] [--settings default,lazy] [--only A,B,E] [--n8n-cpu-prof DIR]   (a CPU profile of n8n, written when it stops)
 * Figures are printed, never asserted: this is not a timed test.
 */
import { Agent } from 'undici';

import { arg } from './common.mjs';
import {
	addCryptoCredential,
	chosenSettings,
	addWorkflow,
	ASCII_NAMES,
	canonicalDumps,
	catalystPayTrigger,
	countExecutions,
	delivery,
	diyCode,
	diyCrypto,
	getWorkflow,
	listExecutions,
	paidSessions,
	payload,
	n8nErrorLines,
	plainWebhook,
	pythonDumps,
	runRounds,
	sendAll,
	settle,
	startBenchStack,
	Tally,
	UMLAUT_NAMES,
	verdict,
} from './n8n-webhooks.mjs';

const PER_ROUND = arg('per-round', 150);
const ROUNDS = arg('rounds', 3);
const IN_FLIGHT = arg('in-flight', 16);
const WARMUP = arg('warmup', 30);
const FLOOD = arg('flood', 300);
const textArg = (name) => {
	const at = process.argv.indexOf(`--${name}`);
	return at >= 0 ? process.argv[at + 1] : undefined;
};
const ONLY = textArg('only')?.split(',');
const CPU_PROF_DIR = textArg('n8n-cpu-prof');

const LABEL = {
	A: 'CatalystPay Trigger (confirm off)',
	D: 'CatalystPay Trigger (confirm on)',
	B: 'Webhook node v2 alone (no check)',
	E: 'do it yourself: Webhook + Crypto + IF',
	F: 'do it yourself: Webhook + Code + IF',
};
const DIY = ['E', 'F'];

async function measure(setting) {
	const t0 = Date.now();
	// What a user building F sets so that a Code node may use node:crypto.
	const stack = await startBenchStack({
		n8nEnv: { NODE_FUNCTION_ALLOW_BUILTIN: 'crypto', ...setting.env },
		nodeArgs: CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : [],
	});
	const agent = new Agent({ connections: IN_FLIGHT, pipelining: 1, keepAliveTimeout: 60000, keepAliveMaxTimeout: 60000 });
	try {
		const env = stack.runtime;
		const secret = stack.sandboxConfig.signingSecret;
		const engine = Object.entries(setting.env).map(([name, value]) => `${name}=${value}`).join(' ') || 'as shipped';
		console.log(
			`\n=== Expression engine ${setting.name} (${engine}: ${setting.describe}) ===\n` +
				`Webhooks in real n8n ${env.n8nVersion} (Node ${env.nodeVersion}, SQLite, regular mode, every execution saved), ` +
				`started in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
		);
		const workflows = {
			A: () => catalystPayTrigger('Bench: CatalystPay Trigger, confirm off', false),
			D: () => catalystPayTrigger('Bench: CatalystPay Trigger, confirm on', true),
			B: () => plainWebhook('Bench: Webhook node v2'),
			E: async () => diyCrypto('Bench: do it yourself, Crypto', await addCryptoCredential(stack, secret)),
			F: () => diyCode('Bench: do it yourself, Code', secret),
		};
		const endpoints = {};
		for (const [key, workflow] of Object.entries(workflows)) {
			if (!ONLY || ONLY.includes(key)) endpoints[key] = await addWorkflow(stack, await workflow());
		}
		const keys = Object.keys(endpoints);

		const sessions = endpoints.D ? await paidSessions(stack, WARMUP + PER_ROUND * ROUNDS, ASCII_NAMES) : [];
		const make = (key, count, offset) =>
			Array.from({ length: count }, (_, k) =>
				delivery(canonicalDumps(payload(offset + k, { names: ASCII_NAMES, session: key === 'D' ? sessions[offset + k] : undefined })), secret),
			);
		const sizes = make('A', 20, 0).map((d) => Buffer.byteLength(d.body));
		console.log(
			`  ${ROUNDS} rounds x ${PER_ROUND} deliveries per endpoint (after ${WARMUP} unmeasured), ${IN_FLIGHT} in flight, undici keep-alive; ` +
				`bodies ${Math.min(...sizes)}-${Math.max(...sizes)} bytes, distinct, canonical, e.g. ${make('A', 1, 1)[0].body}`,
		);

		// -------------------------------------------------------------------- 1. throughput
		const tallies = await runRounds(stack, agent, endpoints, make, { rounds: ROUNDS, perRound: PER_ROUND, warmup: WARMUP, inFlight: IN_FLIGHT });

		console.log('\n  1. Throughput (deliveries/s to the last saved execution; p50/p99 of the HTTP answer)');
		const lost = {};
		for (const key of keys) {
			const t = tallies[key];
			const executions = await countExecutions(stack, endpoints[key].id);
			lost[key] = t.sent - t.answered((s) => s >= 200 && s < 300) + Math.abs(WARMUP + t.sent - executions);
			console.log(
				`  ${key} ${LABEL[key].padEnd(40)} ${t.rate.toFixed(0).padStart(5)} deliveries/s   p50 ${t.p(50).toFixed(1).padStart(6)} ms   ` +
					`p99 ${t.p(99).toFixed(1).padStart(6)} ms   lost ${lost[key]}   (executions ${executions}/${WARMUP + t.sent})`,
			);
			if (lost[key] > 0) console.log(`      answers: ${JSON.stringify(Object.fromEntries(t.statuses))}`);
		}
		const rate = (key) => tallies[key]?.rate;
		const bestDiy = DIY.filter((key) => tallies[key]).sort((a, b) => rate(b) - rate(a))[0];
		if (tallies.A && bestDiy) {
			console.log(
				`  goal: trigger >= 1.5x the faster do-it-yourself workflow (${bestDiy}): ${verdict(rate('A') / rate(bestDiy), 1.5)}` +
					(tallies.D ? `; with Confirm Session Status on: ${(rate('D') / rate(bestDiy)).toFixed(2)}x` : ''),
			);
		}
		if (tallies.A && tallies.B) console.log(`  trigger / Webhook node v2 alone: ${(rate('A') / rate('B')).toFixed(2)}x (the engine settings benchmark goes after this)`);
		const totalLost = Object.values(lost).reduce((a, b) => a + b, 0);
		console.log(`  goal: nothing lost: ${totalLost === 0 ? 'MET' : `MISSED (${totalLost} lost)`}`);

		// What each lets through of the deliveries CatalystPay really sends: json.dumps with its
		// default separators, and customers with and without umlauts.
		const realSessions = endpoints.D ? await paidSessions(stack, 8, [...ASCII_NAMES, ...UMLAUT_NAMES]) : [];
		const genuine = (key) =>
			Array.from({ length: 8 }, (_, n) =>
				delivery(pythonDumps(payload(n, { names: [...ASCII_NAMES, ...UMLAUT_NAMES], session: key === 'D' ? realSessions[n] : undefined })), secret),
			);
		const accepted = {};
		for (const key of keys) {
			const before = new Set((await listExecutions(stack, endpoints[key].id)).map((e) => e.id));
			const run = await sendAll(agent, endpoints[key].url, genuine(key), IN_FLIGHT);
			await settle(stack, endpoints[key].id, before.size + (key === 'A' || key === 'D' ? run.statuses.get(200) ?? 0 : 8));
			const fresh = (await listExecutions(stack, endpoints[key].id, { includeData: true })).filter((e) => !before.has(e.id));
			// Let through: the workflow reached No Operation.
			accepted[key] = fresh.filter((e) => e.data?.resultData?.runData?.['No Operation']).length;
		}
		console.log(
			`  genuine CatalystPay bodies (json.dumps defaults; 4 of 8 customers with umlauts) let through: ` +
				keys.map((key) => `${key} ${accepted[key]}/8`).join(', ') +
				(keys.includes('E') || keys.includes('F') ? '  (E needs the canonical bytes on the wire; F is the guide\'s sample, wrong for non-ASCII)' : ''),
		);

		// -------------------------------------------------------------------- 2. forged flood
		const floodKeys = keys.filter((key) => key !== 'D');
		const floods = {};
		for (const key of floodKeys) {
			const forged = make(key, FLOOD, 10_000 + FLOOD * floodKeys.indexOf(key)).map((d) => ({
				body: d.body,
				headers: { ...d.headers, 'x-catalystpay-signature': 'f'.repeat(64) },
			}));
			const before = await countExecutions(stack, endpoints[key].id);
			const run = await sendAll(agent, endpoints[key].url, forged, IN_FLIGHT);
			// The trigger starts none; the others one each, which is where their refusal happens.
			const expected = key === 'A' ? 0 : FLOOD;
			const settled = await settle(stack, endpoints[key].id, before + expected);
			const tally = new Tally();
			tally.add(FLOOD, run, settled.ms);
			floods[key] = { tally, executions: (await countExecutions(stack, endpoints[key].id)) - before };
		}
		console.log(`\n  2. A forged flood: ${FLOOD} wrongly signed deliveries, ${IN_FLIGHT} in flight (refused/s to the last saved execution)`);
		for (const key of floodKeys) {
			const { tally, executions } = floods[key];
			const answers = Object.entries(Object.fromEntries(tally.statuses))
				.map(([status, n]) => `${n}x ${status}`)
				.join(', ');
			console.log(
				`  ${key} ${LABEL[key].padEnd(40)} ${tally.rate.toFixed(0).padStart(5)} refused/s   executions started ${String(executions).padStart(4)}   answers: ${answers}` +
					(key === 'B' ? '   (refuses nothing)' : ''),
			);
		}
		const floodDiy = DIY.filter((key) => floods[key]).sort((a, b) => floods[b].tally.rate - floods[a].tally.rate)[0];
		if (floods.A && floodDiy) {
			console.log(
				`  goal: trigger refuses >= 3x faster than the faster do-it-yourself workflow (${floodDiy}): ${verdict(floods.A.tally.rate / floods[floodDiy].tally.rate, 3)}; ` +
					`goal: zero executions: ${floods.A.executions === 0 ? 'MET' : `MISSED (${floods.A.executions})`}`,
			);
		}

		// The trigger's memory of recent deliveries, as n8n saved it in the workflow's static data.
		if (endpoints.A) {
			const stored = await getWorkflow(stack, endpoints.A.id);
			const remembered = Object.keys(stored.staticData?.['node:CatalystPay Trigger']?.recentDeliveries ?? {}).length;
			console.log(`\n  trigger A's persisted repeat memory: ${remembered} entries (min(deliveries, 1,000): what catches a repeat after n8n restarts)`);
		}
		const problems = n8nErrorLines(stack);
		console.log(`  n8n log: ${problems.length} error lines${problems.length ? `, first: ${problems.slice(0, 3).join(' | ')}` : ''}`);
		if (totalLost > 0) process.exitCode = 1;
	} finally {
		await agent.close();
		await stack.stop();
	}
}

async function main() {
	for (const setting of chosenSettings(['default', 'lazy'])) await measure(setting);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
