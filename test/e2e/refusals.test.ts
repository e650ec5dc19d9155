/**
 * Refused deliveries the owner can see, in a real n8n 2.41.1 with the packed package: every refusal
 * kind writes its line (reason and hint) to n8n's own log and, with "Output Refused Deliveries" on,
 * starts an execution on the Refused output; a flood of 500 forged requests becomes a few executions
 * and a few log lines; with the option off a refusal starts nothing, as before. No secret, signature
 * or body in n8n's log or in a Refused item. Outcomes from n8n's API and n8n's own output.
 */
import { createHmac } from 'node:crypto';
import { gzipSync } from 'node:zlib';

import { sign } from '../../lib/signature';
import { guideCanonical } from '../helpers/guideSample';
import { createSessionViaApi } from '../helpers/sandbox';
import type { Execution, Stack } from './stack';
import { addWorkflow, countExecutions, eventually, executions, nodeOutput, reportRun, startE2eStack, timed } from './stack';

let stack: Stack;
let secret: string;
const timings: Record<string, number> = {};

beforeAll(async () => {
	stack = await timed(timings, 'stackStart', startE2eStack);
	secret = stack.sandboxConfig.signingSecret;
}, 20 * 60 * 1000);

afterAll(async () => {
	await stack?.stop();
	reportRun('e2e refusals', stack, timings);
}, 3 * 60 * 1000);

const TRIGGER = 'CatalystPay webhook';
/** Marks the bodies sent here: it must never appear in n8n's log. */
const BODY_MARKER = 'Zebulon-Quixote-4471';
const body = (fields: Record<string, unknown> = {}) =>
	JSON.stringify({ session_token: 'ps_abc123def456ghi789jkl012mno345', status: 'COMPLETED', customer_name: `${BODY_MARKER} Müller`, amount: '29.99', ...fields });

let workflowCount = 0;
/** A published workflow: the trigger, its Delivery output to one NoOp and its Refused output to another. */
async function triggerWorkflow(parameters: Record<string, unknown>): Promise<{ id: string; url: string }> {
	const n = ++workflowCount;
	const webhookId = `c0ffee00-0000-4000-8000-${String(n).padStart(12, '0')}`;
	const refused = parameters.refusedOutput === true;
	const { id } = await addWorkflow(
		stack,
		{
			name: `Refusals ${n}`,
			nodes: [
				{
					id: `a0000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
					name: TRIGGER,
					type: 'n8n-nodes-catalystpay.catalystPayTrigger',
					typeVersion: 1,
					position: [0, 0],
					webhookId,
					parameters: { events: ['payment_session.completed'], ...parameters },
					credentials: { catalystPayApi: { id: stack.credential.id, name: stack.credential.name } },
				},
				{ id: `b0000000-0000-4000-8000-${String(n).padStart(12, '0')}`, name: 'Delivered', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [300, -100], parameters: {} },
				{ id: `c0000000-0000-4000-8000-${String(n).padStart(12, '0')}`, name: 'Refused', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [300, 100], parameters: {} },
			],
			connections: {
				[TRIGGER]: { main: refused ? [[{ node: 'Delivered', type: 'main', index: 0 }], [{ node: 'Refused', type: 'main', index: 0 }]] : [[{ node: 'Delivered', type: 'main', index: 0 }]] },
			},
		},
		[`/webhook/${webhookId}/webhook`],
	);
	return { id, url: `${stack.n8nUrl}/webhook/${webhookId}/webhook` };
}

async function send(url: string, payload: string | Buffer, headers: Record<string, string>) {
	const res = await fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'x-catalystpay-event': 'payment_session.completed', ...headers },
		body: payload,
	});
	const text = await res.text();
	let json: any;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: res.status, json };
}

const hmac = (key: string, data: string | Buffer) => createHmac('sha256', key).update(data).digest('hex');
/** The log lines this package wrote about a workflow's refusals. */
const refusalLines = (workflowId: string) =>
	stack
		.n8nOutput()
		.split('\n')
		.filter((line) => line.includes('CatalystPay Trigger') && line.includes(workflowId));

async function refusedItems(workflowId: string, expected: number): Promise<any[]> {
	const found = await eventually(`${expected} Refused execution(s) of workflow ${workflowId}`, async () => {
		const list = await executions(stack, workflowId);
		return list.length >= expected && list.every((e) => e.status === 'success') ? list : undefined;
	});
	// Oldest first: in the order they were sent (one at a time).
	return [...found].sort((a, b) => Number(a.id) - Number(b.id)).flatMap((execution: Execution) => nodeOutput(execution, 'Refused') ?? []);
}

function expectNothingSecretLogged(): void {
	const log = stack.n8nOutput();
	expect(log).not.toContain(secret);
	expect(log).not.toContain(stack.sandboxConfig.apiKey);
	expect(log).not.toContain(BODY_MARKER);
}

describe('refused deliveries in n8n', () => {
	test('each signature refusal: its answer, a log line with reason and hint, and a Refused execution without the signature', async () => {
		const t0 = Date.now();
		const { id, url } = await triggerWorkflow({ refusedOutput: true, confirmSessionStatus: false });
		const plain = body();
		const spaced = JSON.stringify(JSON.parse(plain), null, 2);
		const cases: Array<{ reason: string; headers: Record<string, string>; payload: string; status: number; answerHint?: RegExp; logHint?: RegExp }> = [
			{ reason: 'missing-signature', headers: {}, payload: plain, status: 401, answerHint: /signs every delivery/ },
			{ reason: 'malformed-signature', headers: { 'x-catalystpay-signature': 'sha256=abc' }, payload: plain, status: 401, answerHint: /bare hex/ },
			{ reason: 'signature-mismatch', headers: { 'x-catalystpay-signature': sign(plain, 'whsec_not_the_secret') }, payload: plain, status: 401, logHint: /signing secret is the one shown/ },
			// Signed with the right secret, the wrong way: the cause is logged, never answered.
			{ reason: 'signature-mismatch', headers: { 'x-catalystpay-signature': hmac(secret, spaced) }, payload: spaced, status: 401, logHint: /HMAC of the raw body/ },
			{ reason: 'signature-mismatch', headers: { 'x-catalystpay-signature': hmac(secret, guideCanonical(plain)) }, payload: plain, status: 401, logHint: /JSON\.stringify/ },
		];
		for (const c of cases) {
			const answer = await send(url, c.payload, c.headers);
			expect(answer.status).toBe(c.status);
			expect(typeof answer.json?.error).toBe('string');
			if (c.answerHint) expect(answer.json.hint).toMatch(c.answerHint);
			// A hint found with the secret would tell a forger the secret is right: never in the answer.
			if (c.logHint) expect(answer.json.hint).toBeUndefined();
		}

		const items = await refusedItems(id, cases.length);
		expect(items.map((item) => item.reason)).toEqual(cases.map((c) => c.reason));
		for (const [i, item] of items.entries()) {
			expect(item).toMatchObject({ status: cases[i].status, event: 'payment_session.completed', bodyBytes: Buffer.byteLength(cases[i].payload), hint: expect.any(String) });
			if (cases[i].logHint) expect(item.hint).toMatch(cases[i].logHint as RegExp);
			expect(Object.keys(item.headers).map((name) => name.toLowerCase())).not.toContain('x-catalystpay-signature');
			expect(JSON.stringify(item)).not.toContain(BODY_MARKER);
		}
		// Nothing reached the Delivery output.
		expect((await executions(stack, id)).filter((e) => nodeOutput(e, 'Delivered')?.length)).toEqual([]);

		const lines = await eventually('the refusal log lines', async () => (refusalLines(id).length >= cases.length ? refusalLines(id) : undefined));
		for (const c of cases) expect(lines.some((line) => line.includes(c.reason))).toBe(true);
		for (const c of cases.filter((x) => x.logHint)) expect(lines.some((line) => (c.logHint as RegExp).test(line))).toBe(true);
		for (const c of cases) {
			const signature = (c.headers as Record<string, string>)['x-catalystpay-signature'];
			if (signature) expect(stack.n8nOutput()).not.toContain(signature);
		}
		expectNothingSecretLogged();
		timings.signature = Date.now() - t0;
	}, 10 * 60 * 1000);

	test('body and session refusals: a re-encoded body, not JSON, no session_token, an unknown session, a status CatalystPay does not have yet', async () => {
		const t0 = Date.now();
		const { id, url } = await triggerWorkflow({ refusedOutput: true, confirmSessionStatus: true });
		// "Müller" re-encoded to Latin-1 on the way: no longer UTF-8, so not JSON as CatalystPay signs it.
		const latin1 = Buffer.from(body(), 'latin1');
		const noToken = JSON.stringify({ status: 'COMPLETED', customer_name: `${BODY_MARKER}` });
		const unknown = body({ session_token: 'ps_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz' });
		// A real session, created but not paid: the webhook's COMPLETED is not what CatalystPay has.
		const { session_token: pending } = await createSessionViaApi(stack.sandbox);
		const early = body({ session_token: pending });
		const cases: Array<{ reason: string; payload: string | Buffer; headers: Record<string, string>; status: number; hint: RegExp }> = [
			{ reason: 'not-json', payload: latin1, headers: { 'x-catalystpay-signature': sign(body(), secret) }, status: 400, hint: /not UTF-8/ },
			{ reason: 'not-json', payload: `not json ${BODY_MARKER}`, headers: { 'content-type': 'text/plain', 'x-catalystpay-signature': 'a'.repeat(64) }, status: 400, hint: /sends JSON/ },
			{ reason: 'no-session-token', payload: noToken, headers: { 'x-catalystpay-signature': sign(noToken, secret) }, status: 422, hint: /session_token/ },
			{ reason: 'unknown-session', payload: unknown, headers: { 'x-catalystpay-signature': sign(unknown, secret) }, status: 422, hint: /Base URL/ },
			{ reason: 'status-mismatch', payload: early, headers: { 'x-catalystpay-signature': sign(early, secret) }, status: 409, hint: /retries/ },
		];
		for (const c of cases) {
			const answer = await send(url, c.payload, c.headers);
			expect({ reason: c.reason, status: answer.status }).toEqual({ reason: c.reason, status: c.status });
			// Each of these was found without the secret: the answer may say it.
			expect(answer.json.hint).toMatch(c.hint);
		}
		const items = await refusedItems(id, cases.length);
		expect(items.map((item) => item.reason)).toEqual(cases.map((c) => c.reason));
		for (const [i, item] of items.entries()) expect(item.hint).toMatch(cases[i].hint);
		const lines = await eventually('the refusal log lines', async () => (refusalLines(id).length >= cases.length ? refusalLines(id) : undefined));
		for (const c of cases) expect(lines.some((line) => line.includes(c.reason) && c.hint.test(line))).toBe(true);
		expectNothingSecretLogged();
		timings.body = Date.now() - t0;
	}, 10 * 60 * 1000);

	test('bodies over the size limit, a gzip bomb among them, are refused before they are read; one within it is verified', async () => {
		const { id, url } = await triggerWorkflow({ refusedOutput: false, confirmSessionStatus: false });
		// 33 KB of a customer name: over the default limit of 32 KB, and signed with the right secret.
		const large = body({ customer_name: `${BODY_MARKER} ${'x'.repeat(33 * 1024)}` });
		const tooLarge = await send(url, large, { 'x-catalystpay-signature': sign(large, secret) });
		expect({ status: tooLarge.status, error: tooLarge.json?.error }).toEqual({ status: 413, error: expect.stringMatching(/more than this trigger accepts \(32768\)/) });
		// 16 MB of spaces inside valid JSON, gzipped to about 16 KB: n8n inflates it, the trigger refuses it unread.
		const bomb = gzipSync(Buffer.concat([Buffer.from('{"session_token":"ps_abc123def456ghi789jkl012mno345","status":"COMPLETED","x":"'), Buffer.alloc(15 * 1024 * 1024, 0x20), Buffer.from('"}')]));
		const inflated = await send(url, bomb, { 'content-encoding': 'gzip', 'x-catalystpay-signature': 'a'.repeat(64) });
		expect([413, 400]).toContain(inflated.status);
		// Forged requests at the limit, 40 at once, with a genuine delivery among them: it runs.
		const atLimit = body({ customer_name: `${BODY_MARKER} ${'x'.repeat(32 * 1024 - 200)}` });
		const genuine = body({ order_number: 'ORD-among-forged' });
		const sent = await Promise.all([
			...Array.from({ length: 40 }, () => send(url, atLimit, { 'x-catalystpay-signature': 'b'.repeat(64) })),
			send(url, genuine, { 'x-catalystpay-signature': sign(genuine, secret) }),
		]);
		expect(sent.slice(0, 40).every((answer) => answer.status === 401)).toBe(true);
		expect(sent[40].status).toBe(200);
		await eventually('the genuine delivery to run', async () => ((await countExecutions(stack, id, 'success')) === 1 ? true : undefined));

		// Raised for this trigger, the same large body is verified and runs.
		const raised = await triggerWorkflow({ refusedOutput: false, confirmSessionStatus: false, options: { maxBodyKb: 64 } });
		expect((await send(raised.url, large, { 'x-catalystpay-signature': sign(large, secret) })).status).toBe(200);
		await eventually('the large delivery to run', async () => ((await countExecutions(stack, raised.id, 'success')) >= 1 ? true : undefined));
		expect(await countExecutions(stack, id)).toBe(1);
		const lines = await eventually('the refusal log lines', async () => (refusalLines(id).length >= 1 ? refusalLines(id) : undefined));
		expect(lines.some((line) => line.includes('too-large'))).toBe(true);
		expectNothingSecretLogged();
	}, 10 * 60 * 1000);

	test('a flood of 500 forged deliveries: a handful of Refused executions and log lines, counted, not 500', async () => {
		const t0 = Date.now();
		// Confirm Session Status on: forged requests are refused before it; the genuine one below needs it.
		const { id, url } = await triggerWorkflow({ refusedOutput: true, confirmSessionStatus: true });
		const forged = body({ order_number: 'ORD-flood' });
		const signature = sign(forged, 'whsec_not_the_secret');
		for (let i = 0; i < 500; i += 25) {
			const answers = await Promise.all(Array.from({ length: 25 }, () => send(url, forged, { 'x-catalystpay-signature': signature })));
			expect(answers.every((a) => a.status === 401)).toBe(true);
		}
		// The bounds are per minute of the flood, so they hold however long a slow machine takes.
		const minutes = Math.ceil((Date.now() - t0) / 60_000);
		const bound = 5 * minutes;
		const count = await eventually('the Refused executions to finish', async () => {
			const list = await executions(stack, id);
			return list.length > 0 && list.every((e) => e.status === 'success') ? list.length : undefined;
		});
		expect(count).toBeGreaterThanOrEqual(5);
		expect(count).toBeLessThanOrEqual(bound);
		// One line each for the first five of a minute, then a summary per 100 held back.
		const lines = refusalLines(id);
		expect(lines.length).toBeGreaterThanOrEqual(5);
		expect(lines.length).toBeLessThanOrEqual(bound + Math.ceil(500 / 100));
		expect(lines.some((line) => /not logged one by one/.test(line))).toBe(true);
		process.stderr.write(`[e2e refusals] flood of 500 forged: ${count} Refused executions, ${lines.length} log lines, in ${minutes} minute(s)\n`);

		// Right after the flood, still within its minute: a genuine, signed delivery refused because the
		// session is not paid yet. Its own budget: it is logged and gets its Refused execution.
		const { session_token: pending } = await createSessionViaApi(stack.sandbox);
		const early = body({ session_token: pending, order_number: 'ORD-genuine' });
		expect((await send(url, early, { 'x-catalystpay-signature': sign(early, secret) })).status).toBe(409);
		await eventually('the log line of the refused genuine delivery', async () => (refusalLines(id).some((line) => line.includes('status-mismatch')) ? true : undefined));
		expectNothingSecretLogged();
		timings.flood = Date.now() - t0;
	}, 20 * 60 * 1000);

	test('with Output Refused Deliveries off (the default) a refusal starts nothing, and a good delivery still runs once', async () => {
		const t0 = Date.now();
		const { id, url } = await triggerWorkflow({ confirmSessionStatus: false });
		const forged = body({ order_number: 'ORD-off' });
		expect((await send(url, forged, { 'x-catalystpay-signature': sign(forged, 'whsec_not_the_secret') })).status).toBe(401);
		expect((await send(url, forged, {})).status).toBe(401);
		// Then a good one: once it has run, the refusals before it would have too (by order, not by time).
		const good = body({ order_number: 'ORD-good' });
		expect((await send(url, good, { 'x-catalystpay-signature': sign(good, secret) })).status).toBe(200);
		await eventually('the good delivery to run', async () => ((await countExecutions(stack, id, 'success')) >= 1 ? true : undefined));
		const runs = await executions(stack, id);
		expect(runs).toHaveLength(1);
		expect(nodeOutput(runs[0], 'Delivered')).toEqual([expect.objectContaining({ payload: expect.objectContaining({ order_number: 'ORD-good' }) })]);
		// Still logged.
		expect(refusalLines(id).length).toBeGreaterThanOrEqual(2);
		timings.off = Date.now() - t0;
	}, 10 * 60 * 1000);
});
