/**
 * n8n in queue mode (scripts/n8n-queue-stack.cjs): PostgreSQL, Redis, nginx in front of n8n main,
 * two webhook processes and a worker, all real, with this package installed as a user installs it and
 * the queue-mode example (examples/queue-mode/payment-events.json) published: the CatalystPay Trigger
 * (version 2: CatalystPay is answered when the workflow has finished), then the order recorded in the
 * app's own database together with the claim of the delivery's id, in one statement.
 *
 * What it proves: signed deliveries spread over both webhook processes and run on the worker, once;
 * copies of one delivery (later, at the same instant, after every n8n process restarted) reaching
 * either webhook process never ship an order twice; refusals start nothing; the CatalystPay node runs
 * on the worker and the credential test on main. Outcomes come from n8n's public API, from each
 * process's own log (which process enqueued or ran an execution), from nginx's X-Upstream header, and
 * from the app database's catalystpay_orders, never from our nodes' logs.
 *
 * For every copy it reports on stderr which layer caught it: the trigger (at the worker: an execution
 * whose trigger passed nothing on, the delivery having succeeded before; or at a webhook process: 409
 * while a copy is still being confirmed), the gate (the workflow's "Already handled" branch), or none
 * (it shipped the order).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { sign } from '../../lib/signature';
import type { Delivery } from '../../sandbox/src';
import { launchBrowser } from '../helpers/browser';
import { createSessionViaApi, payOnHostedPage, sendDeliveryCopy, withWebhooksCaught } from '../helpers/sandbox';
import type { Execution, QueueProcess, QueueStack } from './stack';
import { addCreateAndGetWorkflow } from './flow';
import { addShippingWorkflow, type Shop, startShop } from './shop';
import { addWorkflow as addWorkflowViaApi, eventually, executions, nodeOutput, reportRun, startQueueE2eStack, timed } from './stack';

const PAYS = 'DE89370400440532013000';
const DECLINED = 'DE62370400440532013001';
const TRIGGER = 'CatalystPay webhook';
const SHIP = 'Ship the order';
const ALREADY = 'Already handled';
const FINAL = new Set(['success', 'error', 'crashed', 'canceled']);
const N8N: QueueProcess[] = ['main', 'webhook1', 'webhook2', 'worker'];

let stack: QueueStack;
const timings: Record<string, number> = {};
/** Which layer caught each copy of a delivery, reported at the end. */
const layers: string[] = [];

const report = (line: string) => {
	layers.push(line);
	process.stderr.write(`[e2e queue] ${line}\n`);
};

beforeAll(async () => {
	stack = await timed(timings, 'stackStart', startQueueE2eStack);
}, 20 * 60 * 1000);

afterAll(async () => {
	await stack?.stop();
	const caught = { trigger: 0, gate: 0, shipped: 0 };
	for (const line of layers) {
		if (/caught by the trigger/.test(line)) caught.trigger++;
		else if (/caught by the gate/.test(line)) caught.gate++;
		else if (/shipped/.test(line)) caught.shipped++;
	}
	reportRun('e2e queue', stack, timings, `; in queue mode; copies: ${JSON.stringify(caught)}`);
}, 3 * 60 * 1000);

// ---- helpers -------------------------------------------------------------------------------------

/** Creates a session through the sandbox's API and pays it on the hosted page; returns its token. */
async function createAndPay(iban: string, n: number): Promise<string> {
	const { session_token } = await createSessionViaApi(stack.sandbox, {
		first_name: 'Jürgen',
		last_name: 'Müller',
		email: `queue-${n}-${Date.now()}@example.com`,
		country: 'DE',
	});
	const paid = await payOnHostedPage(stack.sandbox, session_token, iban);
	await paid.text();
	expect(paid.status).toBe(303);
	return session_token;
}

async function createAndPayMany(count: number, iban: string): Promise<string[]> {
	const tokens: string[] = [];
	for (let i = 0; i < count; i += 8) {
		tokens.push(...(await Promise.all(Array.from({ length: Math.min(8, count - i) }, (_, j) => createAndPay(iban, i + j)))));
	}
	return tokens;
}

/** The sandbox's deliveries (first sends, not resends) for a session. */
function deliveriesOf(token: string): Delivery[] {
	return [...stack.sandbox.store.deliveries.values()].filter((d) => d.session_token === token && d.resend_of === null);
}

/** Sends a copy of a delivery to a URL; a copy that gets no answer fails with what n8n was doing. */
async function sendCopy(url: string, delivery: Delivery): Promise<{ status: number; body: any; upstream: string | null }> {
	try {
		// Longer than CatalystPay would wait: a copy held this long is a stall to report, not a slow machine.
		const answer = await sendDeliveryCopy(url, delivery, 150_000);
		return { status: answer.status, body: answer.body, upstream: answer.headers.get('x-upstream') };
	} catch (error) {
		// What n8n was doing is the only clue to a copy that got no answer: keep it with the failure.
		const tail = (name: QueueProcess) => stack.n8nOutput(name).slice(-3000);
		const where = processOfUrl(url.replace(stack.webhookPath, ''));
		throw new Error(`${url} (delivery ${delivery.id}) got no answer: ${(error as Error).message}\n--- worker ---\n${tail('worker')}\n--- ${where} ---\n${tail(where)}`);
	}
}

/** The payment workflow's executions, grouped by session token. */
async function paymentExecutionsByToken(): Promise<Map<string, Execution[]>> {
	const byToken = new Map<string, Execution[]>();
	for (const execution of await executions(stack, stack.workflows.payments.id)) {
		const token = nodeOutput(execution, TRIGGER)?.[0]?.payload?.session_token as string | undefined;
		if (token) byToken.set(token, [...(byToken.get(token) ?? []), execution]);
	}
	return byToken;
}

/**
 * Waits until each token has at least its expected number of executions and all of them have
 * finished; returns them.
 */
async function settledExecutions(expected: Map<string, number>, timeoutMs = 180000): Promise<Map<string, Execution[]>> {
	return await eventually(
		'the executions to be saved and finished',
		async () => {
			const byToken = await paymentExecutionsByToken();
			for (const [token, count] of expected) {
				const found = byToken.get(token) ?? [];
				if (found.length < count || found.some((e) => !FINAL.has(e.status))) return undefined;
			}
			return byToken;
		},
		timeoutMs,
	);
}

async function ordersOf(token: string): Promise<Array<{ session_token: string; delivery_id: string; n8n_execution_id: string }>> {
	return await stack.sql('SELECT session_token, delivery_id, n8n_execution_id FROM catalystpay_orders WHERE session_token = $1', [token]);
}

async function orderCounts(tokens: string[]): Promise<Map<string, number>> {
	const rows = await stack.sql<{ session_token: string; n: string }>(
		'SELECT session_token, count(*) AS n FROM catalystpay_orders WHERE session_token = ANY($1) GROUP BY session_token',
		[tokens],
	);
	return new Map(tokens.map((token) => [token, Number(rows.find((r) => r.session_token === token)?.n ?? 0)]));
}

/** Whether an execution recorded an order (the gate let it through). */
const shippedIn = (execution: Execution) => (nodeOutput(execution, SHIP) ?? []).some((row) => typeof row.delivery_id === 'string');
/** Whether the trigger passed nothing on: a repeat of a delivery that had succeeded, recognised at the worker. */
const recognisedIn = (execution: Execution) => nodeOutput(execution, TRIGGER)?.length === 0;

/** The payment workflow's executions not in `known`, once at least `count` of them have finished. */
async function newExecutions(known: Set<string>, count: number): Promise<Execution[]> {
	return await eventually(`${count} new execution(s) to finish`, async () => {
		const fresh = (await executions(stack, stack.workflows.payments.id)).filter((e) => !known.has(e.id));
		return fresh.length >= count && fresh.every((e) => FINAL.has(e.status)) ? fresh : undefined;
	});
}
const executionIds = async () => new Set((await executions(stack, stack.workflows.payments.id)).map((e) => e.id));

/**
 * A copy of a delivery that had succeeded: recognised either at the webhook process (200 duplicate,
 * from the workflow's static data: nothing enqueued) or at the worker (an execution whose trigger
 * passed nothing on). Never an order. Returns the executions it started.
 */
async function expectRecognised(answer: { status: number; body: any }, known: Set<string>, enqueuedBefore: number): Promise<Execution[]> {
	expect(answer.status).toBe(200);
	if (answer.body?.duplicate) {
		expect(countEnqueued()).toBe(enqueuedBefore);
		return [];
	}
	const fresh = await newExecutions(known, 1);
	expect(fresh.map((e) => ({ status: e.status, recognised: recognisedIn(e), shipped: shippedIn(e) }))).toEqual([{ status: 'success', recognised: true, shipped: false }]);
	return fresh;
}

/** The n8n processes whose log says they enqueued (webhook processes) or ran (worker) an execution. */
function enqueuedBy(executionId: string): QueueProcess[] {
	const line = new RegExp(`Enqueued execution ${executionId} \\(`);
	return N8N.filter((name) => line.test(stack.n8nOutput(name)));
}
function ranOnWorker(executionId: string): boolean {
	return new RegExp(`Worker started execution ${executionId} \\(`).test(stack.n8nOutput('worker'));
}
function countEnqueued(): number {
	return (stack.n8nOutput().match(/Enqueued execution \d+ \(/g) ?? []).length;
}

const processOfUrl = (url: string) => (url === stack.webhookProcessUrls[0] ? 'webhook1' : 'webhook2');
const urlOfPort = (addr: string | null) => (addr ? `http://${addr}` : null);

/** Names the layer that handled one copy, from the trigger's answer and the executions of its session. */
function describeCopy(what: string, answer: { status: number; body: any }, fresh: Execution[]): string {
	if (answer.status === 200 && answer.body?.duplicate) return `${what}: caught by the trigger at the webhook process (200 duplicate)`;
	if (answer.status === 409) return `${what}: caught by the trigger (409, the first copy still in flight)`;
	if (answer.status !== 200) return `${what}: answered ${answer.status} ${JSON.stringify(answer.body)}`;
	const recognised = fresh.filter(recognisedIn);
	const gated = fresh.filter((e) => nodeOutput(e, ALREADY) !== undefined);
	const shipped = fresh.filter(shippedIn);
	if (recognised.length > 0 && shipped.length === 0) return `${what}: caught by the trigger at the worker (execution ${recognised.map((e) => e.id).join(',')} passed nothing on)`;
	if (gated.length > 0 && shipped.length === 0) return `${what}: caught by the gate (execution ${gated.map((e) => e.id).join(',')} went to "${ALREADY}")`;
	if (shipped.length > 0) return `${what}: shipped (execution ${shipped.map((e) => e.id).join(',')})`;
	return `${what}: accepted, executions ${fresh.map((e) => `${e.id}:${e.status}`).join(',') || 'none'}`;
}

// Tokens paid in test a, used again by later tests.
const firstTokens: string[] = [];
const concurrentTokens: string[] = [];

// ---- tests ---------------------------------------------------------------------------------------

describe('n8n in queue mode with n8n-nodes-catalystpay', () => {
	test('a. signed deliveries spread over both webhook processes: one execution each, on the worker, one order each', async () => {
		const t0 = Date.now();
		const tokens = await createAndPayMany(16, PAYS);
		firstTokens.push(...tokens);
		await stack.sandbox.webhooks.idle();

		// Each payment: one delivery, answered 200 (at its last attempt: on a busy machine a workflow can
		// outlast the sandbox's wait, and the retry is then recognised; what counts is one order each).
		for (const token of tokens) {
			const deliveries = deliveriesOf(token);
			expect(deliveries.map((d) => [d.state, d.attempts[d.attempts.length - 1]?.status])).toEqual([['delivered', 200]]);
		}
		const byToken = await settledExecutions(new Map(tokens.map((t) => [t, 1])));

		const enqueuers = new Map<string, number>();
		for (const token of tokens) {
			const found = byToken.get(token) ?? [];
			expect(found).toHaveLength(1);
			const [execution] = found;
			expect(execution).toMatchObject({ status: 'success', mode: 'webhook' });
			const [triggered] = nodeOutput(execution, TRIGGER) as any[];
			expect(triggered.event).toBe('payment_session.completed');
			expect(typeof triggered.deliveryId).toBe('string');
			expect(nodeOutput(execution, ALREADY)).toBeUndefined();
			expect(nodeOutput(execution, SHIP)).toEqual([
				expect.objectContaining({ session_token: token, delivery_id: triggered.deliveryId, n8n_execution_id: execution.id }),
			]);
			// Enqueued by exactly one webhook process, run by the worker (not by main).
			const by = enqueuedBy(execution.id);
			expect(by).toHaveLength(1);
			expect(['webhook1', 'webhook2']).toContain(by[0]);
			expect(ranOnWorker(execution.id)).toBe(true);
			enqueuers.set(by[0], (enqueuers.get(by[0]) ?? 0) + 1);
		}
		// One order per payment, in the app's own table.
		const counts = await orderCounts(tokens);
		expect([...counts].filter(([, n]) => n !== 1)).toEqual([]);
		// Both webhook processes took some (16 random signatures all hashing to one of two is ~1 in 30,000).
		expect([...enqueuers.keys()].sort()).toEqual(['webhook1', 'webhook2']);
		process.stderr.write(`[e2e queue] a: executions enqueued per webhook process ${JSON.stringify(Object.fromEntries(enqueuers))}\n`);
		timings.a = Date.now() - t0;
	}, 15 * 60 * 1000);

	test('b. the same delivery again, sent straight to the OTHER webhook process after the first finished: the trigger recognises it at the worker, nothing ships', async () => {
		const t0 = Date.now();
		const byToken = await paymentExecutionsByToken();
		for (const token of firstTokens.slice(0, 4)) {
			const [delivery] = deliveriesOf(token);
			const [first] = byToken.get(token) as Execution[];
			const [firstProcess] = enqueuedBy(first.id);
			const other = firstProcess === 'webhook1' ? stack.webhookProcessUrls[1] : stack.webhookProcessUrls[0];
			const known = await executionIds();
			const enqueued = countEnqueued();

			const answer = await sendCopy(`${other}${stack.webhookPath}`, delivery);
			// Answered 2xx (CatalystPay stops sending it): by the other process itself where the saved
			// static data already says the delivery succeeded, else by the worker, which found it in n8n's
			// database and passed nothing on.
			const fresh = await expectRecognised(answer, known, enqueued);
			report(describeCopy(`b ${token} first on ${firstProcess}, copy to ${processOfUrl(other)}`, answer, fresh));
			expect(await ordersOf(token)).toHaveLength(1);
		}
		timings.b = Date.now() - t0;
	}, 15 * 60 * 1000);

	test('c. the same delivery sent to both webhook processes at the same instant, for 30 payments: exactly one order each', async () => {
		const t0 = Date.now();
		// The sandbox signs and "delivers" to a sink this time, so the two copies below are the first to reach n8n.
		const tokens = await withWebhooksCaught(stack.sandbox, () => createAndPayMany(30, PAYS));
		concurrentTokens.push(...tokens);

		const answers = new Map<string, Array<{ status: number; body: any; upstream: string | null }>>();
		// Three pairs at a time: six requests held open at once while their workflows run (version 2
		// answers at the end). A copy left unanswered here was Bull's job.finished() race, which the
		// stack's kept jobs close (docs/queue-mode.md#keep-finished-jobs-in-redis).
		for (let i = 0; i < tokens.length; i += 3) {
			await Promise.all(
				tokens.slice(i, i + 3).map(async (token) => {
					const [delivery] = deliveriesOf(token);
					const pair = await Promise.all(stack.webhookProcessUrls.map((url) => sendCopy(`${url}${stack.webhookPath}`, delivery)));
					answers.set(token, pair);
				}),
			);
		}
		for (const [, pair] of answers) {
			for (const answer of pair) expect([200, 409]).toContain(answer.status);
		}
		const byToken = await settledExecutions(new Map(tokens.map((token) => [token, 1])));
		// Every execution has finished, the ones whose trigger passed nothing on among them.
		const all = await eventually('every execution to finish', async () => {
			const list = await executions(stack, stack.workflows.payments.id);
			return list.every((e) => FINAL.has(e.status)) ? list : undefined;
		});
		expect(all.filter((e) => e.status !== 'success').map((e) => e.id)).toEqual([]);

		const counts = await orderCounts(tokens);
		expect([...counts].filter(([, n]) => n !== 1)).toEqual([]);
		for (const token of tokens) {
			const found = byToken.get(token) as Execution[];
			expect(found.filter((e) => e.status !== 'success').map((e) => e.id)).toEqual([]);
			expect(found.filter(shippedIn)).toHaveLength(1);
			const pair = answers.get(token) ?? [];
			const shipped = found.find(shippedIn) as Execution;
			const gated = found.filter((e) => nodeOutput(e, ALREADY) !== undefined);
			const lines = pair.map((answer, i) => {
				const who = `webhook${i + 1}`;
				if (answer.status === 200 && answer.body?.duplicate) return `${who} caught by the trigger (200 duplicate)`;
				if (answer.status === 409) return `${who} caught by the trigger (409 in flight)`;
				return `${who} answered 200`;
			});
			report(
				`c ${token}: ${lines.join('; ')}; shipped by execution ${shipped.id} (enqueued by ${enqueuedBy(shipped.id).join(',')})` +
					(gated.length ? `; caught by the gate: execution ${gated.map((e) => `${e.id} (enqueued by ${enqueuedBy(e.id).join(',')})`).join(', ')}` : ''),
			);
		}
		timings.c = Date.now() - t0;
	}, 15 * 60 * 1000);

	test('d. every n8n process restarted: earlier deliveries resent ship nothing again; new ones run once', async () => {
		const t0 = Date.now();
		await stack.restart();
		timings.restart = Date.now() - t0;
		expect(stack.hasExited()).toBeNull();
		const before = await paymentExecutionsByToken();
		const resent = [...firstTokens.slice(0, 6), ...concurrentTokens.slice(0, 6)];
		const ordersBefore = await orderCounts(resent);

		// As CatalystPay would retry: the same bytes and headers through nginx, and some straight to a
		// webhook process. One copy at a time, each settled before the next, so each copy's layer is known.
		for (const [i, token] of resent.entries()) {
			const [delivery] = deliveriesOf(token);
			const copies = [{ via: 'nginx', url: stack.webhookUrl }];
			if (i % 3 === 0) copies.push({ via: 'webhook1', url: `${stack.webhookProcessUrls[0]}${stack.webhookPath}` });
			if (i % 3 === 1) copies.push({ via: 'webhook2', url: `${stack.webhookProcessUrls[1]}${stack.webhookPath}` });
			for (const copy of copies) {
				const known = await executionIds();
				const enqueued = countEnqueued();
				const answer = await sendCopy(copy.url, delivery);
				// Every process restarted, so no memory of any process holds it: the saved static data or
				// n8n's database does.
				const fresh = await expectRecognised(answer, known, enqueued);
				report(describeCopy(`d ${token} after restart via ${copy.via}${answer.upstream ? ` (${answer.upstream})` : ''}`, answer, fresh));
			}
			expect(((await paymentExecutionsByToken()).get(token) ?? []).filter((e) => !(before.get(token) ?? []).some((b) => b.id === e.id))).toEqual([]);
		}
		expect(await orderCounts(resent)).toEqual(ordersBefore);
		expect([...ordersBefore.values()].every((n) => n === 1)).toBe(true);

		// New payments after the restart: one execution and one order each.
		const fresh = await createAndPayMany(4, PAYS);
		const failed = await createAndPay(DECLINED, 99);
		await stack.sandbox.webhooks.idle();
		const byToken = await settledExecutions(new Map([...fresh, failed].map((t) => [t, 1])));
		for (const token of fresh) {
			expect(byToken.get(token)).toHaveLength(1);
			expect(byToken.get(token)?.[0].status).toBe('success');
		}
		expect([...(await orderCounts(fresh)).values()]).toEqual([1, 1, 1, 1]);
		const [failedRun] = byToken.get(failed) as Execution[];
		expect(byToken.get(failed)).toHaveLength(1);
		expect(nodeOutput(failedRun, 'Payment failed')).toEqual([expect.objectContaining({ session_token: failed, confirmed_status: 'FAILED' })]);
		expect(await ordersOf(failed)).toEqual([]);
		timings.d = Date.now() - t0;
	}, 15 * 60 * 1000);

	test('e. refusals at a webhook process start nothing; Create and Get run on the worker; the credential test answers from main', async () => {
		const t0 = Date.now();
		// Refusals, straight at each webhook process.
		const executionsBefore = (await executions(stack)).length;
		const enqueuedBefore = countEnqueued();
		const body = JSON.stringify({ session_token: 'ps_abc123def456ghi789jkl012mno345', status: 'COMPLETED', order_number: 'ORD-forged' });
		for (const url of stack.webhookProcessUrls) {
			const post = async (headers: Record<string, string>) => {
				const res = await fetch(`${url}${stack.webhookPath}`, {
					method: 'POST',
					headers: { 'content-type': 'application/json', 'x-catalystpay-event': 'payment_session.completed', ...headers },
					body,
				});
				return { status: res.status, body: (await res.json()) as { error: string } };
			};
			const forged = await post({ 'x-catalystpay-signature': sign(body, 'whsec_not_the_secret') });
			expect(forged.status).toBe(401);
			expect(forged.body.error).toMatch(/does not match/);
			const missing = await post({});
			expect(missing.status).toBe(401);
			expect(missing.body.error).toMatch(/missing/);
		}
		// Nothing was enqueued or saved (checked a few times over a few seconds: by count, not by time).
		for (let i = 0; i < 8; i++) {
			await new Promise((resolve) => setTimeout(resolve, 500));
			expect(countEnqueued()).toBe(enqueuedBefore);
		}
		expect((await executions(stack)).length).toBe(executionsBefore);

		// The CatalystPay node, Create then Get, in a workflow started by a webhook: the worker runs it.
		const path = 'catalystpay-queue-create-get';
		const { id } = await addCreateAndGetWorkflow(stack, { name: 'Queue mode: create and read a payment session', path, idPrefix: 'e', email: 'queue-create@example.com', country: 'DE' });
		const upstreams = new Set<string>();
		for (let i = 0; i < 4; i++) {
			const res = await fetch(`${stack.n8nUrl}/webhook/${path}`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ first_name: `Zoë ${i}` }),
				signal: AbortSignal.timeout(60000),
			});
			upstreams.add(res.headers.get('x-upstream') ?? '');
			const session = (await res.json()) as { session_token: string; status: string };
			expect(res.status).toBe(200);
			expect(session).toMatchObject({ status: 'PENDING' });
			expect(stack.sandbox.store.sessions.get(session.session_token)?.lead.first_name).toBe(`Zoë ${i}`);
		}
		expect([...upstreams].every((u) => stack.webhookProcessUrls.includes(urlOfPort(u) as string))).toBe(true);
		const runs = await eventually('the create-and-get executions', async () => {
			const found = await executions(stack, id);
			return found.length === 4 && found.every((e) => FINAL.has(e.status)) ? found : undefined;
		});
		for (const run of runs) {
			expect(run.status).toBe('success');
			expect(nodeOutput(run, 'Get')?.[0]).toMatchObject({ session_token: nodeOutput(run, 'Create')?.[0].session_token, status: 'PENDING' });
			expect(ranOnWorker(run.id)).toBe(true);
			expect(enqueuedBy(run.id)).toHaveLength(1);
		}

		// The credential's Test button: the editor's call goes through nginx to main, which answers it.
		const loaded = await stack.rest('GET', `/credentials/${stack.credential.id}?includeData=true`);
		expect(loaded.status).toBe(200);
		const { name, type, data } = loaded.json.data;
		const right = await stack.rest('POST', '/credentials/test', { credentials: { id: stack.credential.id, name, type, data } });
		expect(right.headers.get('x-upstream')).toBe(`127.0.0.1:${stack.ports.main}`);
		expect(right.json.data).toEqual({ status: 'OK', message: 'Connection successful!' });
		const wrong = await stack.rest('POST', '/credentials/test', {
			credentials: { id: stack.credential.id, name, type, data: { ...data, apiKey: 'rk_not_the_sandbox_key_0000' } },
		});
		expect(wrong.headers.get('x-upstream')).toBe(`127.0.0.1:${stack.ports.main}`);
		expect(wrong.json.data.status).toBe('Error');

		// Nothing crashed anywhere.
		expect(stack.hasExited()).toBeNull();
		const log = stack.n8nOutput();
		expect(log.split('\n').filter((line) => /uncaught|unhandled|fatal|out of memory/i.test(line))).toEqual([]);
		timings.e = Date.now() - t0;
	}, 15 * 60 * 1000);

	test('f. a customer checks out through nginx (the form on the webhook processes, Create on the worker) and pays: one order', async () => {
		const t0 = Date.now();
		const browser = await launchBrowser();
		let token: string;
		try {
			const page = await browser.newPage();
			await page.goto(stack.formUrl);
			await page.getByLabel('First name').fill('Jürgen');
			await page.getByLabel('Last name').fill('Müller');
			await page.getByLabel('Email').fill('queue-checkout@example.com');
			await page.getByLabel('Country').selectOption('DE');
			await page.getByRole('button', { name: 'Continue to payment' }).click();
			const hosted = new RegExp(`^${stack.sandbox.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/s/(ps_[a-z0-9]+)$`);
			await page.waitForURL(hosted, { timeout: 60000 });
			token = (hosted.exec(page.url()) as RegExpExecArray)[1];
			await page.locator('#iban').fill(PAYS);
			await page.locator('#pay').click();
			await page.waitForURL(/\/done\/success/, { timeout: 30000 });
		} finally {
			await browser.close();
		}
		await stack.sandbox.webhooks.idle();
		const checkout = await eventually('the checkout execution', async () => {
			const found = (await executions(stack, stack.workflows.checkout.id)).find(
				(e) => nodeOutput(e, 'Create payment session')?.[0]?.session_token === token,
			);
			return found && FINAL.has(found.status) ? found : undefined;
		});
		expect(checkout.status).toBe('success');
		expect(ranOnWorker(checkout.id)).toBe(true);
		const byToken = await settledExecutions(new Map([[token, 1]]));
		expect(byToken.get(token)).toHaveLength(1);
		expect(await ordersOf(token)).toEqual([expect.objectContaining({ n8n_execution_id: (byToken.get(token) as Execution[])[0].id })]);
		timings.f = Date.now() - t0;
	}, 15 * 60 * 1000);

	describe('exactly once through crashes (trigger version 2: CatalystPay is answered when the workflow has finished)', () => {
		// CatalystPay's side: a delivery is sent again until it gets a 2xx, long enough to outlast a restart.
		const RETRIES = { maxAttempts: 12, backoffMs: 1000, timeoutMs: 30_000 };
		let shop: Shop;
		let shipping: { id: string; url: string; path: string };
		let saved: { url: string | null; webhooks: typeof stack.sandboxConfig.webhooks };

		beforeAll(async () => {
			shop = await startShop();
			shipping = await addShippingWorkflow(stack, shop, { name: 'Ship paid orders (queue mode)', idPrefix: 'd' });
			const campaign = stack.sandbox.config.campaigns[0];
			saved = { url: campaign.webhook.url, webhooks: stack.sandbox.config.webhooks };
			stack.sandbox.config.webhooks = RETRIES;
		}, 5 * 60 * 1000);

		afterAll(async () => {
			stack.sandbox.config.campaigns[0].webhook.url = saved.url;
			stack.sandbox.config.webhooks = saved.webhooks;
			await shop?.close();
		});

		/** Pays `count` sessions whose deliveries go to `url`, and holds their executions at the checkpoint. */
		async function paidAndHeld(url: string, count: number): Promise<string[]> {
			stack.sandbox.config.campaigns[0].webhook.url = url;
			shop.holdCheckpoints(true);
			const tokens: string[] = [];
			for (let i = 0; i < count; i++) tokens.push(await createAndPay(PAYS, 200 + i));
			await eventually(`${count} executions held at the checkpoint`, async () => (shop.held() === count ? true : undefined));
			return tokens;
		}

		async function shippedOnce(tokens: string[]): Promise<void> {
			for (const token of tokens) {
				await eventually(`order ${token} shipped`, async () => (shop.shipped(token) >= 1 ? true : undefined), 400_000);
				await eventually(`the delivery of ${token} answered 2xx`, async () => (deliveriesOf(token).every((d) => d.state === 'delivered') ? true : undefined), 400_000);
			}
			for (const token of tokens) expect({ token, shipped: shop.shipped(token) }).toEqual({ token, shipped: 1 });
		}

		test('g. kill -9 of the worker while paid orders stand in the middle of the workflow: each ships once', async () => {
			const t0 = Date.now();
			const tokens = await paidAndHeld(shipping.url, 3);
			shop.holdCheckpoints(false);
			await stack.crash('worker');
			await shippedOnce(tokens);
			report(`g: worker killed with 3 orders mid-workflow; shipped ${tokens.map((t) => shop.shipped(t)).join(',')}; attempts ${tokens.map((t) => deliveriesOf(t)[0].attempts.map((a) => a.status ?? a.error).join('/')).join(' ')}`);
			timings.g = Date.now() - t0;
		}, 15 * 60 * 1000);

		test('i. kill -9 of the worker right after the example\'s gate recorded the order (claim and order in one statement): the retry records nothing more', async () => {
			const t0 = Date.now();
			// The queue-mode example as shipped, with a checkpoint after "Ship the order", so executions stand there when the worker dies.
			const example = JSON.parse(readFileSync(join(__dirname, '..', '..', 'examples', 'queue-mode', 'payment-events.json'), 'utf8')) as {
				nodes: Array<Record<string, any> & { name: string; type: string; parameters: Record<string, unknown> }>;
				connections: Record<string, any>;
			};
			const webhookId = 'e1000000-0000-4000-8000-0000000000a1';
			const nodes: Array<Record<string, unknown> & { name: string; type: string; parameters: Record<string, unknown> }> = example.nodes.map((node, i) => ({
				...node,
				id: `e1000000-0000-4000-8000-00000000010${i}`,
				...(node.webhookId ? { webhookId } : {}),
			}));
			nodes.push({
				id: 'e1000000-0000-4000-8000-000000000199',
				name: 'Checkpoint',
				type: 'n8n-nodes-base.httpRequest',
				typeVersion: 4.2,
				position: [640, -100],
				parameters: { method: 'POST', url: `${shop.url}/checkpoint`, sendBody: true, specifyBody: 'json', jsonBody: '={{ JSON.stringify($json) }}', options: { timeout: 300_000 } },
			});
			const connections = { ...example.connections, [SHIP]: { main: [[{ node: 'Checkpoint', type: 'main', index: 0 }]] }, Checkpoint: example.connections[SHIP] };
			const path = `/webhook/${webhookId}/webhook`;
			await addWorkflowViaApi(stack, { name: 'Queue-mode example with a checkpoint after the gate', nodes, connections }, [path]);

			const tokens = await paidAndHeld(`${stack.n8nUrl}${path}`, 2);
			// The gate let each through once and the order is recorded: the executions stand after it.
			expect([...(await orderCounts(tokens)).values()]).toEqual([1, 1]);
			shop.holdCheckpoints(false);
			await stack.crash('worker');
			for (const token of tokens) {
				await eventually(`the delivery of ${token} answered 2xx`, async () => (deliveriesOf(token).every((d) => d.state === 'delivered') ? true : undefined), 400_000);
			}
			// CatalystPay's retry ran the workflow again; the statement recorded nothing the second time.
			expect([...(await orderCounts(tokens)).values()]).toEqual([1, 1]);
			report(`i: worker killed after the gate for 2 orders; orders ${[...(await orderCounts(tokens)).values()].join(',')}; attempts ${tokens.map((t) => deliveriesOf(t)[0].attempts.map((a) => a.status ?? a.error).join('/')).join(' ')}`);
			timings.i = Date.now() - t0;
		}, 15 * 60 * 1000);

		test('h. kill -9 of the webhook process that took the deliveries, mid-workflow: each ships once', async () => {
			const t0 = Date.now();
			// Straight to webhook1, so it is the process that took every delivery (nginx would spread them).
			const tokens = await paidAndHeld(`${stack.webhookProcessUrls[0]}${shipping.path}`, 3);
			await stack.crash('webhook1');
			// The executions go on on the worker: let them finish while CatalystPay retries.
			shop.holdCheckpoints(false);
			await shippedOnce(tokens);
			report(`h: webhook1 killed with 3 orders mid-workflow; shipped ${tokens.map((t) => shop.shipped(t)).join(',')}; attempts ${tokens.map((t) => deliveriesOf(t)[0].attempts.map((a) => a.status ?? a.error).join('/')).join(' ')}`);
			timings.h = Date.now() - t0;
		}, 15 * 60 * 1000);
	});
});
