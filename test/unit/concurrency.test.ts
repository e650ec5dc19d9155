/**
 * Bounded concurrency (lib/concurrency.ts), by value. The Create operation sends a batch of leads
 * through mapWithConcurrency: more than `limit` requests in flight would trip CatalystPay's rate limit,
 * results out of order would pair a payment link with the wrong lead, and starting new requests after
 * a failure under stopOnError would create sessions the user asked not to create. Every task here is
 * a promise the test settles by hand, so "how many are in flight" is counted, never inferred from
 * timing, and the outcome is the same on any machine.
 */
import { mapWithConcurrency, type Settled } from '../../lib/concurrency';

/** Hands out one hand-settled promise per started task and counts how many are running. */
function harness<T = string>() {
	const started: number[] = [];
	const settle = new Map<number, { resolve: (value: T) => void; reject: (error: unknown) => void }>();
	let inFlight = 0;
	let maxInFlight = 0;
	const task = (index: number) =>
		new Promise<T>((resolve, reject) => {
			started.push(index);
			inFlight++;
			maxInFlight = Math.max(maxInFlight, inFlight);
			const done = () => inFlight--;
			settle.set(index, {
				resolve: (value) => {
					done();
					resolve(value);
				},
				reject: (error) => {
					done();
					reject(error);
				},
			});
		});
	return {
		task,
		started,
		resolve: (index: number, value: T) => settle.get(index)!.resolve(value),
		reject: (index: number, error: unknown) => settle.get(index)!.reject(error),
		get inFlight() {
			return inFlight;
		},
		get maxInFlight() {
			return maxInFlight;
		},
	};
}

/** Lets the workers react to what was just settled (their continuations are queued microtasks). */
const settled = async () => await new Promise((resolve) => setImmediate(resolve));

const ok = <T>(value: T): Settled<T> => ({ ok: true, value });

describe('mapWithConcurrency', () => {
	it('starts exactly `limit` tasks, and one more each time one finishes', async () => {
		const h = harness();
		const run = mapWithConcurrency(6, 2, h.task);
		await settled();
		expect(h.started).toEqual([0, 1]);
		expect(h.inFlight).toBe(2);

		h.resolve(1, 'b');
		await settled();
		expect(h.started).toEqual([0, 1, 2]);
		expect(h.inFlight).toBe(2);

		h.resolve(0, 'a');
		h.resolve(2, 'c');
		await settled();
		expect(h.started).toEqual([0, 1, 2, 3, 4]);

		for (const index of [4, 3]) h.resolve(index, String.fromCharCode(97 + index));
		await settled();
		expect(h.started).toEqual([0, 1, 2, 3, 4, 5]);
		h.resolve(5, 'f');

		await expect(run).resolves.toEqual(['a', 'b', 'c', 'd', 'e', 'f'].map(ok));
		expect(h.maxInFlight).toBe(2);
	});

	it('never has more than `limit` in flight whatever order tasks finish in', async () => {
		const h = harness<number>();
		const run = mapWithConcurrency(20, 3, h.task);
		const doneSet = new Set<number>();
		// Finish the newest running task each time: the opposite of start order.
		for (let finished = 0; finished < 20; finished++) {
			await settled();
			expect(h.inFlight).toBeLessThanOrEqual(3);
			const running = h.started.filter((index) => !doneSet.has(index));
			const newest = running[running.length - 1];
			doneSet.add(newest);
			h.resolve(newest, newest * 10);
		}
		const results = await run;
		expect(h.maxInFlight).toBe(3);
		// Results by index, not by finishing order.
		expect(results).toEqual(Array.from({ length: 20 }, (_, index) => ok(index * 10)));
	});

	it('records failures in place and keeps going when stopOnError is off', async () => {
		const h = harness();
		const run = mapWithConcurrency(4, 2, h.task);
		await settled();
		const boom = new Error('boom');
		h.reject(0, boom);
		await settled();
		h.resolve(1, 'b');
		await settled();
		h.resolve(2, 'c');
		h.resolve(3, 'd');
		expect(await run).toEqual([{ ok: false, error: boom }, ok('b'), ok('c'), ok('d')]);
		expect(h.started).toEqual([0, 1, 2, 3]);
	});

	it('with stopOnError starts nothing after a failure, lets running tasks finish, and leaves the rest undefined', async () => {
		const h = harness();
		const run = mapWithConcurrency(6, 3, h.task, true);
		await settled();
		expect(h.started).toEqual([0, 1, 2]);
		const boom = new Error('boom');
		h.reject(1, boom);
		await settled();
		// No replacement was started for the failed task.
		expect(h.started).toEqual([0, 1, 2]);
		h.resolve(0, 'a');
		h.resolve(2, 'c');
		const results = await run;
		expect(h.started).toEqual([0, 1, 2]);
		expect(results).toEqual([ok('a'), { ok: false, error: boom }, ok('c'), undefined, undefined, undefined]);
		expect(results).toHaveLength(6);
		// "Not attempted" is a hole the caller can tell from a failure.
		expect(3 in results).toBe(false);
	});

	it('with stopOnError and every task succeeding, runs them all', async () => {
		const results = await mapWithConcurrency(5, 2, async (index) => index, true);
		expect(results).toEqual([0, 1, 2, 3, 4].map(ok));
	});

	it('captures a task that throws synchronously as a failure, not a rejection of the whole run', async () => {
		const boom = new Error('sync');
		const results = await mapWithConcurrency(3, 2, (index) => {
			if (index === 1) throw boom;
			return Promise.resolve(index);
		});
		expect(results).toEqual([ok(0), { ok: false, error: boom }, ok(2)]);
	});

	it('runs nothing for zero items', async () => {
		const h = harness();
		expect(await mapWithConcurrency(0, 4, h.task)).toEqual([]);
		expect(h.started).toEqual([]);
	});

	it.each([
		[0, 1],
		[-3, 1],
		[Number.NaN, 1],
		[2.7, 2],
		[1, 1],
		[100, 5],
	])('limit %p runs at most %p at once (at least one, never more than the items)', async (limit, expected) => {
		const h = harness<number>();
		const run = mapWithConcurrency(5, limit, h.task);
		for (let finished = 0; finished < 5; finished++) {
			await settled();
			const next = finished;
			expect(h.started.length - finished).toBe(Math.min(expected, 5 - finished));
			h.resolve(next, next);
		}
		expect(await run).toEqual([0, 1, 2, 3, 4].map(ok));
		expect(h.maxInFlight).toBe(expected);
	});
});
