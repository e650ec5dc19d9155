/**
 * The editor's test runs and production never share the trigger's memory, in a real n8n 2.41.1: a
 * delivery sent to the Test URL while the editor listens for a test event (what "Execute workflow"
 * does) runs there, and the same delivery at the Production URL afterwards still runs, once. Were the
 * memory shared, the production copy would be answered as a repeat and its order lost.
 */
import type { Delivery } from '../../sandbox/src';
import { sendDeliveryCopy, withWebhooksCaught } from '../helpers/sandbox';
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
	const token = await withWebhooksCaught(stack.sandbox, () => payThroughSandbox(stack, PAYS, 'test-url@example.com'));
	return [...stack.sandbox.store.deliveries.values()].find((d) => d.session_token === token && d.resend_of === null) as Delivery;
}

const send = (url: string, delivery: Delivery) => sendDeliveryCopy(url, delivery, 90_000);

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
