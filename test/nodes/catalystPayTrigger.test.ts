/**
 * The CatalystPay Trigger run by n8n's own WebhookContext behind a real HTTP server, fed with bodies
 * signed by CatalystPay's own vectors and by the sandbox. "Starts an execution" means webhook()
 * returned workflowData; a refusal must return none.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { CatalystPayTrigger } from '../../nodes/CatalystPayTrigger/CatalystPayTrigger.node';
import type { Sandbox } from '../../sandbox/src';
import { sign } from '../../lib/signature';
import type { WebhookServer } from '../helpers/n8nEngine';
import { runNode, startWebhookServer } from '../helpers/n8nEngine';
import { createSessionViaApi, credentialTypes, eventually, payOnHostedPage, sandboxCredentials, startTestSandbox } from '../helpers/sandbox';
import { bodyOf, loadVectors, SHARED_VECTORS, OUR_VECTORS } from '../helpers/vectors';

const SECRET = 'whsec_test_5f1c8e2a9b7d4c3e';
const MULLER = Buffer.from('{"session_token":"ps_abc123def456ghi789jkl012mno345","status":"COMPLETED","customer_name":"Jürgen Müller","amount":"29.99","currency":"EUR"}');

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startTestSandbox();
});
afterAll(async () => await sandbox.close());

const servers: WebhookServer[] = [];
afterEach(async () => {
	await Promise.all(servers.splice(0).map(async (server) => await server.close()));
});

/** The trigger version the tests of a block run; version 1.x keeps its repeat memory in static data. */
let typeVersion = 2;
const onVersion1 = () => {
	beforeAll(() => (typeVersion = 1.1));
	afterAll(() => (typeVersion = 2));
};

async function trigger(parameters: INodeParameters = {}, credentials: Partial<Record<'signingSecret' | 'previousSigningSecret' | 'apiKey', string>> = { signingSecret: SECRET }) {
	const server = await startWebhookServer({
		nodeType: new CatalystPayTrigger(),
		typeVersion,
		parameters: { events: ['payment_session.completed'], confirmSessionStatus: false, ...parameters },
		credentials: sandboxCredentials(sandbox, credentials),
		credentialTypes,
	});
	servers.push(server);
	return server;
}

async function post(server: WebhookServer, body: Buffer | string, headers: Record<string, string>) {
	const response = await fetch(server.url, {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...headers },
		body,
	});
	const text = await response.text();
	await server.settled();
	return { status: response.status, text, call: server.calls[server.calls.length - 1] };
}

function jsonParses(body: Buffer | string): boolean {
	try {
		JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
		return true;
	} catch {
		return false;
	}
}

const signed = (body: Buffer | string, secret = SECRET, event = 'payment_session.completed') => ({
	'x-catalystpay-event': event,
	'x-catalystpay-signature': sign(body, secret),
});

describe('verification before anything runs', () => {
	test('a correctly signed non-ASCII payload starts the workflow with the payload and the event', async () => {
		const server = await trigger();
		const { status, call } = await post(server, MULLER, signed(MULLER));
		expect(status).toBe(200);
		expect(call.workflowData?.[0]).toEqual([
			{
				json: {
					event: 'payment_session.completed',
					eventConfirmed: true,
					status: 'COMPLETED',
					deliveryId: expect.stringMatching(/^[A-Za-z0-9_-]{24}$/),
					payload: {
						session_token: 'ps_abc123def456ghi789jkl012mno345',
						status: 'COMPLETED',
						customer_name: 'Jürgen Müller',
						amount: '29.99',
						currency: 'EUR',
					},
				},
			},
		]);
	});

	test('an accepted delivery: version 1.x answers {"received":true} at once, version 2 answers 200 without a body when the workflow has finished', async () => {
		typeVersion = 1.1;
		const first = await trigger();
		typeVersion = 2;
		const answered = await post(first, MULLER, signed(MULLER));
		expect(answered.status).toBe(200);
		expect(JSON.parse(answered.text)).toEqual({ received: true });

		const atEnd = await post(await trigger(), MULLER, signed(MULLER));
		expect({ status: atEnd.status, text: atEnd.text }).toEqual({ status: 200, text: '' });
	});

	test('version 2, Answer CatalystPay: Immediately: {"received":true} before the workflow runs', async () => {
		const server = await trigger({ respond: 'immediately' });
		const { status, text, call } = await post(server, MULLER, signed(MULLER));
		expect(status).toBe(200);
		expect(JSON.parse(text)).toEqual({ received: true });
		expect(call.workflowData?.[0]).toHaveLength(1);
	});

	test('every CatalystPay vector passes through the trigger, bytes as sent', async () => {
		const vectors = [loadVectors(SHARED_VECTORS), loadVectors(OUR_VECTORS)].flatMap((file) => [...(file?.valid ?? []), ...(file?.bytes_valid ?? [])]);
		expect(vectors.length).toBeGreaterThan(200);
		// One trigger per secret, as a user would have; the two files share vectors, so repeats
		// must not be taken for duplicates here.
		const bySecret = new Map<string, typeof vectors>();
		for (const vector of vectors) bySecret.set(vector.secret, [...(bySecret.get(vector.secret) ?? []), vector]);
		for (const [secret, group] of bySecret) {
			const server = await trigger({ events: ['*'], options: { ignoreRepeatsMinutes: 0 } }, { signingSecret: secret });
			for (const vector of group) {
				const body = bodyOf(vector);
				// n8n's own body parser answers 422 for application/json that JSON.parse refuses (NaN,
				// Infinity, UTF-16) before any node runs; sent as text, such bodies reach the trigger.
				const type = jsonParses(body) ? 'application/json' : 'text/plain';
				const { status, call } = await post(server, body, {
					'content-type': type,
					'x-catalystpay-event': 'payment_session.completed',
					'x-catalystpay-signature': vector.signature,
				});
				if (status !== 200 || !call.workflowData) throw new Error(`vector "${vector.name}" was refused with ${status}`);
			}
			await server.close();
			servers.splice(servers.indexOf(server), 1);
		}
	});

	test.each([
		['missing signature', {}, 401],
		['wrong secret', { 'x-catalystpay-signature': sign(MULLER, 'whsec_other') }, 401],
		['signature of other bytes', { 'x-catalystpay-signature': sign('{"status":"COMPLETED"}', SECRET) }, 401],
		['truncated signature', { 'x-catalystpay-signature': sign(MULLER, SECRET).slice(0, 40) }, 401],
		['not hex', { 'x-catalystpay-signature': 'z'.repeat(64) }, 401],
	])('%s: %d and no execution', async (_name, headers, expected) => {
		const server = await trigger();
		const { status, call, text } = await post(server, MULLER, { 'x-catalystpay-event': 'payment_session.completed', ...headers });
		expect(status).toBe(expected);
		expect(call.workflowData).toBeUndefined();
		expect(text).not.toContain(SECRET);
	});

	test('a tampered amount is refused', async () => {
		const server = await trigger();
		const tampered = Buffer.from(MULLER.toString().replace('29.99', '0.01'));
		const { status, call } = await post(server, tampered, signed(MULLER));
		expect(status).toBe(401);
		expect(call.workflowData).toBeUndefined();
	});

	test('a body that is not JSON: 400 and no execution', async () => {
		const server = await trigger();
		const body = 'amount=29.99';
		const { status, call, text } = await post(server, body, {
			'content-type': 'text/plain',
			'x-catalystpay-event': 'payment_session.completed',
			'x-catalystpay-signature': 'a'.repeat(64),
		});
		expect(status).toBe(400);
		expect(JSON.parse(text)).toMatchObject({ error: 'The body is not JSON' });
		expect(call.workflowData).toBeUndefined();
	});

	test('no signing secret configured: every request is refused (fail closed), so CatalystPay retries later', async () => {
		const server = await trigger({}, { signingSecret: '' });
		const { status, call, text } = await post(server, MULLER, signed(MULLER));
		expect(status).toBe(500);
		expect(text).toMatch(/no webhook signing secret/);
		expect(call.workflowData).toBeUndefined();
	});

	test('rotation: a webhook signed with the previous secret passes too', async () => {
		const server = await trigger({}, { signingSecret: 'whsec_new_secret', previousSigningSecret: SECRET });
		const old = await post(server, MULLER, signed(MULLER, SECRET));
		expect(old.status).toBe(200);
		const current = await post(server, MULLER, signed(MULLER, 'whsec_new_secret'));
		expect(current.status).toBe(200);
		const neither = await post(server, MULLER, signed(MULLER, 'whsec_third'));
		expect(neither.status).toBe(401);
	});

	test('the secrets appear nowhere in what the workflow gets', async () => {
		const server = await trigger();
		const { call } = await post(server, MULLER, signed(MULLER));
		expect(JSON.stringify(call.workflowData)).not.toContain(SECRET);
		expect(JSON.stringify(call.workflowData)).not.toContain(sandbox.config.apiKey);
	});
});

describe('test runs and production never share a memory', () => {
	test.each([1.1, 2])('version %s: a delivery sent to the Test URL first still runs at the Production URL', async (version) => {
		const nodeId = `a0000000-0000-4000-8000-${String(Date.now()).slice(-12)}`;
		const started = [];
		for (const mode of ['manual', 'webhook'] as const) {
			const server = await startWebhookServer({
				nodeType: new CatalystPayTrigger(),
				typeVersion: version,
				mode,
				nodeId,
				parameters: { events: ['payment_session.completed'], confirmSessionStatus: false },
				credentials: sandboxCredentials(sandbox, { signingSecret: SECRET }),
				credentialTypes,
			});
			servers.push(server);
			started.push((await post(server, MULLER, signed(MULLER))).call.workflowData?.[0]?.length);
		}
		expect(started).toEqual([1, 1]);
	});
});

describe('size limit', () => {
	const large = JSON.stringify({ session_token: 'ps_abc123def456ghi789jkl012mno345', status: 'COMPLETED', note: 'x'.repeat(40 * 1024) });

	test('a body over the limit is refused (413) before it is read: no execution, signature never checked', async () => {
		const server = await trigger();
		// Not even signed: the size is what refuses it, so a forger cannot make the trigger parse 16 MB.
		const { status, text, call } = await post(server, large, { 'x-catalystpay-signature': 'a'.repeat(64) });
		expect(status).toBe(413);
		expect(JSON.parse(text).error).toMatch(/more than this trigger accepts \(32768\)/);
		expect(call.workflowData).toBeUndefined();
	});

	test('the option raises it', async () => {
		const server = await trigger({ options: { maxBodyKb: 64 } });
		const { status, call } = await post(server, large, signed(large));
		expect(status).toBe(200);
		expect(call.workflowData?.[0]).toHaveLength(1);
	});
});

describe('event filter', () => {
	test('an event the workflow does not listen to: 2xx, so no retry, and no execution', async () => {
		const server = await trigger({ events: ['payment_session.completed'] });
		const failed = '{"session_token":"ps_abc123def456ghi789jkl012mno345","status":"FAILED"}';
		const { status, call, text } = await post(server, failed, signed(failed, SECRET, 'payment_session.failed'));
		expect(status).toBe(200);
		expect(JSON.parse(text)).toMatchObject({ received: true });
		expect(call.workflowData).toBeUndefined();
	});

	test('Any Event takes every event, typed names add to the list', async () => {
		const any = await trigger({ events: ['*'] });
		expect((await post(any, MULLER, signed(MULLER, SECRET, 'payment_session.refunded'))).call.workflowData).toBeDefined();

		// No status among the fields: nothing signed names the event, so the filter goes by the header.
		const unmapped = (n: number) => `{"session_token":"ps_abc123def456ghi789jkl01${n}"}`;
		const typed = await trigger({ events: ['payment_session.failed'], otherEvents: 'payment_session.expired, payment_session.refunded' });
		expect((await post(typed, unmapped(1), signed(unmapped(1), SECRET, 'payment_session.refunded'))).call.workflowData).toBeDefined();
		expect((await post(typed, unmapped(2), signed(unmapped(2), SECRET, 'payment_session.failed'))).call.workflowData).toBeDefined();
		expect((await post(typed, unmapped(3), signed(unmapped(3), SECRET, 'payment_session.completed'))).call.workflowData).toBeUndefined();
	});
});

describe('the event is one CatalystPay signed or confirmed', () => {
	const FAILED = Buffer.from('{"session_token":"ps_abc123def456ghi789jkl012mno345","status":"FAILED","order_number":"ORD-1"}');

	test('a failed delivery sent again as "completed" is refused with its own reason, starts nothing, and is not remembered', async () => {
		const server = await trigger({ events: ['*'] });
		const swapped = await post(server, FAILED, signed(FAILED, SECRET, 'payment_session.completed'));
		expect(swapped.status).toBe(400);
		expect(JSON.parse(swapped.text)).toEqual({
			error: "The X-CatalystPay-Event header says payment_session.completed, but the signed payload's status is FAILED",
			hint: expect.stringContaining('another event name'),
		});
		expect(swapped.call.workflowData).toBeUndefined();
		// The genuine one still starts its execution: the swapped copy claimed nothing.
		const genuine = await post(server, FAILED, signed(FAILED, SECRET, 'payment_session.failed'));
		expect(genuine.status).toBe(200);
		expect(genuine.call.workflowData?.[0][0].json).toMatchObject({ event: 'payment_session.failed', eventConfirmed: true, status: 'FAILED' });
	});

	test('refused even where the workflow listens to "completed" only, and with Confirm Session Status (the session is FAILED too)', async () => {
		const server = await trigger({ events: ['payment_session.completed'], confirmSessionStatus: true });
		const swapped = await post(server, FAILED, signed(FAILED, SECRET, 'payment_session.completed'));
		expect(swapped.status).toBe(400);
		expect(swapped.call.workflowData).toBeUndefined();
	});

	test('with the Refused output on, the swap is there with its reason', async () => {
		const server = await trigger({ events: ['*'], refusedOutput: true });
		const swapped = await post(server, FAILED, signed(FAILED, SECRET, 'payment_session.completed'));
		expect(swapped.call.workflowData?.[0]).toEqual([]);
		expect(swapped.call.workflowData?.[1][0].json).toMatchObject({ reason: 'event-mismatch', status: 400, event: 'payment_session.completed' });
	});

	test('no status among the signed fields and no confirmation: the item says the event is unconfirmed and has no status', async () => {
		const server = await trigger({ events: ['*'] });
		const bare = '{"order_number":"ORD-2","session_token":"ps_abc123def456ghi789jkl012mno345"}';
		const { call } = await post(server, bare, signed(bare));
		expect(call.workflowData?.[0][0].json).toMatchObject({ event: 'payment_session.completed', eventConfirmed: false, status: null });
	});

	test('an event whose status we do not know is passed on unconfirmed, with the signed status', async () => {
		const server = await trigger({ events: ['*'] });
		const { call } = await post(server, MULLER, signed(MULLER, SECRET, 'payment_session.refunded'));
		expect(call.workflowData?.[0][0].json).toMatchObject({ event: 'payment_session.refunded', eventConfirmed: false, status: 'COMPLETED' });
	});
});

describe('with the sandbox sending the webhooks', () => {
	async function createSession(): Promise<string> {
		return (await createSessionViaApi(sandbox, { first_name: 'Jürgen', last_name: 'Müller', email: 'jm@example.com', country: 'DE' })).session_token;
	}


	function pointWebhooksAt(url: string) {
		sandbox.config.campaigns[0].webhook.url = url;
	}

	test('a payment on the hosted page reaches the trigger signed, Müller included, and confirms its status', async () => {
		const server = await trigger({ confirmSessionStatus: true }, { signingSecret: sandbox.config.signingSecret });
		pointWebhooksAt(server.url);
		const token = await createSession();
		const paid = await payOnHostedPage(sandbox, token, 'DE89 3704 0044 0532 0130 00');
		expect(paid.status).toBe(303);

		const call = await eventually(() => server.calls.find((c) => c.status === 200));
		const json = call.workflowData?.[0][0].json as IDataObject;
		expect(json).toMatchObject({ event: 'payment_session.completed', eventConfirmed: true, status: 'COMPLETED' });
		expect(json.payload).toMatchObject({ session_token: token, status: 'COMPLETED', customer_name: 'Jürgen Müller', amount: '29.99' });
		expect((json.session as IDataObject).status).toBe('COMPLETED');
		expect(call.rawBody.toString('utf8')).toContain('Müller');
	});

	test('a declined payment sends payment_session.failed', async () => {
		const server = await trigger({ events: ['payment_session.failed'] }, { signingSecret: sandbox.config.signingSecret });
		pointWebhooksAt(server.url);
		const token = await createSession();
		await payOnHostedPage(sandbox, token, 'DE62370400440532013001');
		const call = await eventually(() => server.calls.find((c) => c.workflowData));
		expect((call.workflowData?.[0][0].json as IDataObject).payload).toMatchObject({ session_token: token, status: 'FAILED' });
	});

	test('the session status must match: a "completed" webhook for a pending session is refused for a later retry', async () => {
		const server = await trigger({ confirmSessionStatus: true }, { signingSecret: sandbox.config.signingSecret });
		const token = await createSession();
		const body = JSON.stringify({ session_token: token, status: 'COMPLETED' });
		const { status, call, text } = await post(server, body, signed(body, sandbox.config.signingSecret));
		expect(status).toBe(409);
		expect(text).toMatch(/PENDING/);
		expect(call.workflowData).toBeUndefined();
	});

	test('a session CatalystPay does not know is refused with a message about the Base URL', async () => {
		const server = await trigger({ confirmSessionStatus: true }, { signingSecret: sandbox.config.signingSecret });
		const body = JSON.stringify({ session_token: 'ps_000000000000000000000000000000', status: 'COMPLETED' });
		const { status, call, text } = await post(server, body, signed(body, sandbox.config.signingSecret));
		expect(status).toBe(422);
		expect(text).toMatch(/no session ps_0+: check that the credential's Base URL/);
		expect(call.workflowData).toBeUndefined();
	});

	test('version 1.x: retries deliver the event once the trigger can take it; a resend is acknowledged and starts nothing', async () => {
		typeVersion = 1.1;
		// No secret yet: the trigger refuses with 5xx, and the sandbox retries.
		const server = await trigger({}, { signingSecret: '' });
		typeVersion = 2;
		pointWebhooksAt(server.url);
		const token = await createSession();
		await payOnHostedPage(sandbox, token, 'DE89370400440532013000');
		await eventually(() => server.calls.length >= 1);
		await server.credentialsHelper.updateCredentials({ id: null, name: '' }, 'catalystPayApi', {
			...sandboxCredentials(sandbox).catalystPayApi,
		});
		await eventually(() => server.calls.find((c) => c.workflowData));
		const delivery = [...sandbox.store.deliveries.values()].find((d) => d.session_token === token);
		await eventually(() => delivery?.state === 'delivered');
		expect(delivery?.attempts[0].status).toBe(500);
		expect(delivery?.attempts[delivery.attempts.length - 1].status).toBe(200);

		const resent = await fetch(`${sandbox.url}/_sandbox/deliveries/${delivery?.id}/resend`, { method: 'POST' });
		const replay = (await resent.json()) as { id: string };
		await eventually(() => sandbox.store.deliveries.get(replay.id)?.state === 'delivered');
		const calls = server.calls.filter((c) => c.status === 200);
		expect(calls).toHaveLength(2);
		expect(calls[1].rawBody.equals(calls[0].rawBody)).toBe(true);
		expect(server.calls.filter((c) => c.workflowData)).toHaveLength(1);
	});
});

describe('version 1.x: the same delivery twice', () => {
	onVersion1();
	test('starts one execution; the repeat gets 2xx so CatalystPay stops retrying', async () => {
		const server = await trigger();
		const first = await post(server, MULLER, signed(MULLER));
		const again = await post(server, MULLER, signed(MULLER));
		expect(first.call.workflowData).toBeDefined();
		expect(again.status).toBe(200);
		expect(JSON.parse(again.text)).toMatchObject({ received: true, duplicate: expect.any(String) });
		expect(again.call.workflowData).toBeUndefined();
	});

	test('the same payload pretty-printed is the same delivery (same canonical form, same signature)', async () => {
		const server = await trigger();
		await post(server, MULLER, signed(MULLER));
		const pretty = JSON.stringify(JSON.parse(MULLER.toString()), null, 2);
		const again = await post(server, pretty, signed(pretty));
		expect(again.call.workflowData).toBeUndefined();
	});

	test('a different payload is not a repeat, the same one under another event name is; window 0 turns the check off', async () => {
		const server = await trigger({ events: ['*'] });
		await post(server, MULLER, signed(MULLER));
		// The event header is not signed: renaming a captured delivery makes no new delivery.
		const renamed = await post(server, MULLER, signed(MULLER, SECRET, 'payment_session.refunded'));
		expect(renamed.status).toBe(200);
		expect(JSON.parse(renamed.text)).toMatchObject({ duplicate: expect.any(String) });
		expect(renamed.call.workflowData).toBeUndefined();
		const other = '{"session_token":"ps_other","status":"COMPLETED"}';
		expect((await post(server, other, signed(other))).call.workflowData).toBeDefined();

		const off = await trigger({ options: { ignoreRepeatsMinutes: 0 } });
		await post(off, MULLER, signed(MULLER));
		expect((await post(off, MULLER, signed(MULLER))).call.workflowData).toBeDefined();
	});

	test('copies arriving at the same moment start one execution, and the memory is in static data', async () => {
		const server = await trigger();
		const responses = await Promise.all(
			Array.from({ length: 8 }, async () => await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...signed(MULLER) }, body: MULLER })),
		);
		await server.settled();
		expect(responses.every((response) => response.status === 200 || response.status === 409)).toBe(true);
		expect(server.calls.filter((c) => c.workflowData)).toHaveLength(1);
		expect(Object.keys(server.nodeStaticData().recentDeliveries as object)).toHaveLength(1);
	});

	test('a refused delivery is not remembered, so its retry can still start the workflow', async () => {
		const server = await trigger({ confirmSessionStatus: true }, { signingSecret: sandbox.config.signingSecret });
		const { session_token: token } = await createSessionViaApi(sandbox, { first_name: 'A', last_name: 'B', email: 'ab@example.com', country: 'DE' });
		const body = JSON.stringify({ session_token: token, status: 'COMPLETED' });
		expect((await post(server, body, signed(body, sandbox.config.signingSecret))).status).toBe(409);
		await payOnHostedPage(sandbox, token, 'DE89370400440532013000');
		const retry = await post(server, body, signed(body, sandbox.config.signingSecret));
		expect(retry.status).toBe(200);
		expect(retry.call.workflowData).toBeDefined();
	});
});

/**
 * n8n 2.x does not save static data written in webhook(), and a queue-mode worker runs the execution
 * with its own copy from the database. What the trigger records while the execution runs is what n8n
 * saves: these run the execution as n8n starts it (at the trigger, with webhook()'s items).
 */
describe('version 1.x: the memory n8n saves with the execution', () => {
	onVersion1();
	async function runExecution(items: IDataObject[], staticData?: IDataObject, parameters: INodeParameters = {}) {
		return await runNode({
			nodeType: new CatalystPayTrigger(),
			typeVersion: 1.1,
			parameters: { events: ['payment_session.completed'], confirmSessionStatus: false, ...parameters },
			credentials: sandboxCredentials(sandbox, { signingSecret: SECRET }),
			credentialTypes,
			inputItems: items.map((json) => ({ json })),
			staticData,
			// One trigger node of one workflow, as in n8n, where a node keeps its id.
			nodeId: 'a0000000-0000-4000-8000-00000000beef',
			asStartNode: true,
			mode: 'webhook',
		});
	}
	// What the database keeps of it.
	const asStored = (saved: IDataObject | undefined) => JSON.parse(JSON.stringify(saved ?? {})) as IDataObject;
	const savedDeliveries = (saved: IDataObject | undefined) =>
		Object.keys(((saved?.['node:Node Under Test'] as IDataObject | undefined)?.recentDeliveries ?? {}) as object);

	test("n8n runs the trigger first in the execution: its items pass through unchanged and the delivery is in what n8n saves", async () => {
		const item = { event: 'payment_session.completed', deliveryId: 'delivery-one', payload: { session_token: 'ps_x' } };
		const { output, error, savedStaticData } = await runExecution([item]);
		expect(error).toBeUndefined();
		expect(output?.map((items) => items.map(({ json }) => json))).toEqual([[item]]);
		expect(savedDeliveries(savedStaticData)).toEqual(['delivery-one']);
	});

	test('each save also carries what this process recorded before, so executions finishing out of order keep each other', async () => {
		const first = await runExecution([{ event: 'e', deliveryId: 'delivery-a' }]);
		// Loaded before the first saved, as a concurrent execution would be: it does not know delivery-a.
		const second = await runExecution([{ event: 'e', deliveryId: 'delivery-b' }]);
		expect(savedDeliveries(first.savedStaticData)).toContain('delivery-a');
		expect(savedDeliveries(second.savedStaticData)).toEqual(expect.arrayContaining(['delivery-a', 'delivery-b']));
	});

	test('with Ignore Repeats off nothing is recorded, and nothing is saved', async () => {
		const { savedStaticData } = await runExecution([{ event: 'e', deliveryId: 'delivery-off' }], undefined, { options: { ignoreRepeatsMinutes: 0 } });
		expect(savedStaticData).toBeUndefined();
	});

	test('a delivery saved by its execution is a repeat at another n8n process (or after a restart), which has only the saved data', async () => {
		const first = await trigger();
		const delivered = await post(first, MULLER, signed(MULLER));
		const deliveryId = (delivered.call.workflowData?.[0]?.[0]?.json as IDataObject).deliveryId;
		expect(deliveryId).toEqual(expect.any(String));
		const { savedStaticData } = await runExecution([delivered.call.workflowData![0][0].json]);

		// Another process: a node of its own (so none of this process's memory applies), the saved static data.
		const other = await startWebhookServer({
			nodeType: new CatalystPayTrigger(),
			typeVersion: 1.1,
			parameters: { events: ['payment_session.completed'], confirmSessionStatus: false },
			credentials: sandboxCredentials(sandbox, { signingSecret: SECRET }),
			credentialTypes,
			staticData: asStored(savedStaticData),
		});
		servers.push(other);
		const again = await post(other, MULLER, signed(MULLER));
		expect(JSON.parse(again.text)).toMatchObject({ received: true, duplicate: expect.any(String) });
		expect(again.call.workflowData).toBeUndefined();

		// Without the saved data the same process-less node would start it: the saved data is what caught it.
		const fresh = await trigger();
		expect((await post(fresh, MULLER, signed(MULLER))).call.workflowData?.[0]?.[0]?.json).toMatchObject({ deliveryId });
	});
});
