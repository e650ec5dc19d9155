'use strict';
/**
 * Preloaded into the n8n process by bench/batch-create.mjs (`node --expose-gc --require
 * bench/memory-sampler.cjs n8n start`): samples this process's heap every 10 ms and answers SIGUSR2.
 * Inactive unless BENCH_MEMORY_FILE is set (n8n's task runner, started without it, is left alone),
 * and in worker threads.
 *
 * On each SIGUSR2 it writes one JSON object to BENCH_MEMORY_FILE (whole file, through a rename):
 *   seq          how many signals it has answered
 *   peakHeapUsed the highest heapUsed seen since the previous signal (live objects and garbage not
 *                yet collected; V8's used_heap_size, what process.memoryUsage() calls heapUsed)
 *   heapBeforeGc heapUsed now; heapAfterGc heapUsed after a full collection (global.gc): what
 *                is still held
 *   peakForced   in a period started in "live" mode, the highest heapUsed right after the full
 *                collections this sampler forces every `liveMs` or, when a collection takes long,
 *                four times its duration later (null otherwise)
 * and then starts the next period (the full collection included, so each period starts from live
 * objects only). The next period is in "live" mode when the file `${BENCH_MEMORY_FILE}.mode` holds a
 * number of milliseconds above 0 at that moment: forcing collections measures what is live at the
 * cost of the pauses, so the benchmark uses it only in runs it does not time.
 */
const fs = require('node:fs');
const v8 = require('node:v8');
const { isMainThread } = require('node:worker_threads');

const file = process.env.BENCH_MEMORY_FILE;
if (file && isMainThread) {
	let peakHeapUsed = 0;
	let peakForced = null;
	let liveTimer;
	let seq = 0;
	// V8's own counter: no system call (the benchmark reads the RSS high-water mark from the kernel).
	const sample = () => {
		const heapUsed = v8.getHeapStatistics().used_heap_size;
		if (heapUsed > peakHeapUsed) peakHeapUsed = heapUsed;
	};
	setInterval(sample, 10).unref();
	process.on('SIGUSR2', () => {
		sample();
		const heapBeforeGc = process.memoryUsage().heapUsed;
		if (typeof global.gc === 'function') global.gc();
		const after = process.memoryUsage();
		const report = { seq: ++seq, pid: process.pid, peakHeapUsed, peakForced, heapBeforeGc, heapAfterGc: after.heapUsed, rssAfterGc: after.rss };
		fs.writeFileSync(`${file}.tmp`, JSON.stringify(report));
		fs.renameSync(`${file}.tmp`, file);
		peakHeapUsed = after.heapUsed;
		peakForced = null;
		clearTimeout(liveTimer);
		let liveMs = 0;
		try {
			liveMs = Number(fs.readFileSync(`${file}.mode`, 'utf8')) || 0;
		} catch {
			// no mode file: a timed period
		}
		if (liveMs > 0 && typeof global.gc === 'function') {
			peakForced = after.heapUsed;
			// At most a fifth of the time in these collections: the next waits four times as long as
			// the last took, if that is longer than liveMs.
			const collect = () => {
				const started = performance.now();
				global.gc();
				const heapUsed = v8.getHeapStatistics().used_heap_size;
				if (heapUsed > peakForced) peakForced = heapUsed;
				liveTimer = setTimeout(collect, Math.max(liveMs, 4 * (performance.now() - started)));
				liveTimer.unref();
			};
			liveTimer = setTimeout(collect, liveMs);
			liveTimer.unref();
		}
	});
}
