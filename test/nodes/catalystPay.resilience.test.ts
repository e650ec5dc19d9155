/**
 * The CatalystPay node under load and faults, in n8n's engine against the sandbox's fault injection:
 * bounded concurrency, retries that never create a session twice, timeouts, and no item lost.
 */
import type { INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { CatalystPay } from '../../nodes/CatalystPay/CatalystPay.node';
import type { Sandbox } from '../../sandbox/src';
import { NO_FAULTS } from '../../sandbox/src';
import { runNode } from '../helpers/n8nEngine';
import { createSessionParameters, credentialTypes, sandboxCredentials, startTestSandbox } from '../helpers/sandbox';

let sandbox: Sandbox;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
	sandbox = await startTestSandbox();
	process.on('unhandledRejection', onUnhandled);
});
afterAll(async () => {
	process.off('unhandledRejection', onUnhandled);
	await sandbox.close();
});
beforeEach(() => {
	sandbox.faults.update({ ...NO_FAULTS });
	Object.assign(sandbox.stats, { requests: 0, creates: 0, maxInFlight: 0 });
});
afterEach(() => expect(unhandled).toEqual([]));

const numbered = (count: number): INodeExecutionData[] =>
	Array.from({ length: count }, (_, n) => ({ json: { n, email: `lead-${n}@example.com` } }));

const create = (options: INodeParameters = {}): INodeParameters => createSessionParameters({ email: '={{ $json.email }}', options });

async function run(parameters: INodeParameters, inputItems: INodeExecutionData[], continueOnFail = false) {
	return await runNode({
		nodeType: new CatalystPay(),
		parameters,
		credentials: sandboxCredentials(sandbox),
		credentialTypes,
		inputItems,
		continueOnFail,
	});
}

function leadEmailOf(item: INodeExecutionData): string | undefined {
	return sandbox.store.sessions.get(item.json.session_token as string)?.lead.email;
}

test('never more requests in flight than Concurrent Requests; results in input order, each paired', async () => {
	// The sandbox holds the first 4 requests until all 4 are there: 4 in flight on any machine, if the node sends them at once.
	sandbox.faults.update({ latencyMs: 20, gatherFirst: 4 });
	const { output, error } = await run(create({ concurrency: 4 }), numbered(30));
	expect(error).toBeUndefined();
	expect(sandbox.stats.maxInFlight).toBe(4);
	const out = output?.[0] ?? [];
	expect(out.map((item) => item.pairedItem)).toEqual(numbered(30).map((_, n) => ({ item: n })));
	expect(out.map(leadEmailOf)).toEqual(numbered(30).map((item) => item.json.email));
});

test('Concurrent Requests 1 sends one at a time', async () => {
	sandbox.faults.update({ latencyMs: 5 });
	await run(create({ concurrency: 1 }), numbered(6));
	expect(sandbox.stats.maxInFlight).toBe(1);
});

test('a rate limit is waited out and retried: every item gets its session, once', async () => {
	// By count, not by rate: of every 4 requests the last 2 are refused, however fast the machine.
	sandbox.faults.update({ rateLimitEvery: 4, rateLimitBurst: 2, retryAfterSeconds: 1 });
	const { output, error } = await run(create({ concurrency: 8 }), numbered(8));
	expect(error).toBeUndefined();
	expect(sandbox.faults.counts.rateLimit).toBeGreaterThan(0);
	expect(output?.[0].map(leadEmailOf)).toEqual(numbered(8).map((item) => item.json.email));
	expect(sandbox.stats.creates).toBe(8);
});

test('Create is not retried after a 5xx, which may have created the session', async () => {
	sandbox.faults.update({ errorRate: 1, errorStatuses: [502, 503, 504], errorTiming: 'after' });
	const { output } = await run(create({ retries: 5 }), numbered(3), true);
	expect(output?.[0].map((item) => item.json.error)).toEqual([
		expect.stringMatching(/server error/),
		expect.stringMatching(/server error/),
		expect.stringMatching(/server error/),
	]);
	expect(sandbox.stats.requests).toBe(3);
	expect(sandbox.stats.creates).toBe(3);
});

test('Create is not retried after a dropped connection either', async () => {
	sandbox.faults.update({ dropRate: 1 });
	const { output } = await run(create({ retries: 5 }), numbered(2), true);
	expect(output?.[0].map((item) => item.json.error)).toEqual([
		expect.stringMatching(/connection was dropped/),
		expect.stringMatching(/connection was dropped/),
	]);
	expect(sandbox.stats.requests).toBe(2);
});

describe('Get', () => {
	let tokens: string[];
	beforeAll(async () => {
		sandbox.faults.update({ ...NO_FAULTS });
		const { output } = await run(create(), numbered(12));
		tokens = (output?.[0] ?? []).map((item) => item.json.session_token as string);
	});

	const get = (options: INodeParameters = {}): INodeParameters => ({
		resource: 'paymentSession',
		operation: 'get',
		session: '={{ $json.token }}',
		options,
	});
	const tokenItems = () => tokens.map((token) => ({ json: { token } }));

	test('is retried through 502/503/504 answers and dropped connections', async () => {
		sandbox.faults.update({ errorRate: 0.3, errorStatuses: [502, 503, 504], dropRate: 0.2, seed: 7 });
		const { output, error } = await run(get({ retries: 8, concurrency: 6 }), tokenItems());
		expect(error).toBeUndefined();
		expect(output?.[0].map((item) => item.json.session_token)).toEqual(tokens);
		expect(sandbox.stats.requests).toBeGreaterThan(tokens.length);
	});

	test('gives up after its retries with a clear error per item', async () => {
		sandbox.faults.update({ errorRate: 1, errorStatuses: [503] });
		const { output } = await run(get({ retries: 2 }), tokenItems().slice(0, 2), true);
		expect(output?.[0].map((item) => item.json.error)).toEqual([
			expect.stringMatching(/server error/),
			expect.stringMatching(/server error/),
		]);
		expect(sandbox.stats.requests).toBe(6);
	});

	test('a slow answer runs into the timeout', async () => {
		sandbox.faults.update({ latencyMs: 400 });
		const { error } = await run(get({ timeout: 100, retries: 0 }), tokenItems().slice(0, 1));
		expect(error?.message).toBe('CatalystPay did not answer within 100 ms');
	});
});

test('without Continue On Fail, the error names the item and lists items that already went through', async () => {
	const items = numbered(6);
	items[2].json.email = 'not-an-email';
	sandbox.faults.update({ latencyMs: 20 });
	const { error } = await run(create({ concurrency: 6 }), items);
	expect(error?.message).toMatch(/Email "not-an-email" is not an email address \(item 2\)/);
	expect((error as { description?: string }).description).toMatch(/item 3 \(ps_[a-z0-9]+\), item 4 \(ps_[a-z0-9]+\), item 5 \(ps_/);
});

test('a batch that stops on an error names every item that succeeded, before and after the failed one, with its session token', async () => {
	// Item 2 has no valid email: it fails on its own, the others are created (two at a time).
	const items = numbered(6);
	items[2] = { json: { n: 2, email: 'not-an-email' } };
	const { error } = await run(create({ concurrency: 2 }), items);
	const description = String((error as { description?: string } | undefined)?.description ?? '');
	const listed = [...description.matchAll(/item (\d) \((ps_[a-z0-9]+)\)/g)].map((match) => Number(match[1]));
	// Items 0 and 1 ran before the failure; 3 may have been in flight beside it; none is missing.
	expect(listed).toEqual(expect.arrayContaining([0, 1]));
	expect(listed).not.toContain(2);
	for (const index of listed) {
		const token = description.match(new RegExp(`item ${index} \\((ps_[a-z0-9]+)\\)`))?.[1] as string;
		expect(sandbox.store.sessions.get(token)?.lead.email).toBe(`lead-${index}@example.com`);
	}
	expect(description).toMatch(/Running this node again creates them again/);
	expect(listed).toHaveLength(sandbox.stats.creates);
});
