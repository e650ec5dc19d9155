/**
 * The editor's test runs and production never share the trigger's memory, in a real n8n 2.41.1: a
 * delivery sent to the Test URL while the editor listens for a test event (what "Execute workflow"
 * does) runs there, and the same delivery at the Production URL afterwards still runs, once. Were the
 * memory shared, the production copy would be answered as a repeat and its order lost.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Delivery } from '../../sandbox/src';
import { paymentExecutionsFor, payThroughSandbox } from './flow';
import type { Stack } from './stack';
import { eventually, executions, nodeOutput, reportRun, startE2eStack, timed } from './stack';

const TRIGGER = 'CatalystPay webhook';
const PAYS = 'DE89370400440532013000';

let stack: Stack;
const timings: Record<string, number> = {};

beforeAll(async () => {
	stack = await timed(timings, 'stackStart', startE2eStack);
}, 20 * 60 * 1000);

afterAll(async () => {
	await stack?.stop();
	reportRun('e2e test URL', stack, timings);
}, 60 * 1000);

/** A paid session's signed delivery, made by the sandbox but caught by a sink, so no copy has reached n8n yet. */
async function caughtDelivery(): Promise<Delivery> {
	const sink: Server = createServer((req, res) => {
		req.resume();
		req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}'));
	});
	await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
	const campaign = stack.sandbox.config.campaigns[0];
	const production = campaign.webhook.url;
	campaign.webhook.url = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/sink`;
	try {
		const token = await payThroughSandbox(stack, PAYS, 'test-url@example.com');
		await stack.sandbox.webhooks.idle();
		return [...stack.sandbox.store.deliveries.values()].find((d) => d.session_token === token && d.resend_of === null) as Delivery;
	} finally {
		campaign.webhook.url = production;
		await new Promise((resolve) => sink.close(resolve));
	}
}

async function send(url: string, delivery: Delivery): Promise<{ status: number; body: any }> {
	const res = await fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'x-catalystpay-event': delivery.event, 'x-catalystpay-signature': delivery.signature },
		body: delivery.body,
		signal: AbortSignal.timeout(90_000),
	});
	const text = await res.text();
	try {
		return { status: res.status, body: JSON.parse(text) };
	} catch {
		return { status: res.status, body: text };
	}
}

test('a delivery run from the Test URL still runs, once, when it reaches the Production URL', async () => {
	const delivery = await caughtDelivery();
	const token = delivery.session_token as string;

	// "Execute workflow" in the editor: n8n listens at the Test URL for one event.
	const listening = await stack.rest('POST', `/workflows/${stack.workflows.payments.id}/run`, { triggerToStartFrom: { name: TRIGGER } });
	expect(listening.status).toBe(200);
	expect(listening.json.data).toMatchObject({ waitingForWebhook: true });
	const testUrl = stack.webhookUrl.replace('/webhook/', '/webhook-test/');
	const tested = await send(testUrl, delivery);
	expect(tested.status).toBe(200);
	const manual = await eventually('the test run to be saved', async () => {
		const found = (await executions(stack, stack.workflows.payments.id)).filter(
			(e) => e.mode === 'manual' && nodeOutput(e, TRIGGER)?.[0]?.payload?.session_token === token,
		);
		return found.length > 0 && found.every((e) => e.finished || e.status === 'success') ? found : undefined;
	});
	expect(manual).toHaveLength(1);

	// The same delivery at the Production URL, as CatalystPay sends it: not a repeat.
	const produced = await send(stack.webhookUrl, delivery);
	expect(produced).toMatchObject({ status: 200 });
	expect(produced.body?.duplicate).toBeUndefined();
	const runs = await eventually('the production run to be saved', async () => {
		const found = (await paymentExecutionsFor(stack, token)).filter((e) => e.mode !== 'manual');
		return found.length > 0 ? found : undefined;
	});
	expect(runs.map((e) => e.status)).toEqual(['success']);

	// And a second production copy is the repeat it is.
	const again = await send(stack.webhookUrl, delivery);
	expect(again.status).toBe(200);
	expect(again.body?.duplicate).toBeDefined();
	await new Promise((resolve) => setTimeout(resolve, 1500));
	expect((await paymentExecutionsFor(stack, token)).filter((e) => e.mode !== 'manual')).toHaveLength(1);
}, 5 * 60 * 1000);
