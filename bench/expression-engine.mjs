#!/usr/bin/env node
/**
 * Benchmark: the CatalystPay Trigger against n8n's Webhook node v2 under each of n8n's expression
 * engine settings, one fresh n8n 2.41.1 per setting, both measured in the same n8n:
 *
 *   default   N8N_EXPRESSION_ENGINE=vm: an isolate for every webhook request, except for the Webhook
 *             node v2 with static parameters (webhookPhaseNeedsIsolate in n8n's live-webhooks.js),
 *             and one for every execution
 *   lazy      N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true: an isolate only once an expression is evaluated
 *   legacy    N8N_EXPRESSION_ENGINE=legacy: expressions in n8n's own process, no isolates
 *
 *   A   CatalystPay Trigger 1.1 (what a user drops in today), Confirm Session Status off -> No Operation
 *   A1  the same at version 1 (workflows saved before 1.1): n8n evaluates an expression for every
 *       request to a trigger at version 1 (parseRequestBody in n8n's webhook-helpers.js)
 *   A0  A with Ignore Repeats For 0 minutes (diagnostic: what remembering deliveries costs, the
 *       static data n8n saves with the workflow after every execution)
 *   B   Webhook node v2 -> No Operation
 *
 * Same signed, distinct ~350-byte deliveries, a fixed number in flight, rounds rotating the order;
 * deliveries/s to the last saved execution (bench/n8n-webhooks.mjs, runRounds).
 *
 *   npm run bench
 *   node bench/expression-engine.mjs [--per-round 150] [--rounds 2] [--in-flight 16] [--warmup 30] [--settings default,lazy,legacy]
 * Figures are printed, never asserted: this is not a timed test.
 */
import { Agent } from 'undici';

import { arg } from './common.mjs';
import {
	addWorkflow,
	chosenSettings,
	ASCII_NAMES,
	canonicalDumps,
	catalystPayTrigger,
	delivery,
	n8nErrorLines,
	payload,
	plainWebhook,
	runRounds,
	startBenchStack,
	verdict,
} from './n8n-webhooks.mjs';

const PER_ROUND = arg('per-round', 150);
const ROUNDS = arg('rounds', 2);
const IN_FLIGHT = arg('in-flight', 16);
const WARMUP = arg('warmup', 30);
const SETTINGS = chosenSettings(['default', 'lazy', 'legacy']);

const LABEL = {
	A: 'CatalystPay Trigger 1.1',
	A1: 'CatalystPay Trigger 1 (older workflows)',
	A0: 'Trigger 1.1, repeat memory off (diagnostic)',
	B: 'Webhook node v2',
};

async function measure(setting) {
	const stack = await startBenchStack({ n8nEnv: setting.env });
	const agent = new Agent({ connections: IN_FLIGHT, pipelining: 1, keepAliveTimeout: 60000, keepAliveMaxTimeout: 60000 });
	try {
		const endpoints = {
			A: await addWorkflow(stack, catalystPayTrigger('Bench: CatalystPay Trigger 1.1', false, 1.1)),
			A1: await addWorkflow(stack, catalystPayTrigger('Bench: CatalystPay Trigger 1', false, 1)),
			A0: await addWorkflow(stack, catalystPayTrigger('Bench: CatalystPay Trigger 1.1, repeats not detected', false, 1.1, { ignoreRepeatsMinutes: 0 })),
			B: await addWorkflow(stack, plainWebhook('Bench: Webhook node v2')),
		};
		const secret = stack.sandboxConfig.signingSecret;
		const make = (_key, count, offset) =>
			Array.from({ length: count }, (_, k) => delivery(canonicalDumps(payload(offset + k, { names: ASCII_NAMES })), secret));
		const tallies = await runRounds(stack, agent, endpoints, make, { rounds: ROUNDS, perRound: PER_ROUND, warmup: WARMUP, inFlight: IN_FLIGHT });
		const env = Object.entries(setting.env).map(([name, value]) => `${name}=${value}`).join(' ') || "n8n's defaults";
		console.log(`\n  ${setting.name} (${env}), n8n ${stack.runtime.n8nVersion}:`);
		for (const [key, tally] of Object.entries(tallies)) {
			const ok = tally.answered((s) => s >= 200 && s < 300);
			console.log(
				`    ${key.padEnd(2)} ${LABEL[key].padEnd(40)} ${tally.rate.toFixed(0).padStart(5)} deliveries/s   p50 ${tally.p(50).toFixed(1).padStart(6)} ms   ` +
					`p99 ${tally.p(99).toFixed(1).padStart(6)} ms   non-2xx ${tally.sent - ok}`,
			);
		}
		const problems = n8nErrorLines(stack);
		if (problems.length > 0) console.log(`    n8n log: ${problems.length} error lines, first: ${problems.slice(0, 3).join(' | ')}`);
		return { name: setting.name, env, ratio: tallies.A.rate / tallies.B.rate, ratioV1: tallies.A1.rate / tallies.B.rate };
	} finally {
		await agent.close();
		await stack.stop();
	}
}

async function main() {
	console.log(
		`The trigger against the Webhook node v2 under n8n's expression engine settings: ${ROUNDS} rounds x ${PER_ROUND} deliveries per endpoint ` +
			`(after ${WARMUP} unmeasured), ${IN_FLIGHT} in flight, a fresh n8n per setting`,
	);
	const results = [];
	for (const setting of SETTINGS) results.push(await measure(setting));
	console.log('\n  trigger / Webhook node v2, per setting (each measured in one n8n):');
	for (const r of results) console.log(`    ${r.name.padEnd(8)} 1.1: ${r.ratio.toFixed(2)}x   1: ${r.ratioV1.toFixed(2)}x   (${r.env})`);
	const best = [...results].sort((a, b) => b.ratio - a.ratio)[0];
	if (best) console.log(`  goal: within 0.9x of the Webhook node v2 under the best setting (${best.name}): ${verdict(best.ratio, 0.9)}`);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
