/**
 * The CatalystPay node run by n8n's own engine (n8n-core's WorkflowExecute) against the sandbox over
 * real HTTP on loopback. Nothing is mocked: requests carry the credential's real authenticate block.
 */
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { CatalystPayApi } from '../../credentials/CatalystPayApi.credentials';
import { CatalystPay } from '../../nodes/CatalystPay/CatalystPay.node';
import type { Sandbox } from '../../sandbox/src';
import { testCredential } from '../helpers/credentialTest';
import { runNode } from '../helpers/n8nEngine';
import { createSessionParameters, credentialTypes, sandboxCredentials, startTestSandbox } from '../helpers/sandbox';

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startTestSandbox();
});
afterAll(async () => await sandbox.close());
afterEach(() => sandbox.faults.update({ errorRate: 0, rateLimitPerSecond: 0, rateLimitEvery: 0, dropRate: 0, latencyMs: 0 }));

const createParameters = createSessionParameters;

async function run(parameters: INodeParameters, options: { inputItems?: INodeExecutionData[]; continueOnFail?: boolean; apiKey?: string; baseUrl?: string } = {}) {
	return await runNode({
		nodeType: new CatalystPay(),
		parameters,
		credentials: sandboxCredentials(sandbox, {
			...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
			...(options.baseUrl !== undefined ? { baseUrl: options.baseUrl } : {}),
		}),
		credentialTypes,
		inputItems: options.inputItems,
		continueOnFail: options.continueOnFail,
	});
}

const items = (...json: object[]): INodeExecutionData[] => json.map((j) => ({ json: { ...j } }));

describe('Payment Session: Create', () => {
	test('creates a session and returns token, status and payment URL, paired with its item', async () => {
		const before = sandbox.store.sessions.size;
		const { output, error } = await run(createParameters());
		expect(error).toBeUndefined();
		const [item] = output?.[0] ?? [];
		expect(item.json).toEqual({
			session_token: expect.stringMatching(/^ps_[a-z0-9]{30}$/),
			status: 'PENDING',
			payment_url: `${sandbox.url}/s/${item.json.session_token as string}`,
		});
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(sandbox.store.sessions.size).toBe(before + 1);
		const stored = sandbox.store.sessions.get(item.json.session_token as string);
		expect(stored?.lead).toEqual({
			first_name: 'Jürgen',
			last_name: 'Müller',
			email: 'juergen.mueller@example.com',
			country: 'DE',
			address: 'Musterstrasse 42',
			city: 'Köln',
			postal_code: '50667',
		});
	});

	test('one session per input item, each paired, values from expressions', async () => {
		const { output, error } = await run(
			createParameters({ firstName: '={{ $json.first }}', email: '={{ $json.email }}' }),
			{ inputItems: items({ first: 'Ada', email: 'ada@example.com' }, { first: 'Bob', email: 'bob@example.com' }, { first: 'Cy', email: 'cy@example.com' }) },
		);
		expect(error).toBeUndefined();
		const out = output?.[0] ?? [];
		expect(out.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		const leads = out.map((item) => sandbox.store.sessions.get(item.json.session_token as string)?.lead);
		expect(leads.map((lead) => [lead?.first_name, lead?.email])).toEqual([
			['Ada', 'ada@example.com'],
			['Bob', 'bob@example.com'],
			['Cy', 'cy@example.com'],
		]);
	});

	test('extra lead and session fields reach CatalystPay; lower-case country is accepted as its code', async () => {
		const { output } = await run(
			createParameters({
				country: 'at',
				additionalFields: {
					leadFields: { field: [{ name: 'phone', value: '+43 1 234' }] },
					sessionFields: { field: [{ name: 'external_reference', value: 'order-77' }] },
				},
			}),
		);
		const session = sandbox.store.sessions.get(output?.[0][0].json.session_token as string);
		expect(session?.lead.country).toBe('AT');
		expect(session?.lead.phone).toBe('+43 1 234');
		expect(session?.extra).toEqual({ external_reference: 'order-77' });
	});

	test('fixed fields are the same for every item; an expression anywhere, even deep in a collection, is resolved per item', async () => {
		// The node asks n8n once for a parameter without expressions and per item for one with them.
		const { output, error } = await run(
			createParameters({
				email: '={{ $json.email }}',
				additionalFields: {
					leadFields: { field: [{ name: 'phone', value: '={{ $json.phone }}' }, { name: 'source', value: 'fair' }] },
					sessionFields: { field: [{ name: 'external_reference', value: 'batch-1' }] },
				},
			}),
			{ inputItems: items({ email: 'ada@example.com', phone: '+49 1' }, { email: 'bob@example.com', phone: '+49 2' }, { email: 'cy@example.com', phone: '+49 3' }) },
		);
		expect(error).toBeUndefined();
		const sessions = (output?.[0] ?? []).map((item) => sandbox.store.sessions.get(item.json.session_token as string));
		expect(sessions.map((session) => [session?.lead.email, session?.lead.phone, session?.lead.source, session?.lead.city])).toEqual([
			['ada@example.com', '+49 1', 'fair', 'Köln'],
			['bob@example.com', '+49 2', 'fair', 'Köln'],
			['cy@example.com', '+49 3', 'fair', 'Köln'],
		]);
		expect(sessions.map((session) => session?.extra)).toEqual(Array(3).fill({ external_reference: 'batch-1' }));
	});

	test.each([
		['Campaign ID', { campaignId: 'not-a-uuid' }, /Campaign ID "not-a-uuid" is not a UUID.*\(item 0\)/],
		['Email', { email: 'max-at-example.com' }, /Email "max-at-example.com" is not an email address \(item 0\)/],
		['Country', { country: 'Germany' }, /Country "GERMANY" is not an ISO 3166-1 alpha-2 country code.*\(item 0\)/],
		['Country', { country: 'XX' }, /Country "XX" is not an ISO 3166-1 alpha-2/],
		['First Name', { firstName: '  ' }, /First Name is empty \(item 0\)/],
		['Extra fields', { additionalFields: { leadFields: { field: [{ name: '', value: 'x' }] } } }, /Extra Lead Fields has a value without a name/],
	])('checks %s before sending anything', async (_field, overrides, message) => {
		const before = sandbox.store.sessions.size;
		const { error } = await run(createParameters(overrides as INodeParameters));
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error?.message).toMatch(message);
		expect(sandbox.store.sessions.size).toBe(before);
	});

	test('names the item that is wrong', async () => {
		const { error } = await run(createParameters({ email: '={{ $json.email }}' }), {
			inputItems: items({ email: 'ok@example.com' }, { email: 'broken' }),
		});
		expect(error?.message).toMatch(/Email "broken" is not an email address \(item 1\)/);
	});

	test("an unknown campaign comes back with CatalystPay's own message", async () => {
		const { error } = await run(createParameters({ campaignId: '00000000-0000-4000-8000-000000000000' }));
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error?.message).toBe('CatalystPay refused the request: campaign_id: Unknown campaign.');
		expect((error as NodeApiError).httpCode).toBe('400');
	});

	test('a wrong API key says so, and the key appears nowhere in the error', async () => {
		const wrongKey = 'rk_wrong_key_0123456789abcdef';
		const { error, runData } = await run(createParameters(), { apiKey: wrongKey });
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error?.message).toBe('CatalystPay refused the API key');
		expect((error as NodeApiError).description).toMatch(/Check the API key/);
		const everything = JSON.stringify({ error, runData, description: (error as NodeApiError).description, cause: error?.cause });
		expect(everything).not.toContain(wrongKey);
		expect(everything).not.toContain(sandbox.config.apiKey);
	});

	test('Continue On Fail: one error item per failed item, paired; the others go on', async () => {
		const { output, error } = await run(createParameters({ email: '={{ $json.email }}' }), {
			continueOnFail: true,
			inputItems: items({ email: 'a@example.com' }, { email: 'nope' }, { email: 'c@example.com' }),
		});
		expect(error).toBeUndefined();
		const out = output?.[0] ?? [];
		expect(out).toHaveLength(3);
		expect(out[0].json.session_token).toMatch(/^ps_/);
		expect(out[1].json.error).toMatch(/Email "nope" is not an email address \(item 1\)/);
		expect(out[1].pairedItem).toEqual({ item: 1 });
		expect(out[2].json.session_token).toMatch(/^ps_/);
		expect(out[2].pairedItem).toEqual({ item: 2 });
	});

	test('a server error and a rate limit become errors a user can act on', async () => {
		sandbox.faults.update({ errorRate: 1, errorTiming: 'before' });
		const failed = await run(createParameters());
		expect(failed.error?.message).toMatch(/CatalystPay had a server error \(HTTP 50\d\)/);

		// Every second request is refused: the first goes through, the second gets 429.
		sandbox.faults.update({ errorRate: 0, rateLimitEvery: 2, rateLimitBurst: 1, retryAfterSeconds: 7 });
		await run(createParameters());
		const limited = await run(createParameters({ options: { retries: 0 } }));
		expect(limited.error?.message).toBe('CatalystPay is rate limiting requests for 7 s');
	});

	test('an unreachable base URL says where it tried', async () => {
		const { error } = await run(createParameters(), { baseUrl: 'http://127.0.0.1:9' });
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error?.message).toBe('Could not reach CatalystPay at http://127.0.0.1:9: the connection was refused: nothing is listening there');
		expect((error as NodeApiError).description).toMatch(/Base URL.*\(ECONNREFUSED\)/);
	});
});

describe('Payment Session: Get', () => {
	async function createSession(): Promise<string> {
		const { output } = await run(createParameters());
		return output?.[0][0].json.session_token as string;
	}

	test('returns the session with its status', async () => {
		const token = await createSession();
		const { output, error } = await run({ resource: 'paymentSession', operation: 'get', session: token });
		expect(error).toBeUndefined();
		expect(output?.[0][0].json).toMatchObject({
			session_token: token,
			status: 'PENDING',
			amount: '29.99',
			currency: 'EUR',
			order_number: null,
			lead: { first_name: 'Jürgen', last_name: 'Müller' },
		});
	});

	test('accepts the payment URL in place of the token', async () => {
		const token = await createSession();
		const { output } = await run({ resource: 'paymentSession', operation: 'get', session: `${sandbox.url}/s/${token}` });
		expect(output?.[0][0].json.session_token).toBe(token);
	});

	test('an unknown token is a clear 404', async () => {
		const { error } = await run({ resource: 'paymentSession', operation: 'get', session: 'ps_000000000000000000000000000000' });
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error?.message).toBe('No payment session has the token ps_000000000000000000000000000000');
	});

	test('something that is not a token is refused before any request', async () => {
		const { error } = await run({ resource: 'paymentSession', operation: 'get', session: 'cs_12345' });
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error?.message).toMatch(/Session Token "cs_12345" is not a payment session token.*\(item 0\)/);
	});
});

describe('Credential test (the Test button)', () => {
	const credentialType = new CatalystPayApi();

	test('accepts the right key', async () => {
		const result = await testCredential(credentialType, sandboxCredentials(sandbox).catalystPayApi);
		expect(result).toEqual({ status: 'OK', message: 'Connection successful!' });
		expect(sandbox.store.sessions.size).toBeGreaterThanOrEqual(0);
	});

	test('tells a wrong key from a right one', async () => {
		const result = await testCredential(credentialType, sandboxCredentials(sandbox, { apiKey: 'rk_wrong' }).catalystPayApi);
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/did not accept this API key/);
	});

	test('creates no session', async () => {
		const before = sandbox.store.sessions.size;
		await testCredential(credentialType, sandboxCredentials(sandbox).catalystPayApi);
		expect(sandbox.store.sessions.size).toBe(before);
	});
});
