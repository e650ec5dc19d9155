/**
 * The CatalystPay node as an AI agent's tool: what n8n's tool variant is told (the usableAsTool
 * replacements, the example MCP workflow's descriptions) and the errors an agent gets back. The node
 * runs in n8n's engine under its tool type name (`...catalystPayTool`, as n8n names the variant) against
 * the sandbox over real HTTP; the MCP path itself is in test/e2e/mcp.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { CUSTOM_NODES_PACKAGE_NAME } from 'n8n-core';
import type { INodeParameters } from 'n8n-workflow';

import { CatalystPay } from '../../nodes/CatalystPay/CatalystPay.node';
import { CREATE_TOOL_DESCRIPTION, GET_TOOL_DESCRIPTION, TOOL_DESCRIPTION } from '../../nodes/CatalystPay/actions/agentText';
import type { Sandbox } from '../../sandbox/src';
import { runNode } from '../helpers/n8nEngine';
import { createSessionParameters, credentialTypes, sandboxCredentials, startTestSandbox } from '../helpers/sandbox';

const EXAMPLES = join(__dirname, '..', '..', 'examples');
const TOOL_TYPE = `${CUSTOM_NODES_PACKAGE_NAME}.catalystPayTool`;

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startTestSandbox();
});
afterAll(async () => await sandbox.close());

async function run(parameters: INodeParameters, options: { asTool?: boolean; apiKey?: string } = {}) {
	return await runNode({
		nodeType: new CatalystPay(),
		typeName: options.asTool === false ? undefined : TOOL_TYPE,
		nodeName: 'create_payment_session',
		parameters,
		credentials: sandboxCredentials(sandbox, options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
		credentialTypes,
	});
}

/** Every $fromAI('key', 'description', 'type', ...) in a parameter value. */
function fromAiCalls(value: unknown): Array<{ key: string; description: string; type: string }> {
	const text = JSON.stringify(value);
	return [...text.matchAll(/\$fromAI\('([^']*)', '([^']*)', '([^']*)'/g)].map(([, key, description, type]) => ({ key, description, type }));
}

describe('what an agent is told', () => {
	test("the tool variant's description comes from usableAsTool replacements", () => {
		const { description } = new CatalystPay();
		expect(description.usableAsTool).toEqual({ replacements: { description: TOOL_DESCRIPTION } });
		// A notice only the tool variant shows (n8n's @tool display condition), for whoever wires it up.
		const notice = description.properties.find((p) => p.name === 'agentNotice');
		expect(notice).toMatchObject({ type: 'notice', displayOptions: { show: { '@tool': [true] } } });
	});

	test('the descriptions say what comes back, what to do with it, and the formats', () => {
		for (const text of [TOOL_DESCRIPTION, CREATE_TOOL_DESCRIPTION]) {
			expect(text).toMatch(/payment_url/);
			expect(text).toMatch(/no money moves|moves no money/i);
		}
		expect(CREATE_TOOL_DESCRIPTION).toMatch(/session_token \(ps_/);
		expect(CREATE_TOOL_DESCRIPTION).toMatch(/ISO 3166-1 alpha-2/);
		expect(CREATE_TOOL_DESCRIPTION).toMatch(/name@example\.com/);
		expect(GET_TOOL_DESCRIPTION).toMatch(/PENDING.*COMPLETED.*FAILED/);
		expect(GET_TOOL_DESCRIPTION).toMatch(/Read-only/);
	});

	test('examples/mcp-agent-tools.json: an MCP Server Trigger with Create and Get, every field described', () => {
		const workflow = JSON.parse(readFileSync(join(EXAMPLES, 'mcp-agent-tools.json'), 'utf8'));
		const byName = Object.fromEntries(workflow.nodes.map((n: { name: string }) => [n.name, n]));
		expect(byName['MCP Server Trigger'].type).toBe('@n8n/n8n-nodes-langchain.mcpTrigger');

		const create = byName.create_payment_session;
		const get = byName.get_payment_session;
		for (const tool of [create, get]) {
			expect(tool.type).toBe('n8n-nodes-catalystpay.catalystPayTool');
			expect(tool.credentials).toEqual({ catalystPayApi: { id: 'catalystpaySandbox01', name: 'CatalystPay Sandbox' } });
			expect(workflow.connections[tool.name]).toEqual({ ai_tool: [[{ node: 'MCP Server Trigger', type: 'ai_tool', index: 0 }]] });
			expect(tool.parameters.descriptionType).toBe('manual');
		}
		expect(create.parameters).toMatchObject({ operation: 'create', toolDescription: CREATE_TOOL_DESCRIPTION });
		expect(get.parameters).toMatchObject({ operation: 'get', toolDescription: GET_TOOL_DESCRIPTION });

		const createArgs = fromAiCalls(create.parameters);
		expect(createArgs.map((a) => a.key).sort()).toEqual(['address', 'city', 'country', 'email', 'first_name', 'last_name', 'postal_code']);
		expect(fromAiCalls(get.parameters).map((a) => a.key)).toEqual(['session_token']);
		for (const arg of [...createArgs, ...fromAiCalls(get.parameters)]) {
			expect(arg.type).toBe('string');
			expect(arg.description.length).toBeGreaterThan(20);
		}
		expect(createArgs.find((a) => a.key === 'country')?.description).toMatch(/ISO 3166-1 alpha-2/);
		// The campaign (and with it the price) is the workflow's choice, never the model's.
		expect(create.parameters.campaignId).toMatch(/^[0-9a-f-]{36}$/);
	});

	test('every example has its own webhook ids and paths (npm run dev imports and publishes them all)', () => {
		const seen = new Map<string, string>();
		for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'))) {
			const workflow = JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8'));
			for (const node of workflow.nodes) {
				const keys = [node.webhookId, node.parameters?.path, node.parameters?.options?.path].filter(Boolean);
				for (const key of keys) {
					expect(`${key} in ${file}`).toBe(`${key} in ${seen.get(key) ?? file}`);
					seen.set(key, file);
				}
			}
		}
		expect(seen.size).toBeGreaterThan(2);
	});
});

describe('errors an agent can act on', () => {
	test('a bad email: no request sent, no "item 0", no "run the node again", what to pass instead', async () => {
		const before = sandbox.stats.requests;
		const { error } = await run(createSessionParameters({ email: 'not-an-email' }));
		expect(error?.message).toBe('Email "not-an-email" is not an email address');
		const description = (error as { description?: string }).description ?? '';
		expect(description).toMatch(/^Nothing was sent to CatalystPay\. .*name@example\.com.*call this tool again\.$/);
		expect(`${error?.message} ${description}`).not.toMatch(/item \d|run the node/i);
		expect(sandbox.stats.requests).toBe(before);
	});

	test('a bad country and a made-up session token say the expected format', async () => {
		const country = await run(createSessionParameters({ country: 'Germany' }));
		expect(country.error?.message).toMatch(/^Country "GERMANY" is not an ISO 3166-1 alpha-2 country code/);
		expect((country.error as { description?: string }).description).toMatch(/two letters such as DE/);

		const token = await run({ resource: 'paymentSession', operation: 'get', session: 'session-42' });
		expect(token.error?.message).toMatch(/^Session Token "session-42" is not a payment session token/);
		expect((token.error as { description?: string }).description).toMatch(/exactly as Create returned it/);
	});

	test("CatalystPay's refusals speak to the agent: unknown session, wrong key", async () => {
		const unknown = await run({ resource: 'paymentSession', operation: 'get', session: 'ps_000000000000000000000000000000' });
		expect(unknown.error?.message).toBe('No payment session has the token ps_000000000000000000000000000000');
		expect((unknown.error as { description?: string }).description).toMatch(/Do not make one up/);

		const key = await run(createSessionParameters(), { apiKey: 'rk_wrong' });
		expect(key.error?.message).toBe('CatalystPay refused the API key');
		const description = (key.error as { description?: string }).description ?? '';
		expect(description).toMatch(/tell the user/);
		expect(description).not.toMatch(/node's|run the node/);
	});

	test('as a plain node the same error still names the item for the workflow author', async () => {
		const { error } = await run(createSessionParameters({ email: 'not-an-email' }), { asTool: false });
		expect(error?.message).toBe('Email "not-an-email" is not an email address (item 0)');
		expect((error as { description?: string }).description).toBe('Fix "Email" for item 0 and run the node again.');
	});

	test('a good call as a tool returns the session', async () => {
		const { output, error } = await run(createSessionParameters());
		expect(error).toBeUndefined();
		expect(output?.[0]?.[0]?.json).toMatchObject({ session_token: expect.stringMatching(/^ps_/), status: 'PENDING' });
	});
});
