/**
 * AI agents through MCP, in a real n8n 2.x: the packed package, the example workflow
 * examples/mcp-agent-tools.json (an MCP Server Trigger with the CatalystPay tool as create and get,
 * published by the stack like every example) and the sandbox. An MCP client (the official TypeScript
 * SDK, streamable HTTP) lists the tools and calls them as an agent would; no language model is
 * involved. What CatalystPay received is read from the sandbox's own counters.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { CREATE_TOOL_DESCRIPTION, GET_TOOL_DESCRIPTION, TOOL_DESCRIPTION } from '../../nodes/CatalystPay/actions/agentText';
import type { Stack } from './stack';
import { eventually, reportRun, startE2eStack, timed } from './stack';

const MCP_PATH = '/mcp/catalystpay';

const CUSTOMER = {
	first_name: 'Jürgen',
	last_name: 'Müller',
	email: 'juergen.mueller@example.com',
	country: 'DE',
	address: 'Musterstraße 42',
	city: 'Köln',
	postal_code: '50667',
};

let stack: Stack;
let client: Client;
const timings: Record<string, number> = {};

type ToolResult = { isError?: boolean; content: Array<{ type: string; text?: string }> };

/** A new MCP session on the trigger's endpoint (streamable HTTP, POST), once n8n answers it. */
async function connect(): Promise<Client> {
	return await eventually(`an MCP session on ${MCP_PATH}`, async () => {
		const candidate = new Client({ name: 'catalystpay-e2e', version: '1.0.0' });
		try {
			await candidate.connect(new StreamableHTTPClientTransport(new URL(`${stack.n8nUrl}${MCP_PATH}`)));
			return candidate;
		} catch {
			await candidate.close().catch(() => undefined);
			return undefined;
		}
	});
}

async function call(name: string, args: Record<string, unknown>): Promise<ToolResult> {
	// Generous: a shared 2-core machine runs n8n, its task runner and the sandbox.
	return (await client.callTool({ name, arguments: args }, undefined, { timeout: 90_000 })) as ToolResult;
}

/** The text of a tool result; n8n sends a tool's output items as one JSON text. */
function text(result: ToolResult): string {
	expect(result.content).toHaveLength(1);
	expect(result.content[0].type).toBe('text');
	return result.content[0].text as string;
}

/** The one item a successful call returned (n8n sends the tool's items as a JSON array). */
function item(result: ToolResult): Record<string, any> {
	expect(result.isError).toBeFalsy();
	const parsed = JSON.parse(text(result));
	return Array.isArray(parsed) ? (expect(parsed).toHaveLength(1), parsed[0]) : parsed;
}

beforeAll(async () => {
	stack = await timed(timings, 'stackStart', startE2eStack);
	client = await timed(timings, 'mcpConnect', connect);
}, 20 * 60 * 1000);

afterAll(async () => {
	await client?.close().catch(() => undefined);
	await stack?.stop();
	reportRun('e2e mcp', stack, timings);
}, 60 * 1000);

describe('the CatalystPay tool through n8n\'s MCP Server Trigger', () => {
	test('n8n offers the tool variant with the description written for agents', async () => {
		const nodes = (await stack.editor('GET', '/types/nodes.json')).json as Array<{ name: string; description: string; outputs: unknown }>;
		const tool = nodes.find((n) => n.name === 'n8n-nodes-catalystpay.catalystPayTool');
		expect(tool).toBeDefined();
		expect(tool?.description).toBe(TOOL_DESCRIPTION);
		expect(tool?.outputs).toEqual(['ai_tool']);
		expect(client.getInstructions()).toMatch(/payment_url/);
	});

	test('lists create and get, with their descriptions and input schemas', async () => {
		const t0 = Date.now();
		const { tools } = await client.listTools();
		timings.listTools = Date.now() - t0;
		const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
		expect(Object.keys(byName).sort()).toEqual(['create_payment_session', 'get_payment_session']);

		const create = byName.create_payment_session;
		expect(create.description).toBe(CREATE_TOOL_DESCRIPTION);
		expect(create.inputSchema.type).toBe('object');
		const createProps = create.inputSchema.properties as Record<string, { type: string; description: string }>;
		expect(Object.keys(createProps).sort()).toEqual(['address', 'city', 'country', 'email', 'first_name', 'last_name', 'postal_code']);
		for (const prop of Object.values(createProps)) {
			expect(prop.type).toBe('string');
			expect(prop.description.length).toBeGreaterThan(20);
		}
		expect(createProps.country.description).toMatch(/ISO 3166-1 alpha-2/);
		expect(createProps.email.description).toMatch(/@example\.com/);
		expect(create.inputSchema.required).toEqual(expect.arrayContaining(['first_name', 'last_name', 'email', 'country']));
		// The optional address fields default to empty, so an agent may leave them out.
		for (const optional of ['address', 'city', 'postal_code']) expect(create.inputSchema.required ?? []).not.toContain(optional);

		const get = byName.get_payment_session;
		expect(get.description).toBe(GET_TOOL_DESCRIPTION);
		const getProps = get.inputSchema.properties as Record<string, { type: string; description: string }>;
		expect(Object.keys(getProps)).toEqual(['session_token']);
		expect(getProps.session_token.description).toMatch(/ps_/);
		expect(get.inputSchema.required).toEqual(['session_token']);
	});

	test('create makes a session in CatalystPay and returns its payment_url; get reads it back', async () => {
		const creates = stack.sandbox.stats.creates;
		let t0 = Date.now();
		const created = item(await call('create_payment_session', CUSTOMER));
		timings.create = Date.now() - t0;
		expect(created).toEqual({
			session_token: expect.stringMatching(/^ps_[a-z0-9]{30}$/),
			status: 'PENDING',
			payment_url: `${stack.sandbox.url}/s/${created.session_token as string}`,
		});
		expect(stack.sandbox.stats.creates).toBe(creates + 1);
		expect(stack.sandbox.store.sessions.get(created.session_token)?.lead).toMatchObject({
			first_name: 'Jürgen',
			last_name: 'Müller',
			email: CUSTOMER.email,
			country: 'DE',
			city: 'Köln',
		});

		t0 = Date.now();
		const read = item(await call('get_payment_session', { session_token: created.session_token }));
		timings.get = Date.now() - t0;
		expect(read).toMatchObject({ session_token: created.session_token, status: 'PENDING', currency: 'EUR' });

		// The payment URL works as well as the token, and the optional fields may be left out.
		const minimal = item(
			await call('create_payment_session', { first_name: 'Max', last_name: 'Mustermann', email: 'max@example.com', country: 'at' }),
		);
		expect(stack.sandbox.store.sessions.get(minimal.session_token)?.lead).toMatchObject({ country: 'AT' });
		expect(item(await call('get_payment_session', { session_token: minimal.payment_url }))).toMatchObject({
			session_token: minimal.session_token,
		});
	});

	test('an email that is not one comes back as a clear tool error, and nothing is sent to CatalystPay', async () => {
		const requests = stack.sandbox.stats.requests;
		const result = await call('create_payment_session', { ...CUSTOMER, email: 'juergen-at-example.com' });
		expect(result.isError).toBe(true);
		const message = text(result);
		expect(message).toContain('Email "juergen-at-example.com" is not an email address');
		expect(message).toMatch(/Nothing was sent to CatalystPay\..*name@example\.com.*call this tool again/s);
		expect(message).not.toMatch(/item \d|run the node|Continue On Fail/i);
		expect(stack.sandbox.stats.requests).toBe(requests);
	});

	test('a session CatalystPay does not know is a tool error that says not to make tokens up', async () => {
		const result = await call('get_payment_session', { session_token: 'ps_000000000000000000000000000000' });
		expect(result.isError).toBe(true);
		expect(text(result)).toMatch(/No payment session has the token ps_000000000000000000000000000000.*Do not make one up/s);
	});
});
