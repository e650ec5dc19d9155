/**
 * Typed access to scripts/n8n-stack.cjs (the sandbox plus a real n8n, as `npm run dev` runs them)
 * and small helpers for reading outcomes from n8n itself: its public API, never our own logs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Sandbox, SandboxConfig } from '../../sandbox/src';

export interface HttpResult {
	status: number;
	headers: Headers;
	text: string;
	json: any;
}

export interface Workflow {
	id: string;
	name: string;
	nodes: Array<{ name: string; type: string; webhookId?: string; parameters: Record<string, unknown> }>;
}

export interface Stack {
	runtime: { nodeVersion: string; n8nVersion: string; nodeBin: string; n8nBin: string };
	n8nUrl: string;
	/** The checkout example's form; served only where checkoutForm is true. */
	formUrl: string;
	/** False on n8n 1.x: the example's form nodes (version 2.5) are 2.x only, so it is left inactive. */
	checkoutForm: boolean;
	webhookUrl: string;
	sandbox: Sandbox;
	sandboxConfig: SandboxConfig;
	owner: { email: string; password: string };
	credential: { id: string; name: string; type: string };
	apiKey: string;
	workflows: { checkout: Workflow; payments: Workflow };
	userFolder: string;
	timings: Record<string, number>;
	/** n8n's /rest API as the logged-in owner. */
	rest(method: string, route: string, body?: unknown): Promise<HttpResult>;
	/** Any editor route (/types/nodes.json, ...) as the logged-in owner. */
	editor(method: string, route: string, body?: unknown): Promise<HttpResult>;
	api(route: string): Promise<any>;
	n8nOutput(): string;
	hasExited(): { code: number | null; signal: string | null } | null;
	/** Stops n8n and starts it again (same user folder and SQLite database); the sandbox keeps running. crash: kill -9 instead of a graceful stop. */
	restart(options?: { crash?: boolean }): Promise<void>;
	stop(): Promise<void>;
}

/** The n8n processes of a queue-mode stack, by the names n8nOutput() takes. */
export type QueueProcess = 'main' | 'webhook1' | 'webhook2' | 'worker';

/** n8n in queue mode behind nginx (scripts/n8n-stack.cjs with `queue`); n8nUrl is nginx's. */
export interface QueueStack extends Omit<Stack, 'n8nOutput' | 'hasExited' | 'userFolder' | 'checkoutForm'> {
	queueMode: true;
	/** n8n main, directly (editor, API, test webhooks). */
	mainUrl: string;
	/** The two webhook processes, directly (bypassing nginx). */
	webhookProcessUrls: [string, string];
	workerUrl: string;
	/** The trigger's production webhook path (/webhook/<id>/webhook), to put after any of the URLs. */
	webhookPath: string;
	proxyBalance: 'signature' | 'round-robin';
	ports: Record<'proxy' | 'main' | 'webhook1' | 'webhook2' | 'worker' | 'postgres' | 'redis', number>;
	appDbCredential: { id: string; name: string; type: string };
	dataDir: string;
	userFolders: Record<QueueProcess, string>;
	/** One process's output, or all of them with [name] prefixes. */
	n8nOutput(name?: QueueProcess): string;
	/** The first process (n8n's, postgres, redis, nginx) that exited, or null. */
	hasExited(): { name: string; code: number | null; signal: string | null } | null;
	/** A query on the app database (catalystpay_app), its rows. */
	sql<T = Record<string, any>>(query: string, params?: unknown[]): Promise<T[]>;
	/** Stops every n8n process and starts them again on the same PostgreSQL and Redis. */
	restart(): Promise<void>;
	/** kill -9 of one worker or webhook process, started again; resolves once it answers. */
	crash(name: Exclude<QueueProcess, 'main'>): Promise<void>;
}

/** The options of scripts/n8n-stack.cjs's startStack the tests use; `queue` starts queue mode. */
interface StackOptions {
	userFolder?: string;
	dataDir?: string;
	queue?: boolean;
	n8nVersion?: string;
	fresh?: boolean;
	install?: 'link' | 'pack';
	n8nPort?: number;
	sandboxPort?: number;
	proxyBalance?: 'signature' | 'round-robin';
	configureSandbox?: (config: SandboxConfig) => void;
	log?: (line: string) => void;
	onN8nOutput?: (text: string, name: string) => void;
	logLevel?: string;
}

const stackModule = require('../../scripts/n8n-stack.cjs') as { startStack(options: StackOptions): Promise<Stack & QueueStack> };

function portFree(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const server = createServer();
		server.once('error', () => resolve(false));
		server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
	});
}

/** A port p with p+1 free as well (n8n's task runner broker takes the next one). */
async function freePortPair(): Promise<number> {
	for (let i = 0; i < 200; i++) {
		const port = 20000 + Math.floor(Math.random() * 20000);
		if ((await portFree(port)) && (await portFree(port + 1))) return port;
	}
	throw new Error('no free pair of ports on 127.0.0.1');
}

export interface E2eStackOptions {
	/** The n8n to run (installed into .n8n-runtime/ on first use): the runtime's default (2.x) unless given. */
	n8nVersion?: string;
	/** CatalystPay's retries of a delivery (the sandbox's); short by default, so a refused delivery is final within a test. */
	webhookRetries?: SandboxConfig['webhooks'];
	/** Further changes to the sandbox config, after the short webhook retries set here. */
	configureSandbox?: (config: SandboxConfig) => void;
}

export interface QueueE2eStackOptions extends E2eStackOptions {
	proxyBalance?: 'signature' | 'round-robin';
}

/**
 * A stack of its own for one test file: free ports, a temporary folder (removed by stop()), the
 * packed tarball unpacked as a user installs it (n8n-workflow resolving to n8n's own copy).
 * E2E_VERBOSE=1 streams the stack's steps and every n8n process's log; E2E_N8N_LOG_LEVEL sets n8n's.
 */
async function startTestStack(options: E2eStackOptions, placement: Pick<StackOptions, 'userFolder' | 'dataDir' | 'queue' | 'n8nPort' | 'proxyBalance'>): Promise<Stack & QueueStack> {
	const folder = (placement.userFolder ?? placement.dataDir) as string;
	const verbose = !!process.env.E2E_VERBOSE;
	const stack = await stackModule.startStack({
		...placement,
		n8nVersion: options.n8nVersion,
		install: 'pack',
		sandboxPort: 0,
		logLevel: process.env.E2E_N8N_LOG_LEVEL ?? 'info',
		configureSandbox: (config) => {
			// Short retries, so a refused delivery is final within the test; a long answer timeout, since the
			// trigger answers when the workflow has finished, which a busy machine can take a while to do.
			config.webhooks = options.webhookRetries ?? { maxAttempts: 3, backoffMs: 200, timeoutMs: 60_000 };
			options.configureSandbox?.(config);
		},
		log: (line) => verbose && process.stderr.write(`${line}\n`),
		onN8nOutput: (text, name) => verbose && process.stderr.write(text.replace(/^(?=.)/gm, `[${name}] `)),
	});
	const stop = stack.stop;
	stack.stop = async () => {
		await stop();
		rmSync(folder, { recursive: true, force: true });
	};
	return stack;
}

/** One n8n process (SQLite) and the sandbox, for one test file. */
export async function startE2eStack(options: E2eStackOptions = {}): Promise<Stack> {
	const userFolder = mkdtempSync(join(tmpdir(), 'catalystpay-e2e-n8n-'));
	return await startTestStack(options, { userFolder, n8nPort: await freePortPair() });
}

/**
 * n8n in queue mode (PostgreSQL, Redis, nginx, n8n main + 2 webhook processes + worker) and the
 * sandbox, for one test file.
 */
export async function startQueueE2eStack(options: QueueE2eStackOptions = {}): Promise<QueueStack> {
	const dataDir = mkdtempSync(join(tmpdir(), 'catalystpay-e2e-queue-'));
	return await startTestStack(options, { dataDir, queue: true, proxyBalance: options.proxyBalance ?? 'signature' });
}

export interface Execution {
	id: string;
	workflowId: string;
	status: string;
	mode: string;
	finished: boolean;
	data?: { resultData: { runData: Record<string, Array<{ data?: { main: Array<Array<{ json: any }>> } }>> } };
}

/** Every execution n8n has, newest first, optionally of one workflow, with its data. */
export async function executions(stack: Stack | QueueStack, workflowId?: string): Promise<Execution[]> {
	const all: Execution[] = [];
	let cursor: string | undefined;
	do {
		const query = new URLSearchParams({ includeData: 'true', limit: '100' });
		if (workflowId) query.set('workflowId', workflowId);
		if (cursor) query.set('cursor', cursor);
		const page = await stack.api(`/executions?${query.toString()}`);
		all.push(...(page.data as Execution[]));
		cursor = page.nextCursor ?? undefined;
	} while (cursor);
	return all;
}

/** The items a node output in an execution (first run, first output), or undefined if it did not run. */
export function nodeOutput(execution: Execution, node: string, output = 0): any[] | undefined {
	const runs = execution.data?.resultData.runData[node];
	if (!runs || runs.length === 0) return undefined;
	return (runs[0].data?.main[output] ?? []).map((item) => item.json);
}

export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await check();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}

/** A workflow to create through n8n's public API (nodes as in an exported workflow). */
export interface NewWorkflow {
	name: string;
	nodes: Array<Record<string, unknown> & { name: string; type: string; webhookId?: string; parameters: Record<string, unknown> }>;
	connections: Record<string, unknown>;
	settings?: Record<string, unknown>;
}

async function publicApi(stack: Stack | QueueStack, method: string, route: string, body?: unknown): Promise<any> {
	const res = await fetch(`${stack.n8nUrl}/api/v1${route}`, {
		method,
		headers: { accept: 'application/json', 'content-type': 'application/json', 'x-n8n-api-key': stack.apiKey },
		body: body === undefined ? undefined : JSON.stringify(body),
		signal: AbortSignal.timeout(30000),
	});
	const text = await res.text();
	if (res.status !== 200) throw new Error(`${method} /api/v1${route}: ${res.status} ${text}`);
	return text === '' ? undefined : JSON.parse(text);
}

/**
 * Creates a workflow through n8n's public API, activates (publishes) it, and waits until each of
 * its webhook URLs (paths on n8n, e.g. /webhook/my-path) is registered for POST.
 */
export async function addWorkflow(stack: Stack | QueueStack, workflow: NewWorkflow, webhookPaths: string[] = []): Promise<{ id: string }> {
	const created = await publicApi(stack, 'POST', '/workflows', { settings: { executionOrder: 'v1' }, ...workflow });
	await publicApi(stack, 'POST', `/workflows/${created.id}/activate`);
	for (const path of webhookPaths) {
		await eventually(`the webhook ${path} of "${workflow.name}"`, async () => {
			// A CORS preflight for POST starts nothing; n8n answers 204 once the path is registered (an error before).
			const res = await fetch(`${stack.n8nUrl}${path}`, {
				method: 'OPTIONS',
				headers: { origin: stack.n8nUrl, 'access-control-request-method': 'POST' },
			});
			await res.text();
			return res.status === 204 ? true : undefined;
		});
	}
	return { id: created.id as string };
}

/** A workflow as n8n's public API returns it (with its saved static data). */
export async function getWorkflow(stack: Stack | QueueStack, workflowId: string): Promise<{ id: string; staticData?: Record<string, any> | null }> {
	return (await publicApi(stack, 'GET', `/workflows/${workflowId}`)) as { id: string; staticData?: Record<string, any> | null };
}

/** How many executions n8n has for a workflow (optionally only those with one status), from its public API. */
export async function countExecutions(stack: Stack | QueueStack, workflowId: string, status?: string): Promise<number> {
	let count = 0;
	let cursor: string | undefined;
	do {
		const query = new URLSearchParams({ workflowId, limit: '250', includeData: 'false' });
		if (status) query.set('status', status);
		if (cursor) query.set('cursor', cursor);
		const page = await stack.api(`/executions?${query.toString()}`);
		count += (page.data as unknown[]).length;
		cursor = page.nextCursor ?? undefined;
	} while (cursor);
	return count;
}

/** Runs one setup step, recording how long it took under `name` in `timings`. */
export async function timed<T>(timings: Record<string, number>, name: string, step: () => Promise<T>): Promise<T> {
	const t0 = Date.now();
	try {
		return await step();
	} finally {
		timings[name] = Date.now() - t0;
	}
}

/** The line a test file prints when it ends: which n8n it ran, and how long the stack and the file's own steps took. */
export function reportRun(label: string, stack: Pick<Stack, 'runtime' | 'timings'> | undefined, timings: Record<string, number> = {}, more = ''): void {
	process.stderr.write(
		`[${label}] n8n ${stack?.runtime.n8nVersion} on Node ${stack?.runtime.nodeVersion}; stack ${JSON.stringify(stack?.timings)}; ${JSON.stringify(timings)} (ms)${more}\n`,
	);
}
