/**
 * The product as users run it: a real n8n 2.x (pinned, from .n8n-runtime/) with this package
 * loaded, the example workflows published, the CatalystPay sandbox, and a customer in headless
 * Chromium. Nothing is mocked. Outcomes are read from n8n itself (its public API with an API key).
 *
 * One n8n for the whole file (start-up is the expensive part); the first run on a machine also
 * installs the runtime (about 4 minutes, once).
 */
import type { Browser, Page } from 'playwright-core';

import { sign } from '../../lib/signature';
import type { Delivery } from '../../sandbox/src';
import { launchBrowser } from '../helpers/browser';
import {
	DECLINED,
	PAYS,
	deliveriesSettled as settled,
	knownTypes,
	packageIcons,
	packageLoadProblems,
	paymentExecutionsFor as executionsFor,
	payThroughSandbox,
	postForgedAndUnsigned,
	postToTrigger,
	pressCredentialTest,
	expectDeclinedReplaysRunNothing,
} from './flow';
import type { Execution, Stack } from './stack';
import { eventually, executions, getWorkflow, nodeOutput, reportRun, startE2eStack, timed } from './stack';

const CUSTOMER = {
	firstName: 'Jürgen',
	lastName: 'Müller',
	email: 'juergen.mueller@example.com',
	country: 'DE',
	address: 'Musterstraße 42',
	city: 'Köln',
	postalCode: '50667',
};

let stack: Stack;
let browser: Browser;
const timings: Record<string, number> = {};

beforeAll(async () => {
	stack = await timed(timings, 'stackStart', startE2eStack);
	browser = await timed(timings, 'browserLaunch', launchBrowser);
}, 20 * 60 * 1000);

afterAll(async () => {
	await browser?.close();
	await stack?.stop();
	reportRun('e2e', stack, timings);
}, 60 * 1000);

/** The customer's visit: the n8n checkout form, then the hosted page, paying with an IBAN. */
async function checkoutAndPay(iban: string): Promise<{ token: string; paymentUrl: string; landedOn: string }> {
	const context = await browser.newContext();
	try {
		const page: Page = await context.newPage();
		await page.goto(stack.formUrl);
		await page.getByLabel('First name').fill(CUSTOMER.firstName);
		await page.getByLabel('Last name').fill(CUSTOMER.lastName);
		await page.getByLabel('Email').fill(CUSTOMER.email);
		await page.getByLabel('Country').selectOption(CUSTOMER.country);
		await page.getByLabel('Address').fill(CUSTOMER.address);
		await page.getByLabel('City').fill(CUSTOMER.city);
		await page.getByLabel('Postal code').fill(CUSTOMER.postalCode);
		await page.getByRole('button', { name: 'Continue to payment' }).click();

		// n8n's form ending page sends the browser on to the session's payment_url.
		const hosted = new RegExp(`^${stack.sandbox.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/s/(ps_[a-z0-9]+)$`);
		await page.waitForURL(hosted, { timeout: 30000 });
		const paymentUrl = page.url();
		const token = (hosted.exec(paymentUrl) as RegExpExecArray)[1];
		expect(await page.locator('#account_holder').inputValue()).toBe('Jürgen Müller');

		await page.locator('#iban').fill(iban);
		await page.locator('#pay').click();
		await page.waitForURL(/\/done\/(success|failure)/, { timeout: 30000 });
		return { token, paymentUrl, landedOn: page.url() };
	} finally {
		await context.close();
	}
}

const paymentExecutionsFor = (token: string) => executionsFor(stack, token);
const deliveriesSettled = (token: string) => settled(stack, token);

describe('n8n with n8n-nodes-catalystpay', () => {
	test('loads both nodes and the credential, without load errors, and publishes the examples', async () => {
		// What the editor loads: the node and credential types n8n knows.
		const { nodes, credentials } = await knownTypes(stack);
		expect(nodes).toContain('n8n-nodes-catalystpay.catalystPay');
		expect(nodes).toContain('n8n-nodes-catalystpay.catalystPayTrigger');
		expect(credentials).toContain('catalystPayApi');
		expect(packageLoadProblems(stack)).toEqual([]);
		// Every node's and the credential's icon, light and dark, is served: one shared set, found from each built file.
		const icons = await packageIcons(stack);
		expect(icons.length).toBeGreaterThanOrEqual(2);
		expect(icons.filter((icon) => icon.status !== 200 || !icon.svg)).toEqual([]);

		for (const workflow of Object.values(stack.workflows)) {
			const stored = await stack.api(`/workflows/${workflow.id}`);
			expect({ name: stored.name, active: stored.active }).toEqual({ name: workflow.name, active: true });
		}
	});

	test("the credential's Test button: OK with the sandbox key, an error with a wrong one", async () => {
		// The editor gets the secrets redacted, and sends them back that way.
		const loaded = await stack.rest('GET', `/credentials/${stack.credential.id}?includeData=true`);
		expect(loaded.json.data.data.apiKey).not.toBe(stack.sandboxConfig.apiKey);

		expect(await pressCredentialTest(stack)).toEqual({ status: 'OK', message: 'Connection successful!' });
		const wrong = await pressCredentialTest(stack, { apiKey: 'rk_not_the_sandbox_key_0000' });
		expect(wrong.status).toBe('Error');
		expect(wrong.message).toMatch(/did not accept this API key/);
		// The Environment choice as a new user makes it: Sandbox on this machine, or a Custom URL.
		expect(await pressCredentialTest(stack, { environment: 'sandbox', sandboxUrl: stack.sandbox.url })).toEqual({ status: 'OK', message: 'Connection successful!' });
		expect(await pressCredentialTest(stack, { environment: 'custom', customBaseUrl: `${stack.sandbox.url}/` })).toEqual({ status: 'OK', message: 'Connection successful!' });
		// A credential saved before the Environment choice: only its Base URL, with n8n's default Environment.
		expect(await pressCredentialTest(stack, { environment: 'production', sandboxUrl: '', baseUrl: stack.sandbox.url })).toEqual({ status: 'OK', message: 'Connection successful!' });
	});

	test('a customer checks out and pays; the signed webhook runs "Payment completed" once, confirmed', async () => {
		const t0 = Date.now();
		const { token, paymentUrl, landedOn } = await checkoutAndPay(PAYS);
		expect(landedOn).toMatch(new RegExp(`/done/success\\?session_token=${token}$`));

		// The checkout workflow created exactly this session.
		const checkout = (await executions(stack, stack.workflows.checkout.id)).find(
			(e) => nodeOutput(e, 'Create payment session')?.[0]?.session_token === token,
		);
		expect(checkout?.status).toBe('success');
		expect(nodeOutput(checkout as Execution, 'Create payment session')?.[0]).toMatchObject({ status: 'PENDING', payment_url: paymentUrl });
		expect(nodeOutput(checkout as Execution, 'Checkout form')?.[0]).toMatchObject({ first_name: 'Jürgen', last_name: 'Müller', country: 'DE' });

		const [execution] = await eventually('the "Payment completed" execution', async () => {
			const found = await paymentExecutionsFor(token);
			return found.length > 0 && found.every((e) => e.finished || e.status !== 'running') ? found : undefined;
		});
		const deliveries = await deliveriesSettled(token);
		expect(deliveries.map((d) => [d.state, d.attempts.map((a) => a.status)])).toEqual([['delivered', [200]]]);
		expect(await paymentExecutionsFor(token)).toHaveLength(1);

		expect(execution).toMatchObject({ status: 'success', mode: 'webhook' });
		const [triggered] = nodeOutput(execution, 'CatalystPay webhook') as any[];
		expect(triggered.event).toBe('payment_session.completed');
		expect(triggered.payload).toMatchObject({
			session_token: token,
			status: 'COMPLETED',
			amount: '29.99',
			currency: 'EUR',
			email: CUSTOMER.email,
			customer_name: 'Jürgen Müller',
		});
		expect(triggered.payload.order_number).toMatch(/^ORD-/);
		expect(triggered.session).toMatchObject({ session_token: token, status: 'COMPLETED', order_number: triggered.payload.order_number });

		expect(nodeOutput(execution, 'Payment completed')).toEqual([
			{
				order_number: triggered.payload.order_number,
				amount: '29.99',
				currency: 'EUR',
				email: CUSTOMER.email,
				customer_name: 'Jürgen Müller',
				session_token: token,
				confirmed_status: 'COMPLETED',
			},
		]);
		expect(nodeOutput(execution, 'Payment failed')).toBeUndefined();
		timings.paidFlow = Date.now() - t0;
	});

	test('a repeated delivery starts nothing; the memory of it is saved with the workflow', async () => {
		const { token } = await checkoutAndPay(PAYS);
		await eventually('the "Payment completed" execution', async () => ((await paymentExecutionsFor(token)).length > 0 ? true : undefined));
		const [delivery] = await deliveriesSettled(token);

		// CatalystPay retries a delivery whose answer it did not get: the sandbox's resend is that.
		const resent = await fetch(`${stack.sandbox.url}/_sandbox/deliveries/${delivery.id}/resend`, { method: 'POST' });
		const replay = (await resent.json()) as { id: string };
		await eventually('the replay to be answered', async () => {
			const res = await fetch(`${stack.sandbox.url}/_sandbox/deliveries/${replay.id}`);
			const state = ((await res.json()) as { state: string }).state;
			return state === 'pending' ? undefined : state;
		});
		await new Promise((resolve) => setTimeout(resolve, 1500));
		expect(await paymentExecutionsFor(token)).toHaveLength(1);
		// The repeat was answered 2xx by the trigger itself (this process saw the delivery succeed).
		const answered = stack.sandbox.store.deliveries.get(replay.id);
		expect(answered?.attempts.map((a) => a.status)).toEqual([200]);

		// The trigger's hint for webhook processes is saved with the workflow by the next execution
		// that runs; what counts (n8n's deduplication record) is asserted after the restart below.
		await checkoutAndPay(PAYS);
		const workflow = await eventually('the hint to be saved', async () => {
			const saved = await getWorkflow(stack, stack.workflows.payments.id);
			const hinted = Object.values(saved.staticData ?? {}).flatMap((nodeData) => Object.keys(nodeData?.succeededDeliveries ?? {}));
			return hinted.length >= 1 ? hinted : undefined;
		});
		expect(workflow.length).toBeGreaterThanOrEqual(1);
	});

	test('a declined IBAN runs "Payment failed" instead', async () => {
		const t0 = Date.now();
		const { token, landedOn } = await checkoutAndPay(DECLINED);
		expect(landedOn).toMatch(new RegExp(`/done/failure\\?session_token=${token}$`));

		const [execution] = await eventually('the "Payment failed" execution', async () => {
			const found = await paymentExecutionsFor(token);
			return found.length > 0 ? found : undefined;
		});
		await deliveriesSettled(token);
		expect(await paymentExecutionsFor(token)).toHaveLength(1);

		expect(execution.status).toBe('success');
		const [triggered] = nodeOutput(execution, 'CatalystPay webhook') as any[];
		expect(triggered.event).toBe('payment_session.failed');
		expect(triggered.session.status).toBe('FAILED');
		expect(nodeOutput(execution, 'Payment completed')).toBeUndefined();
		expect(nodeOutput(execution, 'Payment failed')).toEqual([
			expect.objectContaining({ session_token: token, email: CUSTOMER.email, customer_name: 'Jürgen Müller', confirmed_status: 'FAILED' }),
		]);
		timings.declinedFlow = Date.now() - t0;
	});

	test('a declined payment\'s genuine delivery replayed as "completed", or renamed, runs nothing; sent as itself it is a repeat', async () => {
		await expectDeclinedReplaysRunNothing(stack, 'swap-241@example.com');
	});

	test('forged, missing and unparseable webhooks are refused and start nothing', async () => {
		const before = (await executions(stack)).length;
		const post = (payload: string, headers: Record<string, string>) => postToTrigger(stack, payload, headers);

		const { forged, missing } = await postForgedAndUnsigned(stack);
		expect(forged.status).toBe(401);
		expect(JSON.parse(forged.body).error).toMatch(/does not match/);
		expect(missing.status).toBe(401);
		expect(JSON.parse(missing.body).error).toMatch(/missing/);

		// Sent as something other than JSON, the trigger sees the bytes and refuses them itself...
		const notJson = await post('order=1&paid=yes', { 'content-type': 'text/plain', 'x-catalystpay-signature': 'a'.repeat(64) });
		expect(notJson.status).toBe(400);
		expect(JSON.parse(notJson.body).error).toMatch(/not JSON/);

		// ...while a body that claims application/json but is not is refused by n8n's own body parser
		// before the trigger runs: 422, n8n's answer, not ours.
		const claimsJson = await post('order=1&paid=yes', { 'content-type': 'application/json', 'x-catalystpay-signature': 'a'.repeat(64) });
		expect(claimsJson.status).toBe(422);
		expect(JSON.parse(claimsJson.body).message).toMatch(/Failed to parse request body/);

		// A little time for anything that might have started to be saved.
		await new Promise((resolve) => setTimeout(resolve, 1500));
		expect((await executions(stack)).length).toBe(before);
	});

	test('a delivery whose content type a proxy changed is still checked from its bytes (trigger 1.1: n8n leaves such bodies unread)', async () => {
		const body = '{"note": "M\\u00fcller", "amount": 1.0}';
		const headers = { 'x-catalystpay-event': 'payment_session.refunded', 'x-catalystpay-signature': sign(body, stack.sandbox.config.signingSecret) };
		for (const contentType of ['application/octet-stream', 'application/vnd.catalystpay+json']) {
			// Signed, for an event the example does not listen to: verified, then acknowledged and ignored.
			const signed = await postToTrigger(stack, body, { ...headers, 'content-type': contentType });
			expect(signed.status).toBe(200);
			expect(JSON.parse(signed.body).ignored).toMatch(/payment_session\.refunded/);
			const forged = await postToTrigger(stack, body, { ...headers, 'content-type': contentType, 'x-catalystpay-signature': 'b'.repeat(64) });
			expect(forged.status).toBe(401);
			expect(JSON.parse(forged.body).error).toMatch(/does not match/);
		}
	});

	test('an accepted delivery is answered 200 once its workflow has finished; another delivery of the same payment runs nothing', async () => {
		const { token } = await checkoutAndPay(DECLINED);
		const [delivery] = await deliveriesSettled(token);
		// The sandbox got its 200 when the execution had already been saved.
		expect(delivery.attempts.map((a) => a.status)).toEqual([200]);
		expect(await paymentExecutionsFor(token)).toHaveLength(1);
		// A new payload for the same (failed) session: signed and confirmed, but the payment is handled.
		const body = JSON.stringify({ session_token: token, status: 'FAILED', note: 'sent again by hand' });
		const res = await fetch(stack.webhookUrl, {
			method: 'POST',
			headers: {
				'content-type': 'application/json',
				'x-catalystpay-event': 'payment_session.failed',
				'x-catalystpay-signature': sign(body, stack.sandbox.config.signingSecret),
			},
			body,
		});
		expect(res.status).toBe(200);
		await res.text();
		await new Promise((resolve) => setTimeout(resolve, 1500));
		expect(await paymentExecutionsFor(token)).toHaveLength(1);
	});

	test('after n8n restarts, the same deliveries start nothing again; a new one runs once', async () => {
		const t0 = Date.now();
		/** A session paid on the hosted page (the sandbox then delivers its webhook to n8n). */
		const pay = (iban: string, n: number) => payThroughSandbox(stack, iban, `restart-${n}@example.com`);
		const tokens = [await pay(PAYS, 1), await pay(DECLINED, 2), await pay(PAYS, 3)];
		for (const token of tokens) {
			await eventually(`the execution for ${token}`, async () => ((await paymentExecutionsFor(token)).length === 1 ? true : undefined));
		}
		const delivered: Array<{ token: string; delivery: Delivery }> = [];
		for (const token of tokens) {
			const [{ id }] = await deliveriesSettled(token);
			delivered.push({ token, delivery: stack.sandbox.store.deliveries.get(id) as Delivery });
		}

		const tRestart = Date.now();
		await stack.restart();
		timings.restart = Date.now() - tRestart;
		expect(stack.hasExited()).toBeNull();

		// The same deliveries again, byte for byte with the same headers, as CatalystPay retries them.
		for (const { token, delivery } of delivered) {
			const res = await fetch(stack.webhookUrl, {
				method: 'POST',
				headers: {
					'content-type': 'application/json',
					'x-catalystpay-event': delivery.event,
					'x-catalystpay-signature': delivery.signature,
					'x-catalystpay-delivery': delivery.id,
				},
				body: delivery.body,
			});
			const text = await res.text();
			process.stderr.write(`[e2e] after restart, ${token} again: ${res.status} ${text}\n`);
			// Recognised by the trigger from the saved hint (200 duplicate), or by the execution it
			// started, which found the delivery in n8n's database and passed nothing on (200, no body).
			expect(res.status).toBe(200);
			if (text !== '') expect(JSON.parse(text)).toMatchObject({ received: true, duplicate: expect.any(String) });
		}
		// And through the sandbox's own resend (a new delivery id, the same bytes and signature).
		const resent = await fetch(`${stack.sandbox.url}/_sandbox/deliveries/${delivered[0].delivery.id}/resend`, { method: 'POST' });
		const replay = (await resent.json()) as { id: string };
		await eventually('the resend to be answered', async () => {
			const res = await fetch(`${stack.sandbox.url}/_sandbox/deliveries/${replay.id}`);
			const state = ((await res.json()) as { state: string }).state;
			return state === 'pending' ? undefined : state;
		});
		// A new payment after the restart runs once; by the time it has, a repeat would have too.
		const fresh = await pay(PAYS, 4);
		await eventually('the new payment\'s execution', async () => ((await paymentExecutionsFor(fresh)).length === 1 ? true : undefined));
		await deliveriesSettled(fresh);
		for (const token of tokens) expect(await paymentExecutionsFor(token)).toHaveLength(1);
		expect(await paymentExecutionsFor(fresh)).toHaveLength(1);
		timings.restartTest = Date.now() - t0;
	});
});
