/**
 * What the end-to-end tests on every n8n version do to the package and read back: the types n8n
 * loaded, the credential's Test button, payments from the sandbox and their executions, refused
 * deliveries. Outcomes come from n8n itself (its REST and public API) and the sandbox's records.
 */
import { sign } from '../../lib/signature';
import type { Delivery } from '../../sandbox/src';
import { createSessionViaApi, payOnHostedPage } from '../helpers/sandbox';
import type { Execution, QueueStack, Stack } from './stack';
import { addWorkflow, eventually, executions, nodeOutput } from './stack';

export const PAYS = 'DE89370400440532013000';
export const DECLINED = 'DE62370400440532013001';

/** The node and credential types n8n hands the editor. */
export async function knownTypes(stack: Stack): Promise<{ nodes: string[]; credentials: string[] }> {
	const nodes = (await stack.editor('GET', '/types/nodes.json')).json as Array<{ name: string }>;
	const credentials = (await stack.editor('GET', '/types/credentials.json')).json as Array<{ name: string }>;
	return { nodes: nodes.map((n) => n.name), credentials: credentials.map((c) => c.name) };
}

/**
 * The icons n8n serves the editor for this package's nodes and credential (the shared icons/ folder,
 * found relative to each built file): each URL with what n8n answered for it.
 */
export async function packageIcons(stack: Stack): Promise<Array<{ url: string; status: number; svg: boolean }>> {
	type Typed = { name: string; iconUrl?: string | { light: string; dark: string } };
	const nodes = (await stack.editor('GET', '/types/nodes.json')).json as Typed[];
	const credentials = (await stack.editor('GET', '/types/credentials.json')).json as Typed[];
	const ours = [...nodes.filter((n) => n.name.startsWith('n8n-nodes-catalystpay.')), ...credentials.filter((c) => c.name === 'catalystPayApi')];
	const urls = ours.flatMap((type) => (typeof type.iconUrl === 'string' ? [type.iconUrl] : type.iconUrl ? [type.iconUrl.light, type.iconUrl.dark] : []));
	return await Promise.all(
		[...new Set(urls)].map(async (url) => {
			const res = await stack.editor('GET', `/${url.replace(/^\//, '')}`);
			return { url, status: res.status, svg: /<svg[\s>]/.test(res.text) };
		}),
	);
}

/**
 * Lines of n8n's output that tell of trouble loading this package. Quoted text (a workflow's name,
 * such as "Payment completed or failed") is no evidence of trouble.
 */
export function packageLoadProblems(stack: Stack): string[] {
	return stack
		.n8nOutput()
		.split('\n')
		.filter((line) => /catalystpay|community package|failed to load|unrecognized (node|credential) type|error loading/i.test(line))
		.filter((line) => /error|fail|unrecognized|could not/i.test(line.replace(/"[^"]*"/g, '""')));
}

/**
 * The credential's Test button, as the editor presses it: load the credential (secrets come back
 * redacted) and send it back to /rest/credentials/test with `changes`; n8n puts the stored secrets
 * in for the redacted ones. Returns n8n's answer ({ status: 'OK' | 'Error', message }).
 */
export async function pressCredentialTest(stack: Stack, changes: Record<string, string> = {}): Promise<{ status: string; message: string }> {
	const loaded = await stack.rest('GET', `/credentials/${stack.credential.id}?includeData=true`);
	if (loaded.status !== 200) throw new Error(`GET /rest/credentials/${stack.credential.id}: ${loaded.status} ${loaded.text}`);
	const { id, name, type, data } = loaded.json.data;
	const res = await stack.rest('POST', '/credentials/test', { credentials: { id, name, type, data: { ...data, ...changes } } });
	if (res.status !== 200) throw new Error(`POST /rest/credentials/test: ${res.status} ${res.text}`);
	return res.json.data;
}

/** The "payment events" example's executions whose trigger output is about this session. */
export async function paymentExecutionsFor(stack: Stack, token: string): Promise<Execution[]> {
	const all = await executions(stack, stack.workflows.payments.id);
	return all.filter((e) => nodeOutput(e, 'CatalystPay webhook')?.[0]?.payload?.session_token === token);
}

/** The sandbox's deliveries for a session, once none is in flight (so a count is final). */
export async function deliveriesSettled(stack: Stack, token: string): Promise<Delivery[]> {
	return await eventually(`the sandbox's deliveries for ${token} to settle`, async () => {
		const res = await fetch(`${stack.sandbox.url}/_sandbox/deliveries`);
		const deliveries = ((await res.json()) as Delivery[]).filter((d) => d.session_token === token);
		return deliveries.length > 0 && deliveries.every((d) => d.state !== 'pending') ? deliveries : undefined;
	});
}

/**
 * A real checkout without a browser: a session created through the sandbox's API, as a shop's server
 * would, and paid on the hosted page with `iban`; the sandbox then delivers its signed webhook to n8n.
 */
export async function payThroughSandbox(stack: Stack, iban: string, email: string): Promise<string> {
	const { session_token } = await createSessionViaApi(stack.sandbox, { first_name: 'Jürgen', last_name: 'Müller', email, country: 'DE' });
	const paid = await payOnHostedPage(stack.sandbox, session_token, iban);
	await paid.text();
	if (paid.status !== 303) throw new Error(`the hosted page answered ${paid.status} to the payment of ${session_token}`);
	return session_token;
}

/** Posts to the CatalystPay Trigger's production URL as CatalystPay would (event header included). */
export async function postToTrigger(stack: Stack, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
	const res = await fetch(stack.webhookUrl, {
		method: 'POST',
		headers: { 'x-catalystpay-event': 'payment_session.completed', ...headers },
		body,
	});
	return { status: res.status, body: await res.text() };
}

/** A completed payment that CatalystPay never sent: signed with a wrong secret, and not signed at all. */
export async function postForgedAndUnsigned(stack: Stack): Promise<{ forged: { status: number; body: string }; missing: { status: number; body: string } }> {
	const body = JSON.stringify({
		session_token: 'ps_abc123def456ghi789jkl012mno345',
		status: 'COMPLETED',
		order_number: 'ORD-forged',
		amount: '29.99',
		currency: 'EUR',
		email: 'mallory@example.com',
		customer_name: 'Mallory Müller',
	});
	const forged = await postToTrigger(stack, body, { 'content-type': 'application/json', 'x-catalystpay-signature': sign(body, 'whsec_not_the_secret') });
	const missing = await postToTrigger(stack, body, { 'content-type': 'application/json' });
	return { forged, missing };
}

/**
 * Publishes a workflow a webhook at /webhook/<path> starts: the CatalystPay node creates a session for
 * the posted first_name, then reads it back through its payment_url. Answers with Get's output.
 */
export async function addCreateAndGetWorkflow(
	stack: Stack | QueueStack,
	{ name, path, idPrefix, email, country }: { name: string; path: string; idPrefix: string; email: string; country: string },
): Promise<{ id: string }> {
	const credentials = { catalystPayApi: { id: stack.credential.id, name: stack.credential.name } };
	const nodeId = (n: number) => `${idPrefix}0000000-0000-4000-8000-00000000000${n}`;
	return await addWorkflow(
		stack,
		{
			name,
			nodes: [
				{
					id: nodeId(1),
					name: 'Start',
					type: 'n8n-nodes-base.webhook',
					typeVersion: 2,
					position: [0, 0],
					webhookId: `${idPrefix}0000000-0000-4000-8000-0000000000a1`,
					parameters: { httpMethod: 'POST', path, responseMode: 'lastNode', options: {} },
				},
				{
					id: nodeId(2),
					name: 'Create',
					type: 'n8n-nodes-catalystpay.catalystPay',
					typeVersion: 1,
					position: [240, 0],
					parameters: {
						resource: 'paymentSession',
						operation: 'create',
						campaignId: stack.sandbox.config.campaigns[0].id,
						firstName: '={{ $json.body.first_name }}',
						lastName: 'Müller',
						email,
						country,
						address: 'Musterstraße 42',
						city: 'Köln',
						postalCode: '50667',
						additionalFields: {},
					},
					credentials,
				},
				{
					id: nodeId(3),
					name: 'Get',
					type: 'n8n-nodes-catalystpay.catalystPay',
					typeVersion: 1,
					position: [480, 0],
					parameters: { resource: 'paymentSession', operation: 'get', session: '={{ $json.payment_url }}' },
					credentials,
				},
			],
			connections: {
				Start: { main: [[{ node: 'Create', type: 'main', index: 0 }]] },
				Create: { main: [[{ node: 'Get', type: 'main', index: 0 }]] },
			},
		},
		[`/webhook/${path}`],
	);
}

/**
 * A declined payment's genuine signed delivery (as the sandbox sent it), replayed with its exact bytes
 * and signature: as "completed" (the event-swap attack), and as itself once more. Returns the session
 * and both answers, once the sandbox's own delivery has settled.
 */
export async function replayDeclinedUnderOtherEvents(
	stack: Stack,
	email: string,
): Promise<{ token: string; swapped: { status: number; body: string }; renamed: { status: number; body: string }; again: { status: number; body: string } }> {
	const token = await payThroughSandbox(stack, DECLINED, email);
	const [genuine] = await deliveriesSettled(stack, token);
	if (genuine.event !== 'payment_session.failed' || genuine.state !== 'delivered') throw new Error(`expected a delivered failed event, got ${genuine.event} ${genuine.state}`);
	const headers = { 'content-type': 'application/json', 'x-catalystpay-signature': genuine.signature };
	const swapped = await postToTrigger(stack, genuine.body, { ...headers, 'x-catalystpay-event': 'payment_session.completed' });
	const renamed = await postToTrigger(stack, genuine.body, { ...headers, 'x-catalystpay-event': 'payment_session.refunded' });
	const again = await postToTrigger(stack, genuine.body, { ...headers, 'x-catalystpay-event': 'payment_session.failed' });
	return { token, swapped, renamed, again };
}

/**
 * The event-swap attack and its relatives against the payment events example, asserted: a declined
 * payment's genuine delivery replayed as "completed" is refused (400) and ships nothing; renamed to an
 * event the workflow does not take it is acknowledged and runs nothing; sent as itself it is a repeat.
 */
export async function expectDeclinedReplaysRunNothing(stack: Stack, email: string): Promise<void> {
	const { token, swapped, renamed, again } = await replayDeclinedUnderOtherEvents(stack, email);
	expect(swapped.status).toBe(400);
	expect(JSON.parse(swapped.body).error).toMatch(/signed payload's status is FAILED/);
	expect(renamed.status).toBe(200);
	expect(again.status).toBe(200);
	// Anything those had started would be saved by now.
	await new Promise((resolve) => setTimeout(resolve, 1500));
	const runs = await paymentExecutionsFor(stack, token);
	expect(runs).toHaveLength(1);
	expect(nodeOutput(runs[0], 'Payment completed')).toBeUndefined();
	expect(nodeOutput(runs[0], 'CatalystPay webhook')?.[0]).toMatchObject({ event: 'payment_session.failed', eventConfirmed: true, status: 'FAILED' });
}
