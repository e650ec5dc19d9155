// What the batch-create benchmark reads off the n8n process: its finished executions (through n8n's
// public API) and its CPU time and memory (/proc, and the sampler preloaded into it).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

import { sleep } from '../common.mjs';
import { publicApi } from '../n8n-webhooks.mjs';

const CLOCK_TICKS = 100; // USER_HZ, the unit of /proc/<pid>/stat's CPU times on Linux

/**
 * The newest finished execution of the workflow that is not in `seen`. Each question costs n8n CPU
 * (an API key check, a database query) while it runs the node, so until `busy()` says the node
 * is still sending, n8n is asked only every 2 s.
 */
export async function nextExecution(stack, workflowId, seen, timeoutMs, busy = () => false) {
	const deadline = Date.now() + timeoutMs;
	let lastError;
	for (let asked = 0; ; asked++) {
		if (busy() && asked % 20 !== 0) {
			await sleep(100);
			continue;
		}
		try {
			const page = await publicApi(stack, 'GET', `/executions?${new URLSearchParams({ workflowId, limit: '5', includeData: 'false' })}`);
			const fresh = page.data.find((execution) => !seen.has(String(execution.id)));
			if (fresh && fresh.stoppedAt && fresh.status !== 'running' && fresh.status !== 'new') {
				seen.add(String(fresh.id));
				return fresh;
			}
		} catch (error) {
			// n8n's API can fail while SQLite is busy saving a large execution: asked again.
			lastError = error;
		}
		if (Date.now() > deadline) {
			throw new Error(`no finished execution of workflow ${workflowId} within ${timeoutMs / 1000} s${lastError ? ` (last API error: ${lastError.message})` : ''}`);
		}
		await sleep(100);
	}
}

/** The n8n process's memory: the sampler's report (SIGUSR2) and the kernel's high-water mark. */
export class N8nMemory {
	constructor(pid, file) {
		this.pid = pid;
		this.file = file;
		this.seq = 0;
	}

	/** CPU seconds the n8n process (all its threads) has used so far, from /proc/<pid>/stat. */
	cpuSeconds() {
		const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
	}

	status() {
		const text = readFileSync(`/proc/${this.pid}/status`, 'utf8');
		const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
		return { hwm: kb('VmHWM'), rss: kb('VmRSS') };
	}

	/** Sends the sampler a command (see memory-sampler.cjs) and returns its answer. */
	async signal(command) {
		writeFileSync(`${this.file}.cmd`, command);
		const expected = ++this.seq;
		process.kill(this.pid, 'SIGUSR2');
		for (let i = 0; i < 400; i++) {
			if (existsSync(this.file)) {
				const report = JSON.parse(readFileSync(this.file, 'utf8'));
				if (report.seq >= expected) {
					this.seq = report.seq;
					return report;
				}
			}
			await sleep(25);
		}
		throw new Error('the memory sampler in n8n did not answer');
	}

	/** Starts a measured period: a full collection, then the kernel's RSS high-water mark reset. */
	async start() {
		const report = await this.signal('period');
		writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
		return { heapStart: report.heapAfterGc };
	}

	/** What is live now (after a full collection), above the period's start. */
	async liveNow(start) {
		const report = await this.signal('measure');
		return report.heapAfterGc - start.heapStart;
	}

	async end(start) {
		const { hwm } = this.status();
		const report = await this.signal('period');
		return {
			peakRss: hwm,
			peakHeap: report.peakHeapUsed,
			heapGrowth: report.peakHeapUsed - start.heapStart,
			kept: report.heapAfterGc - start.heapStart,
			heapStart: start.heapStart,
		};
	}
}
