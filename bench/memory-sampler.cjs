'use strict';
/**
 * Preloaded into the n8n process by bench/batch-create.mjs (`node --expose-gc --require
 * bench/memory-sampler.cjs n8n start`): samples this process's heap every 10 ms and answers SIGUSR2.
 * Inactive unless BENCH_MEMORY_FILE is set (n8n's task runner, started without it, is left alone),
 * and in worker threads.
 *
 * On each SIGUSR2 it reads the command in `${BENCH_MEMORY_FILE}.cmd` and writes one JSON object to
 * BENCH_MEMORY_FILE (whole file, through a rename), `seq` counting the signals answered:
 *   "period" (or no command): ends the sampling period and starts the next
 *      peakHeapUsed  the highest heapUsed seen since the period began (live objects and garbage not
 *                    yet collected; V8's used_heap_size, what process.memoryUsage() calls heapUsed)
 *      heapBeforeGc  heapUsed now
 *      heapAfterGc   heapUsed after a full collection (global.gc): what is still held; the next
 *                    period starts from it
 *   "measure": a full collection now, without ending the period
 *      heapAfterGc   what is live at this moment
 */
const fs = require('node:fs');
const v8 = require('node:v8');
const { isMainThread } = require('node:worker_threads');

const file = process.env.BENCH_MEMORY_FILE;
if (file && isMainThread) {
	let peakHeapUsed = 0;
	let seq = 0;
	// V8's own counter: no system call (the benchmark reads the RSS high-water mark from the kernel).
	const sample = () => {
		const heapUsed = v8.getHeapStatistics().used_heap_size;
		if (heapUsed > peakHeapUsed) peakHeapUsed = heapUsed;
	};
	setInterval(sample, 10).unref();
	const write = (report) => {
		fs.writeFileSync(`${file}.tmp`, JSON.stringify({ seq: ++seq, pid: process.pid, ...report }));
		fs.renameSync(`${file}.tmp`, file);
	};
	process.on('SIGUSR2', () => {
		let command = 'period';
		try {
			command = fs.readFileSync(`${file}.cmd`, 'utf8').trim() || 'period';
		} catch {
			// no command file: a period ends
		}
		sample();
		const heapBeforeGc = process.memoryUsage().heapUsed;
		if (typeof global.gc === 'function') global.gc();
		const after = process.memoryUsage();
		if (command === 'measure') {
			write({ command, heapBeforeGc, heapAfterGc: after.heapUsed });
			return;
		}
		write({ command, peakHeapUsed, heapBeforeGc, heapAfterGc: after.heapUsed, rssAfterGc: after.rss });
		peakHeapUsed = after.heapUsed;
	});
}
