/**
 * A paid order ships exactly once, in one n8n process (2.x and 1.x): the CatalystPay Trigger
 * (version 2) answers CatalystPay when the workflow has finished, so whatever n8n did not finish,
 * CatalystPay sends again, and the trigger runs again only what did not succeed.
 *
 * Faults are made by count: executions are held at the shop's checkpoint until the test has seen all
 * of them there, then n8n is killed (kill -9); the shipping API fails exactly the next N requests.
 * Retries are the sandbox's, as CatalystPay's would be. What is asserted is what the shop shipped.
 */
import { deliveriesSettled, PAYS, payThroughSandbox } from './flow';
import { sign } from '../../lib/signature';
import { addShippingWorkflow, type Shop, startShop } from './shop';
import type { Stack } from './stack';
import { eventually, startE2eStack } from './stack';

// CatalystPay's side: a delivery is sent again until it gets a 2xx, with backoff, long enough to
// outlast a restart of n8n on a slow machine.
/** The n8n versions the tests run (scripts/n8n-runtime.mjs N8N_VERSIONS): the default 2.x and the latest 1.x. */
const N8N_VERSIONS = ['2.41.1', '1.123.81'];

const RETRIES = { maxAttempts: 12, backoffMs: 1000, timeoutMs: 120_000 };

describe.each(N8N_VERSIONS)('n8n %s, one process: every paid order ships exactly once', (n8nVersion) => {
	let stack: Stack;
	let shop: Shop;

	beforeAll(async () => {
		stack = await startE2eStack({ n8nVersion, webhookRetries: RETRIES });
		shop = await startShop();
		const shipping = await addShippingWorkflow(stack, shop, { name: 'Ship paid orders', idPrefix: 'e' });
		stack.sandbox.config.campaigns[0].webhook.url = shipping.url;
	}, 20 * 60 * 1000);

	afterAll(async () => {
		await shop?.close();
		await stack?.stop();
	}, 2 * 60 * 1000);

	const resend = async (deliveryId: string) => {
		const res = await fetch(`${stack.sandbox.url}/_sandbox/deliveries/${deliveryId}/resend`, { method: 'POST' });
		return (await res.json()) as { id: string };
	};
	const settledResend = async (token: string, resentId: string) =>
		await eventually(`the resend ${resentId} to settle`, async () => (await deliveriesSettled(stack, token)).find((d) => d.id === resentId && d.state !== 'pending'));

	test('kill -9 of n8n while paid orders stand in the middle of the workflow: after the restart each ships once', async () => {
		shop.holdCheckpoints(true);
		const tokens: string[] = [];
		for (let i = 0; i < 3; i++) tokens.push(await payThroughSandbox(stack, PAYS, `crash-${i}@example.com`));
		await eventually('3 executions held at the checkpoint', async () => (shop.held() === 3 ? true : undefined));

		shop.holdCheckpoints(false);
		await stack.restart({ crash: true });

		for (const token of tokens) {
			await eventually(`order ${token} shipped`, async () => (shop.shipped(token) >= 1 ? true : undefined), 300_000);
			const deliveries = await deliveriesSettled(stack, token);
			expect(deliveries.map((d) => d.state)).toEqual(['delivered']);
			// The attempt n8n was killed in got no answer; a later one got 200.
			expect(deliveries[0].attempts[0].status).toBeNull();
			expect(deliveries[0].attempts[deliveries[0].attempts.length - 1].status).toBe(200);
		}
		for (const token of tokens) expect({ token, shipped: shop.shipped(token) }).toEqual({ token, shipped: 1 });
	}, 15 * 60 * 1000);

	test('the shipping API fails on the first try: CatalystPay is told so, sends it again, and it ships once; resends of it then ship nothing, also after a restart', async () => {
		shop.failNextShips(1);
		const token = await payThroughSandbox(stack, PAYS, 'ship-fails@example.com');
		const [delivery] = await eventually('the delivery to be answered 2xx', async () => {
			const deliveries = await deliveriesSettled(stack, token);
			return deliveries[0]?.state === 'delivered' ? deliveries : undefined;
		}, 300_000);
		// The failed execution was answered 500: CatalystPay kept the delivery and sent it again.
		expect(delivery.attempts.map((a) => a.status)).toEqual([500, 200]);
		expect(shop.shipAttempts(token)).toBe(2);
		expect(shop.shipped(token)).toBe(1);
		expect(shop.deliveryIds(token)).toEqual([expect.stringMatching(/^[A-Za-z0-9_-]{24}$/)]);

		// A resend of a delivery whose execution succeeded: answered 2xx, ships nothing.
		const again = await settledResend(token, (await resend(delivery.id)).id);
		expect(again.attempts.map((a) => a.status)).toEqual([200]);
		expect(shop.shipped(token)).toBe(1);

		// After a restart this process has forgotten everything; n8n's database has not.
		await stack.restart();
		const later = await settledResend(token, (await resend(delivery.id)).id);
		expect(later.attempts[later.attempts.length - 1].status).toBe(200);
		expect(shop.shipped(token)).toBe(1);
		expect(shop.shipAttempts(token)).toBe(2);
	}, 15 * 60 * 1000);

	test('copies of one delivery at the same instant, then its resends: one order', async () => {
		// CatalystPay's own bytes, sent 4 times at once straight to the trigger, as retries and a resend
		// racing each other would arrive: the first is held at the checkpoint while the others arrive.
		shop.holdCheckpoints(true);
		const token = await payThroughSandbox(stack, PAYS, 'copies@example.com');
		await eventually('the first delivery held at the checkpoint', async () => (shop.held() === 1 ? true : undefined));
		const [delivery] = [...stack.sandbox.store.deliveries.values()].filter((d) => d.session_token === token);
		let answered = 0;
		const copies = Array.from({ length: 4 }, async () => {
			const res = await fetch(delivery.url, {
				method: 'POST',
				headers: { 'content-type': 'application/json', 'x-catalystpay-event': delivery.event, 'x-catalystpay-signature': sign(delivery.body, stack.sandboxConfig.signingSecret) },
				body: delivery.body,
			});
			await res.text();
			answered++;
			return res.status;
		});
		// Let the first go on once every copy was answered (or one of them reached the checkpoint too, which
		// is a second order in the making: the assertion below then fails, it does not hang).
		await eventually('the copies answered', async () => (answered === 4 || shop.held() > 1 ? true : undefined));
		shop.holdCheckpoints(false);
		const answers = await Promise.all(copies);
		await deliveriesSettled(stack, token);
		// Each copy: 2xx (handled, or recognised as done) or 409 (told to retry while the first ran).
		for (const status of answers) expect([200, 409]).toContain(status);
		expect(shop.shipped(token)).toBe(1);
	}, 10 * 60 * 1000);

	test('the same paid session delivered again with other content, as late as it comes: runs nothing (one payment, one order)', async () => {
		const token = await payThroughSandbox(stack, PAYS, 'late@example.com');
		const [delivery] = await deliveriesSettled(stack, token);
		expect(shop.shipped(token)).toBe(1);
		// Another delivery of the same completion, signed as CatalystPay signs: other bytes, another deliveryId.
		const later = JSON.stringify({ ...JSON.parse(delivery.body), resent_at: '2026-12-24T00:00:00Z' });
		const res = await fetch(delivery.url, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'x-catalystpay-event': delivery.event, 'x-catalystpay-signature': sign(later, stack.sandboxConfig.signingSecret) },
			body: later,
		});
		await res.text();
		expect(res.status).toBe(200);
		// Answered when the workflow had finished: whatever it was going to ship, it has.
		expect(shop.shipped(token)).toBe(1);
	}, 10 * 60 * 1000);
});
