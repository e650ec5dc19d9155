/**
 * The fault-injected flow in a real n8n (the end-to-end tier of the fault tests; the 500-item
 * version runs in n8n-core in test/nodes/fault-injected-flow.test.ts). A workflow published in n8n
 * (Webhook -> Split Out -> CatalystPay Create with Continue On Fail, concurrency 10) creates 200
 * sessions while the sandbox answers 30% of API calls with 5xx, rate limits in bursts (429 with
 * Retry-After), adds latency spikes and drops connections. Every session is then paid on the hosted
 * page, and the sandbox delivers the signed webhooks to the example "Payment completed" workflow,
 * whose CatalystPay Trigger confirms each session through the same faulty API.
 *
 * Outcomes are read from n8n (its public API) and from the sandbox's own records, never from our
 * nodes' logs.
 */
import type { Execution, Stack } from './stack';
import { addWorkflow, countExecutions, eventually, executions, nodeOutput, reportRun, startE2eStack, timed } from './stack';

const ITEMS = 200;
const PAYS = 'DE89370400440532013000';
const CAMPAIGN_ID = 'a1b2c3d4-e5f6-7890-abcd-ef1234567890';
const BATCH_PATH = 'catalystpay-fault-batch';
const CREATE_NODE = 'Create payment sessions';
const TRIGGER_NODE = 'CatalystPay webhook';

const FAULTS = {
	errorRate: 0.3,
	errorTiming: 'mixed' as const,
	// 429 bursts by count (of every 20 API requests the last 4), so they happen on a slow machine too.
	rateLimitEvery: 20,
	rateLimitBurst: 4,
	retryAfterSeconds: 1,
	spikeRate: 0.05,
	spikeMs: 300,
	latencyMs: 5,
	dropRate: 0.05,
	seed: 20261124,
};

let stack: Stack;
let batchWorkflowId: string;
const timings: Record<string, number> = {};

const leadOf = (n: number) => ({
	first_name: ['Jürgen', 'Zoë', 'Ólafur', 'Renée'][n % 4],
	last_name: ['Müller', 'Lefèvre', 'Þórsson', 'Dvořák'][n % 4],
	email: `fault-lead-${n}@example.com`,
	country: ['DE', 'AT', 'FR', 'NL'][n % 4],
	address: `Musterstraße ${n + 1}`,
	city: 'Köln',
	postal_code: '50667',
});

beforeAll(async () => {
	stack = await timed(timings, 'stackStart', () =>
		startE2eStack({
			configureSandbox: (config) => {
				// Enough attempts, quickly, for a delivery to get through a confirmation that keeps failing.
				config.webhooks = { maxAttempts: 15, backoffMs: 100, timeoutMs: 15000 };
			},
		}),
	);

	const t1 = Date.now();
	const created = await addWorkflow(
		stack,
		{
			name: 'Faults: create payment sessions for a batch of leads',
			nodes: [
				{
					id: 'f0000000-0000-4000-8000-000000000001',
					name: 'Batch of leads',
					type: 'n8n-nodes-base.webhook',
					typeVersion: 2,
					position: [0, 0],
					webhookId: 'f0000000-0000-4000-8000-0000000000a1',
					parameters: { httpMethod: 'POST', path: BATCH_PATH, responseMode: 'onReceived', options: {} },
				},
				{
					id: 'f0000000-0000-4000-8000-000000000002',
					name: 'One item per lead',
					type: 'n8n-nodes-base.splitOut',
					typeVersion: 1,
					position: [240, 0],
					parameters: { fieldToSplitOut: 'body.leads', include: 'noOtherFields', options: {} },
				},
				{
					id: 'f0000000-0000-4000-8000-000000000003',
					name: CREATE_NODE,
					type: 'n8n-nodes-catalystpay.catalystPay',
					typeVersion: 1,
					position: [480, 0],
					onError: 'continueRegularOutput',
					parameters: {
						resource: 'paymentSession',
						operation: 'create',
						campaignId: CAMPAIGN_ID,
						firstName: '={{ $json.first_name }}',
						lastName: '={{ $json.last_name }}',
						email: '={{ $json.email }}',
						country: '={{ $json.country }}',
						address: '={{ $json.address }}',
						city: '={{ $json.city }}',
						postalCode: '={{ $json.postal_code }}',
						additionalFields: {},
						options: { concurrency: 10, retries: 4 },
					},
					credentials: { catalystPayApi: { id: stack.credential.id, name: stack.credential.name } },
				},
			],
			connections: {
				'Batch of leads': { main: [[{ node: 'One item per lead', type: 'main', index: 0 }]] },
				'One item per lead': { main: [[{ node: CREATE_NODE, type: 'main', index: 0 }]] },
			},
		},
		[`/webhook/${BATCH_PATH}`],
	);
	batchWorkflowId = created.id;
	timings.addWorkflow = Date.now() - t1;
}, 20 * 60 * 1000);

afterAll(async () => {
	await stack?.stop();
	reportRun('e2e faults', stack, timings);
}, 60 * 1000);

test('under 5xx, 429 bursts, spikes and drops: one outcome per item, one session per lead, one execution per payment, nothing crashed', async () => {
	const tStart = Date.now();
	const { sandbox } = stack;
	const paymentsWorkflowId = stack.workflows.payments.id;
	const executionsBefore = await countExecutions(stack, paymentsWorkflowId);
	sandbox.faults.update(FAULTS);

	// 1. n8n runs the batch: 200 leads in, one CatalystPay Create per lead.
	const leads = Array.from({ length: ITEMS }, (_, n) => leadOf(n));
	const started = await fetch(`${stack.n8nUrl}/webhook/${BATCH_PATH}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ leads }),
	});
	expect(started.status).toBe(200);
	await started.text();
	const batch = await eventually(
		'the batch execution to finish',
		async () => {
			const [execution] = await executions(stack, batchWorkflowId);
			return execution && execution.status !== 'running' && execution.status !== 'new' ? execution : undefined;
		},
		// A ceiling for a busy machine, not a speed target: 429 bursts alone add many 1 s waits.
		600_000,
	);
	timings.createBatch = Date.now() - tStart;
	// Read back once more, by id, as the API documents it.
	const full = (await stack.api(`/executions/${batch.id}?includeData=true`)) as Execution;
	expect(full.status).toBe('success');

	// Every input item has exactly one outcome, in order, paired with its item.
	const runs = full.data?.resultData.runData[CREATE_NODE] ?? [];
	expect(runs).toHaveLength(1);
	const out = (runs[0].data?.main[0] ?? []) as Array<{ json: Record<string, unknown>; pairedItem?: unknown }>;
	expect(out).toHaveLength(ITEMS);
	out.forEach((item, n) => {
		expect(item.pairedItem).toEqual({ item: n });
		const created = typeof item.json.session_token === 'string';
		const failed = typeof item.json.error === 'string';
		expect(created !== failed).toBe(true);
	});
	const created = out.filter((item) => typeof item.json.session_token === 'string');
	const failed = out.filter((item) => typeof item.json.error === 'string');
	expect(created.length + failed.length).toBe(ITEMS);
	// The faults really happened, and most items still got a session.
	const injected = { ...sandbox.faults.counts };
	expect(injected.error).toBeGreaterThan(20);
	expect(injected.drop).toBeGreaterThan(0);
	expect(injected.rateLimit).toBeGreaterThan(0);
	expect(created.length).toBeGreaterThan(ITEMS / 2);
	// Failures are the node's clear per-item errors, never a crash of the node.
	for (const item of failed) expect(item.json.error).toMatch(/CatalystPay|connection|socket|reach|answer/i);

	// No lead got two sessions, and each returned token is its own item's lead's session.
	const emails = new Set(leads.map((lead) => lead.email));
	const sessions = [...sandbox.store.sessions.values()].filter((session) => emails.has(session.lead.email));
	const perEmail = new Map<string, number>();
	for (const session of sessions) perEmail.set(session.lead.email, (perEmail.get(session.lead.email) ?? 0) + 1);
	expect([...perEmail].filter(([, count]) => count > 1)).toEqual([]);
	out.forEach((item, n) => {
		if (typeof item.json.session_token === 'string') {
			expect(sandbox.store.sessions.get(item.json.session_token)?.lead.email).toBe(leads[n].email);
		}
	});

	// 2. Every session the sandbox created is paid (those whose answer the fault swallowed too).
	const tPay = Date.now();
	const tokens = sessions.map((session) => session.session_token);
	for (let i = 0; i < tokens.length; i += 25) {
		const answers = await Promise.all(
			tokens.slice(i, i + 25).map(async (token) => {
				const res = await fetch(`${sandbox.url}/s/${token}`, {
					method: 'POST',
					headers: { 'content-type': 'application/x-www-form-urlencoded' },
					body: new URLSearchParams({ iban: PAYS, account_holder: 'Jürgen Müller' }).toString(),
					redirect: 'manual',
				});
				await res.text();
				return res.status;
			}),
		);
		expect(answers.every((status) => status === 303)).toBe(true);
	}

	// 3. The sandbox delivers each webhook to the real trigger, which confirms it through the faulty API.
	await sandbox.webhooks.idle();
	timings.deliveries = Date.now() - tPay;
	const deliveries = [...sandbox.store.deliveries.values()].filter((d) => d.session_token !== null && tokens.includes(d.session_token));
	expect(deliveries).toHaveLength(tokens.length);
	const notDelivered = deliveries.filter((d) => d.state !== 'delivered').map((d) => ({ token: d.session_token, attempts: d.attempts }));
	expect(notDelivered).toEqual([]);
	const retried = deliveries.filter((d) => d.attempts.length > 1).length;

	// Every completed payment started exactly one execution of the trigger workflow.
	await eventually(
		'n8n to save an execution per payment',
		async () => ((await countExecutions(stack, paymentsWorkflowId)) - executionsBefore >= tokens.length ? true : undefined),
		300_000,
	);
	// A moment more, for a second execution that should not exist.
	await new Promise((resolve) => setTimeout(resolve, 1500));
	const paymentRuns = (await executions(stack, paymentsWorkflowId)).filter((e) =>
		tokens.includes(nodeOutput(e, TRIGGER_NODE)?.[0]?.payload?.session_token),
	);
	const perToken = new Map<string, Execution[]>();
	for (const execution of paymentRuns) {
		const token = nodeOutput(execution, TRIGGER_NODE)?.[0]?.payload?.session_token as string;
		perToken.set(token, [...(perToken.get(token) ?? []), execution]);
	}
	expect(tokens.filter((token) => perToken.get(token)?.length !== 1)).toEqual([]);
	expect(paymentRuns).toHaveLength(tokens.length);
	expect(paymentRuns.filter((e) => e.status !== 'success').map((e) => e.id)).toEqual([]);
	for (const execution of paymentRuns) {
		const [triggered] = nodeOutput(execution, TRIGGER_NODE) as any[];
		expect(triggered.session).toMatchObject({ session_token: triggered.payload.session_token, status: 'COMPLETED' });
	}

	// 4. Nothing crashed: n8n is up and healthy, and its log has no uncaught errors.
	sandbox.faults.update({ errorRate: 0, rateLimitEvery: 0, spikeRate: 0, latencyMs: 0, dropRate: 0 });
	expect(stack.hasExited()).toBeNull();
	const health = await fetch(`${stack.n8nUrl}/healthz`);
	expect(health.status).toBe(200);
	await health.text();
	const log = stack.n8nOutput();
	expect(log.split('\n').filter((line) => /uncaught|unhandled|fatal|out of memory|ECONNRESET.*crash/i.test(line))).toEqual([]);

	timings.test = Date.now() - tStart;
	process.stderr.write(
		`[e2e faults] ${ITEMS} items: ${created.length} sessions created, ${failed.length} error items; ` +
			`${sessions.length} sessions in the sandbox for the batch, all paid; ${deliveries.length} deliveries, ${retried} needed a retry; ` +
			`faults injected ${JSON.stringify(sandbox.faults.counts)} (during the batch: ${JSON.stringify(injected)})\n`,
	);
}, 20 * 60_000);
