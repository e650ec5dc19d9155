#!/usr/bin/env node
/**
 * catalystpay-sandbox: start the local CatalystPay, send one signed event, or replay a delivery.
 * Prints what to paste into n8n the way `stripe listen` prints its signing secret.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { request } from 'undici';

import type { ConfigFile, SandboxConfig } from './config';
import { DEFAULT_CAMPAIGN_ID, defaultConfig, mergeConfig, readConfigFile } from './config';
import { examplePayload, startSandbox } from './server';
import { Store } from './store';
import { WebhookSender } from './webhooks';

const HELP = `catalystpay-sandbox: a local CatalystPay for n8n-nodes-catalystpay

Usage:
  catalystpay-sandbox [start] [options]              start the sandbox (default command)
  catalystpay-sandbox trigger <event> [--to URL] [--data FILE] [--session TOKEN]
                                                     send one signed event now
  catalystpay-sandbox resend <delivery-id> [--to URL] replay a delivery from the log
  catalystpay-sandbox deliveries                     print the delivery log

Options for start (each also a key of the --config file, which flags override):
  --config FILE            JSON settings file (see docs/sandbox.md, "Options")
  --host HOST              interface to bind (default 127.0.0.1: loopback only)
  --port PORT              port (default 4010; 0 picks a free one)
  --public-url URL         URL browsers use to reach the sandbox (default http://HOST:PORT)
  --api-key KEY            the API key n8n must send (default rk_sandbox_4d5e6f7a8b9c0d1e2f3a4b5c)
  --signing-secret SECRET  the webhook signing secret (default whsec_sandbox_9f8e7d6c5b4a3928170615)
  --webhook-url URL        where the default campaign sends its webhooks (default: none)
  --success-url URL        the campaign's success_redirect_url (default: the sandbox's own page)
  --failure-url URL        the campaign's failure_redirect_url (default: the sandbox's own page)
  --data-dir DIR           keep sessions and deliveries in DIR across restarts (default: memory only)
  --webhook-attempts N     attempts per webhook delivery (default 5)
  --webhook-backoff MS     first retry delay, doubling each time (default 1000)
  --webhook-timeout MS     per-attempt timeout (default 10000)
  --latency MS             fault: added latency on every API request (default 0)
  --spike-rate SHARE --spike-ms MS
                           fault: share (0-1) of API requests delayed by a further MS
  --error-rate SHARE       fault: share (0-1) of API requests answered with a 5xx (default 0)
  --error-timing before|after|mixed
                           fault: whether a failed create happened before or after the session existed
  --rate-limit N           fault: API requests per second before 429 + Retry-After (default 0: none)
  --rate-limit-every N --rate-limit-burst M
                           fault: of every N API requests, the last M get 429 (by count, not time)
  --retry-after SECONDS    fault: the Retry-After sent with 429 (default 1)
  --drop-rate SHARE        fault: share (0-1) of API connections dropped without an answer (default 0)
  --fault-seed N           seed for the fault dice, to replay a run (default 1)
  --admin-token TOKEN      what the admin API (/_sandbox/...) requires when --host is not loopback
                           (default: made up at start and printed); also for trigger, resend, deliveries
  --verbose                print a line per request
Options for trigger, resend and deliveries:
  --sandbox URL            the running sandbox (default http://127.0.0.1:4010)
`;

interface Parsed {
	command: string;
	positional: string[];
	flags: Map<string, string>;
}

const BOOLEAN_FLAGS = new Set(['verbose', 'help']);

function parseArgs(argv: string[]): Parsed {
	const positional: string[] = [];
	const flags = new Map<string, string>();
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		if (arg === '-h') {
			flags.set('help', 'true');
		} else if (arg.startsWith('--')) {
			const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
			if (BOOLEAN_FLAGS.has(name)) flags.set(name, 'true');
			else if (inline !== undefined) flags.set(name, inline);
			else if (i + 1 < argv.length) flags.set(name, argv[++i]);
			else throw new UsageError(`--${name} needs a value`);
		} else positional.push(arg);
	}
	const known = ['start', 'trigger', 'resend', 'deliveries', 'help'];
	const command = positional.length > 0 && known.includes(positional[0]) ? (positional.shift() as string) : 'start';
	return { command, positional, flags };
}

class UsageError extends Error {}
class NoSandbox extends UsageError {}

async function sendDirectly(event: string, to: string, data: unknown, flags: Map<string, string>): Promise<number> {
	const settings = new Map([...flags].filter(([name]) => !['to', 'data', 'session', 'sandbox'].includes(name)));
	const config = configFromFlags(settings);
	const store = new Store(null);
	const sender = new WebhookSender(config, store, (line) => process.stdout.write(`${line}\n`));
	const payload = data ?? examplePayload(event, undefined, config.campaigns[0]);
	const delivery = sender.send(event, to, payload, null);
	process.stdout.write(`No sandbox running: sent ${event} to ${to} directly, signed with ${config.signingSecret === defaultConfig().signingSecret ? 'the sandbox secret' : 'the given secret'}\n`);
	await sender.idle();
	await sender.close();
	return delivery.state === 'delivered' ? 0 : 1;
}

function numberFlag(flags: Map<string, string>, name: string, min: number, max: number): number | undefined {
	const raw = flags.get(name);
	if (raw === undefined) return undefined;
	const value = Number(raw);
	if (!Number.isFinite(value) || value < min || value > max) {
		throw new UsageError(`--${name} must be a number from ${min} to ${max}, not "${raw}"`);
	}
	return value;
}

export function configFromFlags(flags: Map<string, string>): SandboxConfig {
	const known = new Set([
		'config', 'host', 'port', 'public-url', 'api-key', 'signing-secret', 'webhook-url', 'success-url', 'failure-url',
		'data-dir', 'webhook-attempts', 'webhook-backoff', 'webhook-timeout', 'latency', 'spike-rate', 'spike-ms',
		'error-rate', 'error-timing', 'rate-limit', 'rate-limit-every', 'rate-limit-burst', 'retry-after', 'drop-rate', 'fault-seed', 'verbose', 'sandbox', 'admin-token',
	]);
	for (const name of flags.keys()) if (!known.has(name)) throw new UsageError(`Unknown option --${name}`);

	const file: ConfigFile = flags.has('config') ? readConfigFile(resolve(flags.get('config') as string)) : {};
	const config = mergeConfig(defaultConfig(), file);
	const set = <T>(value: T | undefined, apply: (value: T) => void) => value !== undefined && apply(value);

	set(flags.get('host'), (v) => (config.host = v));
	set(flags.get('admin-token'), (v) => (config.adminToken = v));
	set(numberFlag(flags, 'port', 0, 65535), (v) => (config.port = v));
	set(flags.get('public-url'), (v) => (config.publicUrl = v));
	set(flags.get('api-key'), (v) => (config.apiKey = v));
	set(flags.get('signing-secret'), (v) => (config.signingSecret = v));
	set(flags.get('data-dir'), (v) => (config.dataDir = resolve(v)));
	const campaign = config.campaigns.find((c) => c.id === DEFAULT_CAMPAIGN_ID) ?? config.campaigns[0];
	set(flags.get('webhook-url'), (v) => (campaign.webhook.url = v));
	set(flags.get('success-url'), (v) => (campaign.successRedirectUrl = v));
	set(flags.get('failure-url'), (v) => (campaign.failureRedirectUrl = v));
	set(numberFlag(flags, 'webhook-attempts', 1, 100), (v) => (config.webhooks.maxAttempts = v));
	set(numberFlag(flags, 'webhook-backoff', 0, 3_600_000), (v) => (config.webhooks.backoffMs = v));
	set(numberFlag(flags, 'webhook-timeout', 1, 600_000), (v) => (config.webhooks.timeoutMs = v));
	set(numberFlag(flags, 'latency', 0, 600_000), (v) => (config.faults.latencyMs = v));
	set(numberFlag(flags, 'spike-rate', 0, 1), (v) => (config.faults.spikeRate = v));
	set(numberFlag(flags, 'spike-ms', 0, 600_000), (v) => (config.faults.spikeMs = v));
	set(numberFlag(flags, 'error-rate', 0, 1), (v) => (config.faults.errorRate = v));
	set(flags.get('error-timing'), (v) => {
		if (v !== 'before' && v !== 'after' && v !== 'mixed') throw new UsageError('--error-timing is before, after or mixed');
		config.faults.errorTiming = v;
	});
	set(numberFlag(flags, 'rate-limit', 0, 1_000_000), (v) => (config.faults.rateLimitPerSecond = v));
	set(numberFlag(flags, 'rate-limit-every', 0, 1_000_000), (v) => (config.faults.rateLimitEvery = v));
	set(numberFlag(flags, 'rate-limit-burst', 1, 1_000_000), (v) => (config.faults.rateLimitBurst = v));
	set(numberFlag(flags, 'retry-after', 0, 3600), (v) => (config.faults.retryAfterSeconds = v));
	set(numberFlag(flags, 'drop-rate', 0, 1), (v) => (config.faults.dropRate = v));
	set(numberFlag(flags, 'fault-seed', 0, 2 ** 32 - 1), (v) => (config.faults.seed = v));
	if (flags.has('verbose')) config.verbose = true;
	return config;
}

function banner(url: string, config: SandboxConfig): string {
	const campaign = config.campaigns[0];
	const faults = Object.entries(config.faults).filter(([name, value]) => name !== 'seed' && name !== 'errorTiming' && name !== 'retryAfterSeconds' && value !== 0);
	return [
		`CatalystPay sandbox ready on ${url}`,
		'',
		'Paste into n8n (Credentials > New > CatalystPay API):',
		`  API Key                 ${config.apiKey}`,
		`  Webhook Signing Secret  ${config.signingSecret}`,
		`  Environment             Sandbox on This Machine, Sandbox URL ${url}`,
		'',
		`Campaign ID               ${campaign.id}  (${campaign.name}, ${campaign.offer.amount} ${campaign.offer.currency})`,
		`Webhooks go to            ${campaign.webhook.url ?? 'nowhere yet: start with --webhook-url <your CatalystPay Trigger production URL>'}`,
		`Test IBANs                DE89370400440532013000 pays, DE62370400440532013001 is declined`,
		`Delivery log              ${url}/_sandbox/deliveries   (catalystpay-sandbox deliveries)`,
		config.adminToken ? `Admin API token           ${config.adminToken}   (listening beyond loopback: send Authorization: Bearer <token>)` : '',
		`State                     ${config.dataDir ? `kept in ${config.dataDir}` : 'in memory (use --data-dir to keep it)'}`,
		faults.length > 0 ? `Faults                    ${faults.map(([name, value]) => `${name}=${value}`).join(' ')}` : '',
		'',
		'Ctrl-C stops it.',
	]
		.filter((line, index, lines) => line !== '' || lines[index - 1] !== '')
		.join('\n');
}

async function callSandbox(base: string, method: 'GET' | 'POST', path: string, body?: unknown, adminToken?: string): Promise<unknown> {
	let response;
	try {
		response = await request(`${base.replace(/\/+$/, '')}${path}`, {
			method,
			headers: {
				...(body === undefined ? {} : { 'content-type': 'application/json' }),
				...(adminToken ? { authorization: `Bearer ${adminToken}` } : {}),
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
	} catch (error) {
		throw new NoSandbox(`No sandbox answers at ${base} (${(error as { code?: string }).code ?? (error as Error).message}). Start it with: npm run sandbox`);
	}
	const text = await response.body.text();
	const parsed = text === '' ? null : (JSON.parse(text) as unknown);
	if (response.statusCode >= 400) {
		throw new UsageError(`The sandbox refused: ${response.statusCode} ${JSON.stringify(parsed)}`);
	}
	return parsed;
}

async function main(argv: string[]): Promise<number> {
	const { command, positional, flags } = parseArgs(argv);
	if (command === 'help' || flags.has('help')) {
		process.stdout.write(HELP);
		return 0;
	}
	const sandboxUrl = flags.get('sandbox') ?? 'http://127.0.0.1:4010';

	if (command === 'trigger') {
		const event = positional[0];
		if (!event) throw new UsageError('trigger needs an event name, e.g. payment_session.completed');
		const body: Record<string, unknown> = { event };
		if (flags.has('to')) body.to = flags.get('to');
		if (flags.has('session')) body.session_token = flags.get('session');
		if (flags.has('data')) {
			const file = resolve(flags.get('data') as string);
			try {
				body.data = JSON.parse(readFileSync(file, 'utf8')) as unknown;
			} catch (error) {
				throw new UsageError(`--data ${file}: ${(error as Error).message}`);
			}
		}
		let delivery: { id: string; url: string };
		try {
			delivery = (await callSandbox(sandboxUrl, 'POST', '/_sandbox/trigger', body, flags.get('admin-token'))) as { id: string; url: string };
		} catch (error) {
			if (!(error instanceof NoSandbox) || typeof body.to !== 'string') throw error;
			// Like `stripe trigger`, it works without a running sandbox: sign and send from here.
			return await sendDirectly(event, body.to, body.data, flags);
		}
		process.stdout.write(`Sent ${event} to ${delivery.url} as delivery ${delivery.id}\n`);
		return await reportDelivery(sandboxUrl, delivery.id, flags.get('admin-token'));
	}
	if (command === 'resend') {
		const id = positional[0];
		if (!id) throw new UsageError('resend needs a delivery id (see: catalystpay-sandbox deliveries)');
		const body = flags.has('to') ? { to: flags.get('to') } : {};
		const delivery = (await callSandbox(sandboxUrl, 'POST', `/_sandbox/deliveries/${encodeURIComponent(id)}/resend`, body, flags.get('admin-token'))) as { id: string; url: string };
		process.stdout.write(`Resent ${id} to ${delivery.url} as delivery ${delivery.id}\n`);
		return await reportDelivery(sandboxUrl, delivery.id, flags.get('admin-token'));
	}
	if (command === 'deliveries') {
		const deliveries = (await callSandbox(sandboxUrl, 'GET', '/_sandbox/deliveries', undefined, flags.get('admin-token'))) as Array<{
			id: string; event: string; url: string; state: string; attempts: Array<{ status: number | null; error: string | null }>; created_at: string;
		}>;
		if (deliveries.length === 0) process.stdout.write('No deliveries yet.\n');
		for (const d of deliveries) {
			const last = d.attempts[d.attempts.length - 1];
			process.stdout.write(`${d.id}  ${d.created_at}  ${d.event}  ${d.state} after ${d.attempts.length} attempt(s)${last ? ` (last: ${last.status ?? last.error})` : ''}  ${d.url}\n`);
		}
		return 0;
	}

	const config = configFromFlags(flags);
	const sandbox = await startSandbox(config, (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`));
	process.stdout.write(`${banner(sandbox.url, config)}\n`);
	await new Promise<void>((resolveStop) => {
		const stop = () => resolveStop();
		process.once('SIGINT', stop);
		process.once('SIGTERM', stop);
	});
	process.stdout.write('Stopping the sandbox...\n');
	await sandbox.close();
	return 0;
}

/** Waits for a delivery's outcome, so the command says whether the event arrived. */
async function reportDelivery(sandboxUrl: string, id: string, adminToken?: string): Promise<number> {
	const deadline = Date.now() + 60_000;
	for (;;) {
		const delivery = (await callSandbox(sandboxUrl, 'GET', `/_sandbox/deliveries/${id}`, undefined, adminToken)) as {
			state: string; attempts: Array<{ status: number | null; error: string | null }>;
		};
		const last = delivery.attempts[delivery.attempts.length - 1];
		if (delivery.state !== 'pending' || Date.now() > deadline) {
			process.stdout.write(`${delivery.state} after ${delivery.attempts.length} attempt(s)${last ? `: ${last.status ?? last.error}` : ''}\n`);
			return delivery.state === 'delivered' ? 0 : 1;
		}
		await new Promise((wait) => setTimeout(wait, 200));
	}
}

/** Runs the command line and exits with its status: 0 done, 1 failed, 2 used wrongly. */
export function run(argv: string[]): void {
	main(argv).then(
		(code) => process.exit(code),
		(error: unknown) => {
			process.stderr.write(`${error instanceof UsageError ? '' : 'Unexpected error: '}${(error as Error).message}\n`);
			if (error instanceof UsageError) process.stderr.write('Run catalystpay-sandbox --help for the options.\n');
			process.exit(error instanceof UsageError ? 2 : 1);
		},
	);
}

if (require.main === module) run(process.argv.slice(2));
