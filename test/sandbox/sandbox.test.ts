/**
 * The sandbox as a user runs it: its command line (the built CLI, over real HTTP), its config file,
 * and the data directory that keeps sessions and deliveries across restarts.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { verifySignature } from '../../lib/signature';
import { defaultConfig, type Sandbox, startSandbox } from '../../sandbox/src';
import { createSessionViaApi, eventually, payOnHostedPage } from '../helpers/sandbox';

const CLI = join(__dirname, '..', '..', 'sandbox', 'dist', 'cli.js');

beforeAll(() => {
	if (!existsSync(CLI)) throw new Error(`The sandbox is not built: run npm run build:sandbox (missing ${CLI})`);
});

/** Starts the CLI and resolves once it has printed its banner. */
async function startCli(args: string[]): Promise<{ child: ChildProcess; output: () => string; url: string }> {
	const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
	let output = '';
	child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
	child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
	const url = await eventually(() => /ready on (http:\/\/\S+)/.exec(output)?.[1], 10_000);
	return { child, output: () => output, url };
}

async function stop(child: ChildProcess): Promise<number | null> {
	const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
	child.kill('SIGINT');
	return await exited;
}

async function runCli(args: string[]): Promise<{ code: number | null; output: string }> {
	const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
	let output = '';
	child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
	child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
	const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
	return { code, output };
}

/** A loopback port nothing listens on (the system picked it, then it was closed). */
async function freePort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	await new Promise<void>((resolve) => server.close(() => resolve()));
	return port;
}

/** A receiver that records what arrives and answers 200. */
async function receiver(port = 0) {
	const received: Array<{ headers: Record<string, string | string[] | undefined>; body: Buffer }> = [];
	const server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			received.push({ headers: req.headers, body: Buffer.concat(chunks) });
			res.end('ok');
		});
	});
	await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
	return { url, received, close: async () => await new Promise<void>((resolve) => server.close(() => resolve())) };
}

test('start prints what to paste into n8n, the same values every start, and stops on Ctrl-C', async () => {
	const first = await startCli(['--port', '0']);
	const second = await startCli(['--port', '0']);
	const values = (text: string) => /API Key\s+(\S+)[\s\S]*Signing Secret\s+(\S+)[\s\S]*Campaign ID\s+(\S+)/.exec(text)?.slice(1);
	expect(values(first.output())).toEqual(['rk_sandbox_4d5e6f7a8b9c0d1e2f3a4b5c', 'whsec_sandbox_9f8e7d6c5b4a3928170615', 'a1b2c3d4-e5f6-7890-abcd-ef1234567890']);
	expect(values(second.output())).toEqual(values(first.output()));
	expect(first.output()).toContain(`Environment             Sandbox on This Machine, Sandbox URL ${first.url}`);
	expect(await stop(first.child)).toBe(0);
	expect(await stop(second.child)).toBe(0);
});

test('flags and a config file change the values; bad options say what is wrong', async () => {
	const dir = mkdtempSync(join(tmpdir(), 'sandbox-config-'));
	const file = join(dir, 'sandbox.json');
	writeFileSync(file, JSON.stringify({ apiKey: 'rk_from_file', campaigns: [{ id: '11111111-2222-4333-8444-555555555555', name: 'Shop', offer: { amount: '5.00', currency: 'CHF' } }] }));
	const started = await startCli(['--port', '0', '--config', file, '--signing-secret', 'whsec_from_flag']);
	expect(started.output()).toMatch(/API Key\s+rk_from_file/);
	expect(started.output()).toMatch(/Signing Secret\s+whsec_from_flag/);
	expect(started.output()).toMatch(/Campaign ID\s+11111111-2222-4333-8444-555555555555 {2}\(Shop, 5.00 CHF\)/);
	await stop(started.child);

	const wrong = await runCli(['--port', 'abc']);
	expect(wrong.code).toBe(2);
	expect(wrong.output).toMatch(/--port must be a number from 0 to 65535, not "abc"/);
	const unknown = await runCli(['--colour', 'blue']);
	expect(unknown.output).toMatch(/Unknown option --colour/);
});

test('trigger sends one signed event through the running sandbox; resend replays it; deliveries lists both', async () => {
	const target = await receiver();
	const sandbox = await startCli(['--port', '0', '--webhook-backoff', '10']);
	try {
		const payload = join(mkdtempSync(join(tmpdir(), 'sandbox-data-')), 'payload.json');
		writeFileSync(payload, JSON.stringify({ session_token: 'ps_x', customer_name: 'Jürgen Müller', amount: 1.0 }));
		const sent = await runCli(['trigger', 'payment_session.completed', '--to', target.url, '--data', payload, '--sandbox', sandbox.url]);
		expect(sent.code).toBe(0);
		expect(sent.output).toMatch(/delivered after 1 attempt\(s\): 200/);
		const [first] = target.received;
		expect(first.headers['x-catalystpay-event']).toBe('payment_session.completed');
		expect(verifySignature(first.body, String(first.headers['x-catalystpay-signature']), 'whsec_sandbox_9f8e7d6c5b4a3928170615')).toBe(true);
		expect(first.body.toString('utf8')).toContain('Jürgen Müller');

		const id = /as delivery (dlv_\w+)/.exec(sent.output)?.[1] as string;
		const again = await runCli(['resend', id, '--sandbox', sandbox.url]);
		expect(again.code).toBe(0);
		expect(target.received).toHaveLength(2);
		expect(target.received[1].body.equals(first.body)).toBe(true);

		const log = await runCli(['deliveries', '--sandbox', sandbox.url]);
		expect(log.output.match(/payment_session\.completed {2}delivered/g)).toHaveLength(2);
	} finally {
		await stop(sandbox.child);
		await target.close();
	}
});

test('trigger works without a running sandbox, like stripe trigger', async () => {
	const target = await receiver();
	try {
		const sent = await runCli(['trigger', 'payment_session.failed', '--to', target.url, '--sandbox', 'http://127.0.0.1:9']);
		expect(sent.code).toBe(0);
		expect(sent.output).toMatch(/No sandbox running: sent payment_session.failed/);
		expect(target.received).toHaveLength(1);
	} finally {
		await target.close();
	}
});

test('--data-dir keeps sessions and deliveries across a restart', async () => {
	const dataDir = mkdtempSync(join(tmpdir(), 'sandbox-state-'));
	const target = await receiver();
	const config = () => ({ ...defaultConfig(), port: 0, dataDir, webhooks: { maxAttempts: 3, backoffMs: 10, timeoutMs: 30_000 } });
	const first = await startSandbox(config());
	first.campaigns.values().next().value!.webhook.url = target.url;
	const created = await fetch(`${first.url}/api/v1/payment-sessions/`, {
		method: 'POST',
		headers: { authorization: `Bearer ${first.config.apiKey}`, 'content-type': 'application/json' },
		body: JSON.stringify({ campaign_id: first.config.campaigns[0].id, lead: { first_name: 'A', last_name: 'B', email: 'a@b.example', country: 'DE' } }),
	});
	const { session_token: token } = (await created.json()) as { session_token: string };
	await payOnHostedPage(first, token, 'DE89370400440532013000');
	await first.webhooks.idle();
	await first.close();

	const second = await startSandbox(config());
	try {
		const session = (await (await fetch(`${second.url}/api/v1/payment-sessions/${token}/`)).json()) as { status: string; order_number: string };
		expect(session.status).toBe('COMPLETED');
		expect(session.order_number).toMatch(/^ORD-/);
		const deliveries = (await (await fetch(`${second.url}/_sandbox/deliveries`)).json()) as Array<{ session_token: string; state: string }>;
		expect(deliveries).toEqual([expect.objectContaining({ session_token: token, state: 'delivered' })]);
	} finally {
		await second.close();
		await target.close();
	}
});

test('--data-dir: a payment the sandbox acknowledged survives a kill -9, and its webhook still goes out', async () => {
	const dataDir = mkdtempSync(join(tmpdir(), 'sandbox-kill-'));
	// Nothing listens at first, so every delivery is still pending when the sandbox is killed.
	const port = await freePort();
	const nowhere = `http://127.0.0.1:${port}/hook`;
	const first = await startCli(['--port', '0', '--data-dir', dataDir, '--webhook-url', nowhere, '--webhook-backoff', '60000']);
	const asSandbox = { url: first.url, config: defaultConfig() } as unknown as Sandbox;
	const paid: string[] = [];
	for (let i = 0; i < 12; i++) {
		const { session_token: token } = await createSessionViaApi(asSandbox);
		const answer = await payOnHostedPage(asSandbox, token, i % 3 === 0 ? 'DE62370400440532013001' : 'DE89370400440532013000');
		expect(answer.status).toBe(303);
		paid.push(token);
	}
	// kill -9 right after the last acknowledgement: no graceful close, no snapshot.
	const killed = new Promise((resolve) => first.child.once('exit', resolve));
	first.child.kill('SIGKILL');
	await killed;

	// Now the receiver is there, at the URL the deliveries were made for.
	const target = await receiver(port);
	const second = await startCli(['--port', '0', '--data-dir', dataDir, '--webhook-backoff', '10']);
	try {
		for (const [i, token] of paid.entries()) {
			const session = (await (await fetch(`${second.url}/api/v1/payment-sessions/${token}/`)).json()) as { status: string };
			expect(session.status).toBe(i % 3 === 0 ? 'FAILED' : 'COMPLETED');
		}
		// Each acknowledged payment's webhook, signed, reaches the receiver once after the restart.
		await eventually(() => target.received.length >= paid.length, 30_000);
		const tokens = target.received.map(({ headers, body }) => {
			expect(verifySignature(body, String(headers['x-catalystpay-signature']), defaultConfig().signingSecret)).toBe(true);
			return (JSON.parse(body.toString('utf8')) as { session_token: string }).session_token;
		});
		expect(tokens.sort()).toEqual([...paid].sort());
	} finally {
		await stop(second.child);
		await target.close();
	}
});

test('--data-dir: a journal line cut short by a kill is skipped, everything before it kept', async () => {
	const dataDir = mkdtempSync(join(tmpdir(), 'sandbox-torn-'));
	const config = () => ({ ...defaultConfig(), port: 0, dataDir, webhooks: { maxAttempts: 1, backoffMs: 10, timeoutMs: 5_000 } });
	const first = await startSandbox(config());
	const { session_token: token } = await createSessionViaApi(first);
	// Not closed: close() would fold the journal into the snapshot. A torn line as a kill mid-write leaves it.
	appendFileSync(join(dataDir, 'sandbox-journal.jsonl'), '{"sessions":[{"session_token":"ps_torn","sta');
	const second = await startSandbox(config());
	try {
		expect(second.store.sessions.has(token)).toBe(true);
		expect(second.store.sessions.has('ps_torn')).toBe(false);
	} finally {
		await second.close();
		await first.close();
	}
});

test('the API answers like CatalystPay: methods, paths and bodies it does not take', async () => {
	const sandbox = await startSandbox({ ...defaultConfig(), port: 0 });
	try {
		const call = async (method: string, path: string, body?: string, type = 'application/json') =>
			await fetch(`${sandbox.url}${path}`, {
				method,
				headers: { authorization: `Bearer ${sandbox.config.apiKey}`, 'content-type': type },
				body,
			});
		expect((await call('PUT', '/api/v1/payment-sessions/', '{}')).status).toBe(405);
		expect((await call('GET', '/api/v1/nothing/')).status).toBe(404);
		const broken = await call('POST', '/api/v1/payment-sessions/', '{"campaign_id":');
		expect(broken.status).toBe(400);
		expect(((await broken.json()) as { detail: string }).detail).toMatch(/JSON parse error/);
		expect((await call('POST', '/api/v1/payment-sessions/', 'a=b', 'application/x-www-form-urlencoded')).status).toBe(415);
		// Not UTF-8 (a Latin-1 "ü"): refused as Python's json.loads refuses it, and nothing is stored.
		const before = sandbox.store.sessions.size;
		const latin1 = Buffer.from(JSON.stringify({ campaign_id: sandbox.config.campaigns[0].id, lead: { first_name: 'Jürgen', last_name: 'Müller', email: 'j@example.com', country: 'DE' } }), 'latin1');
		const notUtf8 = await fetch(`${sandbox.url}/api/v1/payment-sessions/`, {
			method: 'POST',
			headers: { authorization: `Bearer ${sandbox.config.apiKey}`, 'content-type': 'application/json' },
			body: latin1,
		});
		expect(notUtf8.status).toBe(400);
		expect(((await notUtf8.json()) as { detail: string }).detail).toBe(`JSON parse error - 'utf-8' codec can't decode byte 0xfc in position ${latin1.indexOf(0xfc)}: invalid start byte`);
		expect(sandbox.store.sessions.size).toBe(before);
		const bom = await call('POST', '/api/v1/payment-sessions/', '\ufeff{}');
		expect(bom.status).toBe(400);
		expect(((await bom.json()) as { detail: string }).detail).toMatch(/BOM/);
		const noKey = await fetch(`${sandbox.url}/api/v1/payment-sessions/`, { method: 'POST' });
		expect(noKey.status).toBe(401);
		expect(await noKey.json()).toEqual({ detail: 'Authentication credentials were not provided.' });
		expect((await fetch(`${sandbox.url}/favicon.ico`)).status).toBe(204);
	} finally {
		await sandbox.close();
	}
});
