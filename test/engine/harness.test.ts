import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type {
	IAuthenticateGeneric,
	ICredentialType,
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';

import { runNode, runWebhook, startWebhookServer } from '../helpers/n8nEngine';

// ---------------------------------------------------------------------------------------
// Inline credential type and nodes
// ---------------------------------------------------------------------------------------

class HarnessTestApi implements ICredentialType {
	name = 'harnessTestApi';

	displayName = 'Harness Test API';

	properties: INodeProperties[] = [
		{ displayName: 'API Key', name: 'apiKey', type: 'string', typeOptions: { password: true }, default: '' },
		{ displayName: 'Base URL', name: 'baseUrl', type: 'string', default: '' },
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: { headers: { Authorization: '=Bearer {{$credentials.apiKey}}' } },
	};
}

class HarnessAction implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Harness Action',
		name: 'harnessAction',
		group: ['transform'],
		version: 1,
		description: 'Test node for the engine harness',
		defaults: { name: 'Harness Action' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: [{ name: 'harnessTestApi', required: true }],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Echo', value: 'echo' },
					{ name: 'Fetch', value: 'fetch' },
					{ name: 'Fail', value: 'fail' },
				],
				default: 'echo',
			},
			{ displayName: 'Tag', name: 'tag', type: 'string', default: 'default-tag' },
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const returnData: INodeExecutionData[] = [];
		for (let i = 0; i < items.length; i++) {
			try {
				const operation = this.getNodeParameter('operation', i) as string;
				let json: IDataObject;
				if (operation === 'echo') {
					json = { index: i, input: items[i].json, tag: this.getNodeParameter('tag', i) as string };
				} else if (operation === 'fetch') {
					const { baseUrl } = await this.getCredentials<{ baseUrl: string }>('harnessTestApi');
					json = (await this.helpers.httpRequestWithAuthentication.call(this, 'harnessTestApi', {
						method: 'GET',
						url: `${baseUrl}/echo?item=${i}`,
						json: true,
					})) as IDataObject;
				} else {
					throw new NodeOperationError(this.getNode(), `Refusing item ${i}`, { itemIndex: i });
				}
				returnData.push(
					...this.helpers.constructExecutionMetaData(this.helpers.returnJsonArray(json), {
						itemData: { item: i },
					}),
				);
			} catch (error) {
				if (this.continueOnFail()) {
					returnData.push({ json: { error: (error as Error).message }, pairedItem: { item: i } });
					continue;
				}
				throw error;
			}
		}
		return [returnData];
	}
}

/** Verifies an HMAC of the exact body bytes, keyed with the credential's API key. */
class HarnessTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Harness Trigger',
		name: 'harnessTrigger',
		group: ['trigger'],
		version: 1,
		description: 'Webhook test node for the engine harness',
		defaults: { name: 'Harness Trigger' },
		inputs: [],
		outputs: ['main'],
		credentials: [{ name: 'harnessTestApi', required: true }],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: '={{$parameter["path"]}}',
			},
		],
		properties: [
			{ displayName: 'Path', name: 'path', type: 'string', default: 'harness-hook' },
			{ displayName: 'Lookup', name: 'lookup', type: 'boolean', default: false },
		],
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const req = this.getRequestObject();
		const rawBody = (req as unknown as { rawBody: Buffer }).rawBody;
		const { apiKey, baseUrl } = await this.getCredentials<{ apiKey: string; baseUrl: string }>(
			'harnessTestApi',
		);
		const staticData = this.getWorkflowStaticData('node');
		staticData.requests = ((staticData.requests as number | undefined) ?? 0) + 1;

		const expected = createHmac('sha256', apiKey).update(rawBody).digest('hex');
		if (this.getHeaderData()['x-signature'] !== expected) {
			this.getResponseObject().status(401).json({ message: 'Invalid signature' });
			return { noWebhookResponse: true };
		}

		let lookup: IDataObject | undefined;
		if (this.getNodeParameter('lookup') === true) {
			lookup = (await this.helpers.httpRequestWithAuthentication.call(this, 'harnessTestApi', {
				method: 'GET',
				url: `${baseUrl}/lookup`,
				json: true,
			})) as IDataObject;
		}

		return {
			workflowData: [
				this.helpers.returnJsonArray({
					body: this.getBodyData(),
					rawBodyBase64: rawBody.toString('base64'),
					requests: staticData.requests as number,
					webhookUrl: this.getNodeWebhookUrl('default') ?? null,
					...(lookup ? { lookup } : {}),
				}),
			],
		};
	}
}

// ---------------------------------------------------------------------------------------
// A real upstream API on 127.0.0.1
// ---------------------------------------------------------------------------------------

let api: Server;
let apiUrl: string;
const apiRequests: Array<{ url: string; headers: IncomingHttpHeaders }> = [];

beforeAll(async () => {
	api = createServer((req, res) => {
		apiRequests.push({ url: req.url ?? '', headers: req.headers });
		res.setHeader('content-type', 'application/json');
		res.end(JSON.stringify({ path: req.url, authorization: req.headers.authorization ?? null }));
	});
	await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
	apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});

afterAll(async () => {
	api.closeAllConnections();
	await new Promise((resolve) => api.close(resolve));
});

beforeEach(() => {
	apiRequests.length = 0;
});

const credentialTypes = [new HarnessTestApi()];
const credentials = () => ({ harnessTestApi: { apiKey: 'sk_test_123', baseUrl: apiUrl } });
const sign = (body: Buffer, key = 'sk_test_123') => createHmac('sha256', key).update(body).digest('hex');

// ---------------------------------------------------------------------------------------
// runNode
// ---------------------------------------------------------------------------------------

describe('runNode', () => {
	it('runs execute() in WorkflowExecute and pairs every output item to its input', async () => {
		const { output, error, runData } = await runNode({
			nodeType: new HarnessAction(),
			parameters: { operation: 'echo' },
			credentials: credentials(),
			credentialTypes,
			inputItems: [{ json: { n: 1 } }, { json: { n: 2 } }, { json: { n: 3 } }],
		});

		expect(error).toBeUndefined();
		expect(output?.[0]).toEqual([
			{ json: { index: 0, input: { n: 1 }, tag: 'default-tag' }, pairedItem: { item: 0 } },
			{ json: { index: 1, input: { n: 2 }, tag: 'default-tag' }, pairedItem: { item: 1 } },
			{ json: { index: 2, input: { n: 3 }, tag: 'default-tag' }, pairedItem: { item: 2 } },
		]);
		// The engine really ran a two-node workflow: the start node fed the node under test.
		expect(Object.keys(runData)).toEqual(['Start', 'Node Under Test']);
		expect(runData['Node Under Test'][0].source).toEqual([
			{ previousNode: 'Start', previousNodeOutput: 0, previousNodeRun: 0 },
		]);
	});

	it('sends a real HTTP request with the Authorization header built by the credential block', async () => {
		const { output, error } = await runNode({
			nodeType: new HarnessAction(),
			parameters: { operation: 'fetch' },
			credentials: credentials(),
			credentialTypes,
		});

		expect(error).toBeUndefined();
		expect(apiRequests).toHaveLength(1);
		expect(apiRequests[0].headers.authorization).toBe('Bearer sk_test_123');
		expect(output?.[0][0].json).toEqual({ path: '/echo?item=0', authorization: 'Bearer sk_test_123' });
	});

	it('returns a thrown NodeOperationError as `error`, and error items with continueOnFail', async () => {
		const failed = await runNode({
			nodeType: new HarnessAction(),
			parameters: { operation: 'fail' },
			credentials: credentials(),
			credentialTypes,
			inputItems: [{ json: { n: 1 } }, { json: { n: 2 } }],
		});
		expect(failed.output).toBeUndefined();
		expect(failed.error).toBeInstanceOf(NodeOperationError);
		expect(failed.error?.message).toBe('Refusing item 0');

		const continued = await runNode({
			nodeType: new HarnessAction(),
			parameters: { operation: 'fail' },
			credentials: credentials(),
			credentialTypes,
			inputItems: [{ json: { n: 1 } }, { json: { n: 2 } }],
			continueOnFail: true,
		});
		expect(continued.error).toBeUndefined();
		expect(continued.output?.[0]).toEqual([
			{ json: { error: 'Refusing item 0' }, pairedItem: { item: 0 } },
			{ json: { error: 'Refusing item 1' }, pairedItem: { item: 1 } },
		]);
	});

	it('records an HTTP failure as NodeApiError', async () => {
		const { error } = await runNode({
			nodeType: new HarnessAction(),
			parameters: { operation: 'fetch' },
			// Nothing listens on port 9 of 127.0.0.1: the request fails for real.
			credentials: { harnessTestApi: { apiKey: 'k', baseUrl: 'http://127.0.0.1:9' } },
			credentialTypes,
		});
		expect(error).toBeInstanceOf(NodeApiError);
	});
});

// ---------------------------------------------------------------------------------------
// Webhooks
// ---------------------------------------------------------------------------------------

describe('startWebhookServer / runWebhook', () => {
	// Spacing, key order and "10.50" would not survive a JSON round trip.
	const rawBytes = Buffer.from('{ "amount": 10.50,\n  "name": "Zoë" }\n', 'utf-8');

	it('hands webhook() the exact bytes, refuses a bad signature with 401 and accepts a good one with 200', async () => {
		const server = await startWebhookServer({
			nodeType: new HarnessTrigger(),
			parameters: { path: 'payments', lookup: true },
			credentials: credentials(),
			credentialTypes,
		});
		try {
			expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhook\/[0-9a-f-]{36}\/payments$/);

			const refused = await fetch(server.url, {
				method: 'POST',
				headers: { 'content-type': 'application/json', 'x-signature': sign(rawBytes, 'wrong-key') },
				body: rawBytes,
			});
			expect(refused.status).toBe(401);
			expect(await refused.json()).toEqual({ message: 'Invalid signature' });

			const accepted = await fetch(server.url, {
				method: 'POST',
				headers: { 'content-type': 'application/json', 'x-signature': sign(rawBytes) },
				body: rawBytes,
			});
			expect(accepted.status).toBe(200);
			// As n8n 2.x answers an onReceived webhook whose node declares no responseData.
			expect(await accepted.text()).toBe('firstEntryJson');
			await server.settled();

			const [first, second] = server.calls;
			expect(first).toMatchObject({ status: 401, noWebhookResponse: true });
			expect(first.workflowData).toBeUndefined();
			expect(first.rawBody.equals(rawBytes)).toBe(true);

			expect(second.status).toBe(200);
			const item = second.workflowData?.[0][0].json as IDataObject;
			expect(Buffer.from(item.rawBodyBase64 as string, 'base64').equals(rawBytes)).toBe(true);
			expect(item.body).toEqual({ amount: 10.5, name: 'Zoë' });
			expect(item.webhookUrl).toBe(server.url);
			// httpRequestWithAuthentication from a webhook: a real request, credential applied.
			expect(item.lookup).toEqual({ path: '/lookup', authorization: 'Bearer sk_test_123' });

			// Static data persisted across the two requests, as in an active workflow.
			expect(item.requests).toBe(2);
			expect(server.nodeStaticData()).toEqual({ requests: 2 });
		} finally {
			await server.close();
		}
	});

	it('answers like n8n around the node: unknown routes 404, unparseable JSON 422, thrown errors 500', async () => {
		const server = await startWebhookServer({
			nodeType: new HarnessTrigger(),
			parameters: { path: 'payments' },
			credentials: credentials(),
			credentialTypes,
		});
		try {
			const wrongPath = await fetch(`${server.url}-nope`, { method: 'POST', body: '{}' });
			expect(wrongPath.status).toBe(404);
			const wrongMethod = await fetch(server.url, { method: 'GET' });
			expect(wrongMethod.status).toBe(404);

			const malformed = await fetch(server.url, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: '{"amount":',
			});
			expect(malformed.status).toBe(422);
			await server.settled();
			// The node never ran for any of these.
			expect(server.nodeStaticData()).toEqual({});
		} finally {
			await server.close();
		}

		const thrown = await runWebhook({
			nodeType: new HarnessTrigger(),
			parameters: { path: 'payments' },
			// No credentials attached: getCredentials() throws inside webhook().
			credentialTypes,
			body: rawBytes,
			headers: { 'content-type': 'application/json' },
		});
		expect(thrown.status).toBe(500);
		expect(thrown.call.error).toBeInstanceOf(NodeOperationError);
		expect(thrown.call.workflowData).toBeUndefined();
	});
});
