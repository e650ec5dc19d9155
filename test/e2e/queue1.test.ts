/**
 * Queue mode on n8n 1.x: the queue-mode stack of queue.test.ts (PostgreSQL, Redis, nginx, n8n main,
 * two webhook processes, a worker; the queue-mode example published) on n8n 1.123.81. Payments made
 * on the sandbox's hosted page reach the trigger (version 2, answered when the workflow has finished)
 * through nginx, run on the worker and record one order each in the app database; CatalystPay sending
 * every delivery again ships nothing again. The full set of queue-mode cases runs on 2.x (queue.test.ts).
 */
import type { Delivery } from '../../sandbox/src';
import { createSessionViaApi, payOnHostedPage } from '../helpers/sandbox';
import type { QueueStack } from './stack';
import { reportRun, startQueueE2eStack, timed } from './stack';

const N8N_1 = '1.123.81';
const PAYS = 'DE89370400440532013000';
const PAYMENTS = 6;

let stack: QueueStack;
const timings: Record<string, number> = {};

beforeAll(async () => {
	stack = await timed(timings, 'stackStart', () => startQueueE2eStack({ n8nVersion: N8N_1 }));
}, 20 * 60 * 1000);

afterAll(async () => {
	await stack?.stop();
	reportRun('e2e queue 1.x', stack, timings, '; in queue mode');
}, 3 * 60 * 1000);

async function orderCounts(tokens: string[]): Promise<number[]> {
	const rows = await stack.sql<{ session_token: string; n: string }>(
		'SELECT session_token, count(*) AS n FROM catalystpay_orders WHERE session_token = ANY($1) GROUP BY session_token',
		[tokens],
	);
	return tokens.map((token) => Number(rows.find((row) => row.session_token === token)?.n ?? 0));
}

const lastAnswers = (deliveries: Delivery[]) => deliveries.map((d) => d.attempts[d.attempts.length - 1]?.status ?? null);

test(`n8n ${N8N_1} in queue mode: each payment ships one order, and CatalystPay's resends ship nothing`, async () => {
	expect(stack.runtime.n8nVersion).toBe(N8N_1);
	const tokens: string[] = [];
	for (let i = 0; i < PAYMENTS; i++) {
		const { session_token: token } = await createSessionViaApi(stack.sandbox, {
			first_name: 'Jürgen',
			last_name: 'Müller',
			email: `queue1-${i}@example.com`,
			country: 'DE',
		});
		const paid = await payOnHostedPage(stack.sandbox, token, PAYS);
		await paid.text();
		expect(paid.status).toBe(303);
		tokens.push(token);
	}
	await stack.sandbox.webhooks.idle();
	const firsts = [...stack.sandbox.store.deliveries.values()].filter((d) => d.session_token !== null && tokens.includes(d.session_token));
	expect(firsts.map((d) => d.state)).toEqual(tokens.map(() => 'delivered'));
	expect(lastAnswers(firsts)).toEqual(tokens.map(() => 200));
	expect(await orderCounts(tokens)).toEqual(tokens.map(() => 1));

	// CatalystPay sends every delivery again (the same bytes and signature, through nginx).
	const resends = firsts.map((d) => stack.sandbox.webhooks.resend(d.id) as Delivery);
	await stack.sandbox.webhooks.idle();
	expect(lastAnswers(resends)).toEqual(tokens.map(() => 200));
	expect(await orderCounts(tokens)).toEqual(tokens.map(() => 1));
}, 15 * 60 * 1000);
