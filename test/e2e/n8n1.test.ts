/**
 * The package in n8n 1.x: a real n8n 1.123.81 (the 1.x line, still maintained; installed on first
 * use into .n8n-runtime/n8n-1.123.81/, on the same Node 24) with the packed package, the sandbox
 * credential and the examples imported and activated, as `npm run dev -- --n8n 1.123.81` runs it.
 * Nothing is mocked; outcomes are read from n8n itself (its REST and public API).
 *
 * The whole flow (browser checkout, repeats, restarts, queue mode) runs on 2.x in n8n.test.ts and
 * queue.test.ts; here: the package loads, the credential test, a signed delivery from a real payment
 * starts one execution, refused deliveries start none, and the CatalystPay node's Create and Get run.
 */
import {
	PAYS,
	deliveriesSettled,
	knownTypes,
	packageLoadProblems,
	paymentExecutionsFor,
	payThroughSandbox,
	postForgedAndUnsigned,
	pressCredentialTest,
	addCreateAndGetWorkflow,
	expectDeclinedReplaysRunNothing,
} from './flow';
import type { Stack } from './stack';
import { eventually, executions, nodeOutput, reportRun, startE2eStack } from './stack';

const N8N_1 = '1.123.81';

let stack: Stack;

beforeAll(async () => {
	stack = await startE2eStack({ n8nVersion: N8N_1 });
}, 20 * 60 * 1000);

afterAll(async () => {
	await stack?.stop();
	reportRun('e2e', stack);
}, 60 * 1000);

describe(`n8n ${N8N_1} with n8n-nodes-catalystpay`, () => {
	test('it is n8n 1.x, and it loads both nodes and the credential without load errors', async () => {
		const settings = await stack.rest('GET', '/settings');
		expect(settings.json.data.versionCli).toBe(N8N_1);

		const { nodes, credentials } = await knownTypes(stack);
		expect(nodes).toContain('n8n-nodes-catalystpay.catalystPay');
		expect(nodes).toContain('n8n-nodes-catalystpay.catalystPayTrigger');
		expect(credentials).toContain('catalystPayApi');
		expect(packageLoadProblems(stack)).toEqual([]);

		// The payment events example runs; the checkout example's form nodes (2.5) are 2.x only.
		const stored = await stack.api(`/workflows/${stack.workflows.payments.id}`);
		expect({ name: stored.name, active: stored.active }).toEqual({ name: stack.workflows.payments.name, active: true });
		expect(stack.checkoutForm).toBe(false);
	});

	test("the credential's Test button: OK with the sandbox key, an error with a wrong one", async () => {
		expect(await pressCredentialTest(stack)).toEqual({ status: 'OK', message: 'Connection successful!' });
		const wrong = await pressCredentialTest(stack, { apiKey: 'rk_not_the_sandbox_key_0000' });
		expect(wrong.status).toBe('Error');
		expect(wrong.message).toMatch(/did not accept this API key/);
	});

	test('a payment on the hosted page: its signed delivery starts exactly one execution, confirmed', async () => {
		const token = await payThroughSandbox(stack, PAYS, 'n8n1-paid@example.com');
		const [execution] = await eventually('the "Payment completed" execution', async () => {
			const found = await paymentExecutionsFor(stack, token);
			return found.length > 0 && found.every((e) => e.status !== 'running' && e.status !== 'new') ? found : undefined;
		});
		// Once the sandbox has nothing in flight for the session, the count is final.
		const deliveries = await deliveriesSettled(stack, token);
		expect(deliveries.map((d) => [d.state, d.attempts.map((a) => a.status)])).toEqual([['delivered', [200]]]);
		expect(await paymentExecutionsFor(stack, token)).toHaveLength(1);

		expect(execution).toMatchObject({ status: 'success', mode: 'webhook' });
		const [triggered] = nodeOutput(execution, 'CatalystPay webhook') as any[];
		expect(triggered.event).toBe('payment_session.completed');
		expect(triggered.payload).toMatchObject({ session_token: token, status: 'COMPLETED', amount: '29.99', currency: 'EUR' });
		expect(triggered.session).toMatchObject({ session_token: token, status: 'COMPLETED', order_number: triggered.payload.order_number });
		expect(nodeOutput(execution, 'Payment completed')).toEqual([
			expect.objectContaining({ session_token: token, order_number: triggered.payload.order_number, confirmed_status: 'COMPLETED' }),
		]);
	});

	test('forged and unsigned deliveries are refused and start nothing', async () => {
		const before = (await executions(stack)).length;
		const { forged, missing } = await postForgedAndUnsigned(stack);
		expect(forged.status).toBe(401);
		expect(JSON.parse(forged.body).error).toMatch(/does not match/);
		expect(missing.status).toBe(401);
		expect(JSON.parse(missing.body).error).toMatch(/missing/);

		// Then a delivery that does start an execution; once it is there, anything the refused ones
		// had started would be too (n8n answered them first).
		const token = await payThroughSandbox(stack, PAYS, 'n8n1-after-refusals@example.com');
		await eventually('the execution after the refusals', async () => ((await paymentExecutionsFor(stack, token)).length === 1 ? true : undefined));
		await deliveriesSettled(stack, token);
		expect((await executions(stack)).length).toBe(before + 1);
	});

	test('a declined payment\'s genuine delivery replayed as "completed", or renamed, runs nothing; sent as itself it is a repeat', async () => {
		await expectDeclinedReplaysRunNothing(stack, 'swap-n8n1@example.com');
	});

	test("the CatalystPay node's Create and Get run in a workflow", async () => {
		const path = 'catalystpay-n8n1-create-get';
		const { id } = await addCreateAndGetWorkflow(stack, { name: 'n8n 1.x: create and read a payment session', path, idPrefix: 'f', email: 'n8n1-create@example.com', country: 'de' });

		const res = await fetch(`${stack.n8nUrl}/webhook/${path}`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ first_name: 'Zoë' }),
			signal: AbortSignal.timeout(120_000),
		});
		const answered = (await res.json()) as { session_token: string; status: string };
		expect(res.status).toBe(200);
		expect(answered).toMatchObject({ status: 'PENDING' });
		// The sandbox has the session as Create sent it.
		const session = stack.sandbox.store.sessions.get(answered.session_token);
		expect(session?.lead).toMatchObject({ first_name: 'Zoë', last_name: 'Müller', country: 'DE' });

		const [run] = await eventually('the create-and-get execution', async () => {
			const found = await executions(stack, id);
			return found.length === 1 && found[0].finished ? found : undefined;
		});
		expect(run.status).toBe('success');
		const created = nodeOutput(run, 'Create')?.[0];
		expect(created).toMatchObject({ session_token: answered.session_token, status: 'PENDING' });
		expect(created.payment_url).toMatch(new RegExp(`/s/${answered.session_token}$`));
		expect(nodeOutput(run, 'Get')?.[0]).toMatchObject({ session_token: answered.session_token, status: 'PENDING' });
	});
});
