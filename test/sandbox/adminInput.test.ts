/**
 * No bad request breaks the sandbox: every admin and API input is checked whole, a wrong one is a 400
 * naming the field, and the state stays as it was; beyond loopback the admin API wants a token.
 * Over real HTTP against a running sandbox.
 */
import { DEFAULT_CAMPAIGN_ID } from '../../sandbox/src/config';
import type { Sandbox } from '../../sandbox/src';
import { createSessionViaApi, payOnHostedPage, startTestSandbox } from '../helpers/sandbox';

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startTestSandbox();
});
afterAll(async () => await sandbox.close());

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
	const res = await fetch(`${sandbox.url}${path}`, {
		method,
		headers: { 'content-type': 'application/json', ...headers },
		body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
	});
	const text = await res.text();
	return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
}

test('faults of the wrong shape: 400 naming each field, nothing stored, the API still answers', async () => {
	const before = (await call('GET', '/_sandbox/faults')).json?.settings;
	const bad = await call('PATCH', '/_sandbox/faults', { errorRate: 'lots', latencyMs: -5, errorTiming: 'sometimes', errorStatuses: [404], colour: 'red' });
	expect(bad.status).toBe(400);
	expect(Object.keys(bad.json ?? {}).sort()).toEqual(['colour', 'errorRate', 'errorStatuses', 'errorTiming', 'latencyMs']);
	expect((await call('GET', '/_sandbox/faults')).json?.settings).toEqual(before);
	expect((await call('PUT', '/_sandbox/faults', '[1,2]')).status).toBe(400);
	// The API is unharmed: a session can still be created.
	expect((await createSessionViaApi(sandbox)).session_token).toMatch(/^ps_/);
	// A good change is still taken.
	expect((await call('PATCH', '/_sandbox/faults', { latencyMs: 0, errorRate: 0 })).status).toBe(200);
});

test('a campaign patch with unknown or wrong fields: 400 naming them, the campaign unchanged', async () => {
	const before = (await call('GET', '/_sandbox/campaigns')).json;
	const bad = await call('PATCH', `/_sandbox/campaigns/${DEFAULT_CAMPAIGN_ID}`, {
		offer: { amount: 'free', currency: 'euro' },
		webhook: { url: 'ftp://example.com', fields: 'all' },
		successRedirectUrl: 'javascript:alert(1)',
		owner: 'mallory',
	});
	expect(bad.status).toBe(400);
	expect(Object.keys(bad.json ?? {}).sort()).toEqual(['offer.amount', 'offer.currency', 'owner', 'successRedirectUrl', 'webhook.fields', 'webhook.url']);
	expect((await call('GET', '/_sandbox/campaigns')).json).toEqual(before);
	const good = await call('PATCH', `/_sandbox/campaigns/${DEFAULT_CAMPAIGN_ID}`, { offer: { amount: '19.50' } });
	expect(good.status).toBe(200);
	expect((good.json?.offer as { amount: string }).amount).toBe('19.50');
	await call('PATCH', `/_sandbox/campaigns/${DEFAULT_CAMPAIGN_ID}`, { offer: { amount: '29.99' } });
});

test('a resend to something that is not an http(s) URL: 400, nothing sent', async () => {
	const deliveries = (await call('GET', '/_sandbox/deliveries')).json as unknown as unknown[];
	const res = await call('POST', '/_sandbox/deliveries/dlv_x/resend', { to: 'file:///etc/passwd' });
	expect(res).toEqual({ status: 400, json: { to: ['An http(s) URL.'] } });
	expect((await call('GET', '/_sandbox/deliveries')).json).toEqual(deliveries);
});

test('a URL with a malformed % escape: 400, not 500', async () => {
	for (const path of ['/s/ps_%E0%A4%A', '/api/v1/payment-sessions/ps_%zz/']) {
		const res = await fetch(`${sandbox.url}${path}`);
		await res.text();
		expect({ path, status: res.status }).toEqual({ path, status: 400 });
	}
});

test('a payment changes the session and queues its webhook together', async () => {
	const session = await createSessionViaApi(sandbox);
	const paid = await payOnHostedPage(sandbox, session.session_token, 'DE89370400440532013000');
	await paid.text();
	expect(sandbox.store.sessions.get(session.session_token)?.status).toBe('COMPLETED');
});

test('beyond loopback the admin API needs its token; the API and the hosted page do not', async () => {
	const open = await startTestSandbox((config) => {
		config.host = '0.0.0.0';
		config.adminToken = 'tok_test_0123456789';
	});
	try {
		const base = `http://127.0.0.1:${new URL(open.url).port}`;
		const without = await fetch(`${base}/_sandbox/deliveries`);
		expect(without.status).toBe(401);
		expect(((await without.json()) as { detail: string }).detail).toMatch(/Authorization: Bearer/);
		const wrong = await fetch(`${base}/_sandbox/faults`, { method: 'PATCH', headers: { authorization: 'Bearer nope' }, body: '{"errorRate":1}' });
		await wrong.text();
		expect(wrong.status).toBe(401);
		expect(open.faults.current.errorRate).toBe(0);
		const right = await fetch(`${base}/_sandbox/deliveries`, { headers: { authorization: 'Bearer tok_test_0123456789' } });
		await right.text();
		expect(right.status).toBe(200);
		const page = await fetch(`${base}/s/ps_unknown`);
		await page.text();
		expect(page.status).toBe(404);
	} finally {
		await open.close();
	}
});
