import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { ICredentialDataDecryptedObject, INodeParameters } from 'n8n-workflow';

import { CatalystPayApi } from '../../credentials/CatalystPayApi.credentials';
import type { Delivery, Sandbox, SandboxConfig } from '../../sandbox/src';
import { DEFAULT_CAMPAIGN_ID, defaultConfig, startSandbox } from '../../sandbox/src';

/** A real sandbox on a free loopback port, with webhook retries short enough for a test. */
export async function startTestSandbox(changes: (config: SandboxConfig) => void = () => {}): Promise<Sandbox> {
	const config = defaultConfig();
	config.port = 0;
	// A timeout that a busy machine does not run into: an attempt that times out is retried, and a test
	// that counts attempts would see one more.
	config.webhooks = { maxAttempts: 4, backoffMs: 40, timeoutMs: 30_000 };
	config.payments = { attempts: 3, retryDelayMs: 5 };
	changes(config);
	return await startSandbox(config, (l) => process.env.SANDBOX_LOG && console.log(l));
}

/** The credential a user would paste from the sandbox's banner. */
export function sandboxCredentials(
	sandbox: Sandbox,
	overrides: Partial<Record<'apiKey' | 'signingSecret' | 'previousSigningSecret' | 'baseUrl', string>> = {},
): Record<string, ICredentialDataDecryptedObject> {
	return {
		catalystPayApi: {
			apiKey: sandbox.config.apiKey,
			signingSecret: sandbox.config.signingSecret,
			previousSigningSecret: '',
			baseUrl: sandbox.url,
			...overrides,
		},
	};
}

export const credentialTypes = [new CatalystPayApi()];

export const GOOD_LEAD = {
	firstName: 'Jürgen',
	lastName: 'Müller',
	email: 'juergen.mueller@example.com',
	country: 'DE',
	address: 'Musterstrasse 42',
	city: 'Köln',
	postalCode: '50667',
};

/** The CatalystPay node's parameters for Payment Session > Create with a good lead, changed by `overrides`. */
export function createSessionParameters(overrides: INodeParameters = {}): INodeParameters {
	return { resource: 'paymentSession', operation: 'create', campaignId: DEFAULT_CAMPAIGN_ID, ...GOOD_LEAD, ...overrides };
}

/**
 * Waits until `check` passes, for things that happen in the background (webhook deliveries). The
 * ceiling is generous because a busy machine is slow; a passing check returns at once.
 */
export async function eventually<T>(check: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = check();
		if (value !== undefined && value !== false) return value;
		if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms`);
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

/** Pays a session on the hosted page the way the browser's form does. */
export async function payOnHostedPage(sandbox: Sandbox, token: string, iban: string, holder = 'Jürgen Müller') {
	return await fetch(`${sandbox.url}/s/${token}`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ iban, account_holder: holder }).toString(),
		redirect: 'manual',
	});
}

/** Creates a session straight through the sandbox's API, as a shop's server would. */
export async function createSessionViaApi(
	sandbox: Sandbox,
	lead: Record<string, string> = { first_name: 'Jürgen', last_name: 'Müller', email: 'juergen.mueller@example.com', country: 'DE' },
): Promise<{ session_token: string; payment_url: string }> {
	const response = await fetch(`${sandbox.url}/api/v1/payment-sessions/`, {
		method: 'POST',
		headers: { authorization: `Bearer ${sandbox.config.apiKey}`, 'content-type': 'application/json' },
		body: JSON.stringify({ campaign_id: sandbox.config.campaigns[0].id, lead }),
	});
	if (response.status !== 201) throw new Error(`The sandbox refused to create a session: ${response.status} ${await response.text()}`);
	return (await response.json()) as { session_token: string; payment_url: string };
}

/**
 * Runs `pay` with the sandbox's webhooks delivered to a sink that answers 200 rather than to n8n, and
 * waits until they have settled: the signed deliveries exist, and no copy of them has reached n8n yet.
 */
export async function withWebhooksCaught<T>(sandbox: Sandbox, pay: () => Promise<T>): Promise<T> {
	const sink = createServer((req, res) => {
		req.resume();
		req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}'));
	});
	await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
	const campaign = sandbox.config.campaigns[0];
	const target = campaign.webhook.url;
	campaign.webhook.url = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/sink`;
	try {
		const made = await pay();
		await sandbox.webhooks.idle();
		return made;
	} finally {
		campaign.webhook.url = target;
		await new Promise((resolve) => sink.close(resolve));
	}
}

/** Sends a copy of a delivery (the same bytes and headers the sandbox sent) to a URL; its answer, the body parsed when it is JSON. */
export async function sendDeliveryCopy(url: string, delivery: Delivery, timeoutMs = 150_000): Promise<{ status: number; body: any; headers: Headers }> {
	const res = await fetch(url, {
		method: 'POST',
		headers: {
			'content-type': 'application/json',
			'user-agent': 'CatalystPay-Sandbox-Webhooks/1.0',
			'x-catalystpay-event': delivery.event,
			'x-catalystpay-signature': delivery.signature,
			'x-catalystpay-delivery': delivery.id,
		},
		body: delivery.body,
		signal: AbortSignal.timeout(timeoutMs),
	});
	const text = await res.text();
	let body: any = text;
	try {
		body = JSON.parse(text);
	} catch {
		// not JSON
	}
	return { status: res.status, body, headers: res.headers };
}
