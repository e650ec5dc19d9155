/**
 * Benchmark: the CatalystPay node creating 1,000 payment sessions inside n8n's own
 * engine (n8n-core's WorkflowExecute, test/helpers/n8nEngine.ts) against the sandbox with 50 ms
 * added to every API answer. Measured side by side in one run:
 *   - concurrency 10 against the ideal, 1,000 x 50 ms / 10 = 5 s (target: within 1.25x);
 *   - the same 1,000 items one at a time, measured for real (target: concurrency 10 at least 8x faster);
 *   - peak memory of this process (the sandbox runs in a child process of its own).
 *
 *   npm run bench                     (all benchmarks)
 *   node bench/dist/bench/batch-create.js [--items 1000] [--latency 50] [--concurrency 10]
 * Figures are printed, never asserted: this is not a timed test.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { INodeExecutionData } from 'n8n-workflow';

import type { ApiStats } from '../sandbox/src/server';

type Engine = typeof import('../test/helpers/n8nEngine');
type SandboxLib = typeof import('../sandbox/src');

const CHILD_FLAG = '--sandbox-child';

function arg(name: string, fallback: number): number {
	const at = process.argv.indexOf(`--${name}`);
	return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

// ---------------------------------------------------------------------------------------------
// The sandbox, in a child process: its sessions and sockets do not count towards the node's memory.
// ---------------------------------------------------------------------------------------------

async function sandboxChild(): Promise<void> {
	// The built sandbox (npm run build:sandbox), as users run it; this file runs from bench/dist/bench/.
	const lib = require('../../../sandbox/dist') as SandboxLib;
	const config = lib.defaultConfig();
	config.port = 0;
	config.faults = { ...config.faults, latencyMs: arg('latency', 50) };
	const sandbox = await lib.startSandbox(config);
	process.on('message', (message: { type: string; id: number }) => {
		if (message.type === 'stats') {
			const perEmail = new Map<string, number>();
			for (const session of sandbox.store.sessions.values()) {
				perEmail.set(session.lead.email, (perEmail.get(session.lead.email) ?? 0) + 1);
			}
			process.send?.({
				type: 'stats',
				id: message.id,
				stats: { ...sandbox.stats },
				sessions: sandbox.store.sessions.size,
				duplicateEmails: [...perEmail.values()].filter((n) => n > 1).length,
			});
			// Reset the high-water mark between runs.
			sandbox.stats.maxInFlight = sandbox.stats.inFlight;
		}
		if (message.type === 'stop') void sandbox.close().then(() => process.exit(0));
	});
	process.send?.({ type: 'ready', url: sandbox.url, apiKey: config.apiKey, signingSecret: config.signingSecret });
}

interface ChildStats {
	stats: ApiStats;
	sessions: number;
	duplicateEmails: number;
}

class SandboxProcess {
	private nextId = 0;

	private constructor(
		private readonly child: ChildProcess,
		readonly url: string,
		readonly apiKey: string,
		readonly signingSecret: string,
	) {}

	static async start(latencyMs: number): Promise<SandboxProcess> {
		const child = fork(__filename, [CHILD_FLAG, '--latency', String(latencyMs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
		const ready = await new Promise<{ url: string; apiKey: string; signingSecret: string }>((resolve, reject) => {
			child.once('message', (m) => resolve(m as { url: string; apiKey: string; signingSecret: string }));
			child.once('exit', (code) => reject(new Error(`the sandbox exited (${code})`)));
		});
		return new SandboxProcess(child, ready.url, ready.apiKey, ready.signingSecret);
	}

	async stats(): Promise<ChildStats> {
		const id = ++this.nextId;
		return await new Promise((resolve) => {
			const onMessage = (m: { type: string; id: number } & ChildStats) => {
				if (m.type === 'stats' && m.id === id) {
					this.child.off('message', onMessage);
					resolve(m);
				}
			};
			this.child.on('message', onMessage);
			this.child.send({ type: 'stats', id });
		});
	}

	async stop(): Promise<void> {
		const exited = new Promise((resolve) => this.child.once('exit', resolve));
		this.child.send({ type: 'stop' });
		await exited;
	}
}

// ---------------------------------------------------------------------------------------------
// The measurement
// ---------------------------------------------------------------------------------------------

interface Run {
	label: string;
	concurrency: number;
	items: number;
	ms: number;
	created: number;
	failed: number;
	unpaired: number;
	peakHeapMB: number;
	maxInFlight: number;
	apiRequests: number;
	apiCreates: number;
}

const MB = 1024 * 1024;

async function main(): Promise<void> {
	// n8n-core keeps instance settings in N8N_USER_FOLDER: a throwaway one, never ~/.n8n.
	const userFolder = mkdtempSync(join(tmpdir(), 'catalystpay-bench-n8n-'));
	process.env.N8N_USER_FOLDER ??= userFolder;
	process.env.N8N_LOG_LEVEL ??= 'silent';
	const { runNode } = require('../test/helpers/n8nEngine') as Engine;
	const { CatalystPay } = require('../nodes/CatalystPay/CatalystPay.node') as typeof import('../nodes/CatalystPay/CatalystPay.node');
	const { CatalystPayApi } = require('../credentials/CatalystPayApi.credentials') as typeof import('../credentials/CatalystPayApi.credentials');
	const { DEFAULT_CAMPAIGN_ID } = require('../../../sandbox/dist/config') as typeof import('../sandbox/src/config');

	const items = arg('items', 1000);
	const latencyMs = arg('latency', 50);
	const concurrency = arg('concurrency', 10);
	const sandbox = await SandboxProcess.start(latencyMs);
	const credentials = {
		catalystPayApi: { apiKey: sandbox.apiKey, signingSecret: sandbox.signingSecret, previousSigningSecret: '', baseUrl: sandbox.url },
	};
	const baseline = process.memoryUsage();

	const run = async (label: string, c: number, n: number): Promise<Run> => {
		const inputItems: INodeExecutionData[] = Array.from({ length: n }, (_, i) => ({
			json: { email: `${label}-${i}@example.com` },
		}));
		const before = await sandbox.stats();
		let peakHeap = process.memoryUsage().heapUsed;
		const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 20);
		const t0 = process.hrtime.bigint();
		const { output, error } = await runNode({
			nodeType: new CatalystPay(),
			parameters: {
				resource: 'paymentSession',
				operation: 'create',
				campaignId: DEFAULT_CAMPAIGN_ID,
				firstName: 'Jürgen',
				lastName: 'Müller',
				email: '={{ $json.email }}',
				country: 'DE',
				address: 'Musterstraße 42',
				city: 'Köln',
				postalCode: '50667',
				options: { concurrency: c },
			},
			credentials,
			credentialTypes: [new CatalystPayApi()],
			inputItems,
			continueOnFail: true,
			mode: 'trigger',
		});
		const ms = Number(process.hrtime.bigint() - t0) / 1e6;
		clearInterval(sampler);
		peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
		if (error) throw error;
		const after = await sandbox.stats();
		const out = output?.[0] ?? [];
		const created = out.filter((item) => typeof item.json.session_token === 'string').length;
		const failed = out.filter((item) => typeof item.json.error === 'string').length;
		const unpaired = out.filter((item, i) => (item.pairedItem as { item: number } | undefined)?.item !== i).length + Math.abs(n - out.length);
		if (after.duplicateEmails > 0) throw new Error(`${after.duplicateEmails} emails got more than one session`);
		return {
			label,
			concurrency: c,
			items: n,
			ms,
			created,
			failed,
			unpaired,
			peakHeapMB: peakHeap / MB,
			maxInFlight: after.stats.maxInFlight,
			apiRequests: after.stats.requests - before.stats.requests,
			apiCreates: after.stats.creates - before.stats.creates,
		};
	};

	const line = (r: Run) =>
		`  concurrency ${String(r.concurrency).padStart(2)}: ${(r.ms / 1000).toFixed(2).padStart(6)} s  ` +
		`${r.created}/${r.items} created, ${r.failed} failed, ${r.unpaired} unpaired; ` +
		`${r.apiRequests} API requests (${r.apiCreates} sessions), at most ${r.maxInFlight} in flight at the sandbox`;

	try {
		console.log(`Batch create: ${items} items through the CatalystPay node in n8n's engine (n8n-core WorkflowExecute), ` +
			`sandbox with ${latencyMs} ms added latency, Continue On Fail on`);
		// Warm-up (module loading, JIT, the first connections): not measured.
		await run('warmup', concurrency, 50);

		const fast = await run('c10', concurrency, items);
		const usage = process.resourceUsage();
		const mem = process.memoryUsage();
		console.log(line(fast));
		const slow = await run('c1', 1, items);
		console.log(line(slow));

		const ideal = (items * latencyMs) / concurrency;
		const ratio = fast.ms / ideal;
		const speedup = slow.ms / fast.ms;
		const allGood = [fast, slow].every((r) => r.created === r.items && r.failed === 0 && r.unpaired === 0);
		const verdict = (ok: boolean, miss: string) => (ok ? 'MET' : `MISSED by ${miss}`);
		console.log(
			`  vs ideal (${items} x ${latencyMs} ms / ${concurrency} = ${(ideal / 1000).toFixed(2)} s): ${ratio.toFixed(3)}x` +
				`   target <= 1.25x: ${verdict(ratio <= 1.25, `${(((ratio - 1.25) / 1.25) * 100).toFixed(1)}% (${((fast.ms - 1.25 * ideal) / 1000).toFixed(2)} s)`)}`,
		);
		console.log(
			`  vs one at a time (${(slow.ms / 1000).toFixed(2)} s): ${speedup.toFixed(2)}x faster` +
				`   target >= 8x: ${verdict(speedup >= 8, `${(8 - speedup).toFixed(2)}x`)}`,
		);
		console.log(
			`  peak memory (after the concurrency-${concurrency} run): RSS high-water ${(usage.maxRSS / 1024).toFixed(1)} MB ` +
				`(process.resourceUsage().maxRSS), heap used peak ${fast.peakHeapMB.toFixed(1)} MB ` +
				`(baseline before any run ${(baseline.heapUsed / MB).toFixed(1)} MB, heap total now ${(mem.heapTotal / MB).toFixed(1)} MB)`,
		);
		console.log(`  peak memory (whole benchmark): RSS high-water ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MB, ` +
			`heap used peak ${Math.max(fast.peakHeapMB, slow.peakHeapMB).toFixed(1)} MB`);
		console.log(`  every item succeeded: ${allGood ? 'yes' : 'NO'}`);
		if (!allGood) process.exitCode = 1;
	} finally {
		await sandbox.stop();
		rmSync(userFolder, { recursive: true, force: true });
	}
}

if (process.argv.includes(CHILD_FLAG)) {
	void sandboxChild();
} else {
	main().catch((error: unknown) => {
		console.error(error);
		process.exit(1);
	});
}
