/**
 * The whole flow under injected faults, in n8n's engine: the node creates 500 sessions while the
 * sandbox answers 30% of API calls with 5xx, rate limits in bursts, adds latency spikes and drops
 * connections; every created session is paid, and the sandbox delivers the webhooks to the trigger,
 * which confirms each session through the same faulty API.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { CatalystPay } from '../../nodes/CatalystPay/CatalystPay.node';
import { CatalystPayTrigger } from '../../nodes/CatalystPayTrigger/CatalystPayTrigger.node';
import type { Sandbox } from '../../sandbox/src';
import type { WebhookServer } from '../helpers/n8nEngine';
import { runNode, startWebhookServer } from '../helpers/n8nEngine';
import { createSessionParameters, credentialTypes, payOnHostedPage, sandboxCredentials, startTestSandbox } from '../helpers/sandbox';

const ITEMS = 500;
let sandbox: Sandbox;
let trigger: WebhookServer;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
	process.on('unhandledRejection', onUnhandled);
	sandbox = await startTestSandbox((config) => {
		config.webhooks = { maxAttempts: 12, backoffMs: 20, timeoutMs: 30_000 };
		config.faults = {
			...config.faults,
			errorRate: 0.3,
			errorTiming: 'mixed',
			// 429 bursts by count: of every 25 API requests the last 3, on any machine.
			rateLimitEvery: 25,
			rateLimitBurst: 3,
			retryAfterSeconds: 1,
			spikeRate: 0.05,
			spikeMs: 150,
			latencyMs: 2,
			dropRate: 0.05,
			seed: 424242,
		};
	});
	trigger = await startWebhookServer({
		nodeType: new CatalystPayTrigger(),
		parameters: { events: ['payment_session.completed'], confirmSessionStatus: true },
		credentials: sandboxCredentials(sandbox),
		credentialTypes,
	});
	sandbox.config.campaigns[0].webhook.url = trigger.url;
});

afterAll(async () => {
	process.off('unhandledRejection', onUnhandled);
	await trigger.close();
	await sandbox.close();
});

test('every item has one outcome, no session is created twice, every payment starts one execution', async () => {
	const inputItems: INodeExecutionData[] = Array.from({ length: ITEMS }, (_, n) => ({ json: { email: `lead-${n}@example.com` } }));
	const { output, error } = await runNode({
		nodeType: new CatalystPay(),
		parameters: createSessionParameters({ email: '={{ $json.email }}', options: { concurrency: 10, retries: 4 } }),
		credentials: sandboxCredentials(sandbox),
		credentialTypes,
		inputItems,
		continueOnFail: true,
	});
	expect(error).toBeUndefined();

	// One outcome per input item, in order, paired.
	const out = output?.[0] ?? [];
	expect(out).toHaveLength(ITEMS);
	out.forEach((item, n) => {
		expect(item.pairedItem).toEqual({ item: n });
		expect(typeof item.json.session_token === 'string' || typeof item.json.error === 'string').toBe(true);
	});
	const created = out.filter((item) => typeof item.json.session_token === 'string');
	const failed = out.filter((item) => typeof item.json.error === 'string');
	expect(created.length + failed.length).toBe(ITEMS);
	// The faults really happened, and retries won most items back.
	expect(sandbox.faults.counts.error + sandbox.faults.counts.drop).toBeGreaterThan(100);
	expect(created.length).toBeGreaterThan(ITEMS / 2);

	// No lead got two sessions, and each returned token belongs to its own item's lead.
	const perEmail = new Map<string, number>();
	for (const session of sandbox.store.sessions.values()) perEmail.set(session.lead.email, (perEmail.get(session.lead.email) ?? 0) + 1);
	expect([...perEmail.values()].every((count) => count === 1)).toBe(true);
	for (const [n, item] of out.entries()) {
		if (item.json.session_token) expect(sandbox.store.sessions.get(item.json.session_token as string)?.lead.email).toBe(`lead-${n}@example.com`);
	}

	// Pay every created session; the webhooks go through the faulty confirmation.
	const tokens = created.map((item) => item.json.session_token as string);
	for (let i = 0; i < tokens.length; i += 25) {
		const batch = tokens.slice(i, i + 25);
		const answers = await Promise.all(batch.map(async (token) => await payOnHostedPage(sandbox, token, 'DE89370400440532013000')));
		expect(answers.every((answer) => answer.status === 303)).toBe(true);
	}
	await sandbox.webhooks.idle();
	await trigger.settled();

	const deliveries = [...sandbox.store.deliveries.values()];
	expect(deliveries).toHaveLength(tokens.length);
	expect(deliveries.filter((delivery) => delivery.state !== 'delivered')).toEqual([]);
	const executions = new Map<string, number>();
	for (const call of trigger.calls) {
		const token = ((call.workflowData?.[0]?.[0]?.json as IDataObject | undefined)?.payload as IDataObject | undefined)?.session_token;
		if (typeof token === 'string') executions.set(token, (executions.get(token) ?? 0) + 1);
	}
	expect(executions.size).toBe(tokens.length);
	expect([...executions.values()].every((count) => count === 1)).toBe(true);
	expect(trigger.calls.filter((call) => call.error)).toEqual([]);
	expect(unhandled).toEqual([]);
}, 10 * 60_000);
