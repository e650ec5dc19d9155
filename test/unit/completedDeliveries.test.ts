/**
 * How trigger version 2 asks n8n's deduplication store whether a delivery is done. The store's one
 * way to ask records what it asks, so the check records and takes back; these tests kill the check
 * between the two (the helper throws, and nothing after it runs, as after a kill -9) and hold the
 * store's answers back past the trigger's timeout. The store here keeps n8n's semantics (a set per
 * scope: checkProcessedAndRecord answers new/processed and records all, removeProcessed deletes);
 * that the trigger talks to n8n's real store is what test/e2e/exactlyOnce.test.ts shows.
 */
import { type DeduplicationHelpers, storeAsDone, storedAsDone } from '../../nodes/CatalystPayTrigger/completedDeliveries';

class Killed extends Error {}

type KillAt = { call: 'checkProcessedAndRecord' | 'removeProcessed'; nth: number };

/**
 * The helpers of one n8n process over n8n's store for one trigger node (`recorded`, shared by every
 * process and kept over restarts); `killAt` ends the process at that call.
 */
function store(recorded = new Set<string>(), killAt?: KillAt) {
	const calls = { checkProcessedAndRecord: 0, removeProcessed: 0 };
	const helpers = {
		async checkProcessedAndRecord(items: Array<string | number>) {
			const names = items.map(String);
			const result = { new: names.filter((n) => !recorded.has(n)), processed: names.filter((n) => recorded.has(n)) };
			for (const name of names) recorded.add(name);
			// Killed after the write reached the database, before the trigger saw the answer.
			if (killAt?.call === 'checkProcessedAndRecord' && ++calls.checkProcessedAndRecord === killAt.nth) throw new Killed();
			return result;
		},
		async removeProcessed(items: Array<string | number>) {
			if (killAt?.call === 'removeProcessed' && ++calls.removeProcessed === killAt.nth) throw new Killed();
			for (const name of items.map(String)) recorded.delete(name);
		},
	} as unknown as DeduplicationHelpers;
	return { recorded, helpers };
}

let scopes = 0;
const scope = () => `wf:${++scopes}`;

test('a new delivery is not done, and the check leaves nothing recorded', async () => {
	const { recorded, helpers } = store();
	expect(await storedAsDone(helpers, scope(), ['dlv_1', 'payment:ps_1:COMPLETED'])).toBe(false);
	expect([...recorded]).toEqual([]);
});

test('a delivery recorded as done is done, by its id or by its payment', async () => {
	const { helpers } = store();
	const where = scope();
	await storeAsDone(helpers, where, ['dlv_1', 'payment:ps_1:COMPLETED']);
	expect(await storedAsDone(helpers, where, ['dlv_1'])).toBe(true);
	expect(await storedAsDone(helpers, where, ['dlv_2', 'payment:ps_1:COMPLETED'])).toBe(true);
	expect(await storedAsDone(helpers, where, ['dlv_2', 'payment:ps_2:COMPLETED'])).toBe(false);
});

test.each([
	['after it recorded the names it asked about', { call: 'checkProcessedAndRecord' as const, nth: 1 }],
	['before it took them back', { call: 'removeProcessed' as const, nth: 1 }],
])('a check killed %s leaves the delivery not done: its retry runs', async (_, killAt) => {
	const { recorded, helpers } = store(new Set(), killAt);
	const where = scope();
	await expect(storedAsDone(helpers, where, ['dlv_1', 'payment:ps_1:COMPLETED'])).rejects.toThrow(Killed);
	expect(recorded.size).toBeGreaterThan(0);
	// n8n restarted: the retry asks again, and must run.
	const restarted = store(recorded).helpers;
	expect(await storedAsDone(restarted, where, ['dlv_1', 'payment:ps_1:COMPLETED'])).toBe(false);
	// And once it has run, it is done.
	await storeAsDone(restarted, where, ['dlv_1', 'payment:ps_1:COMPLETED']);
	expect(await storedAsDone(restarted, where, ['dlv_1'])).toBe(true);
});

test('a check of a repeat killed after asking for the names still finds it done', async () => {
	const where = scope();
	const done = store();
	await storeAsDone(done.helpers, where, ['dlv_1']);
	const killed = store(done.recorded, { call: 'checkProcessedAndRecord', nth: 2 }).helpers;
	await expect(storedAsDone(killed, where, ['dlv_1'])).rejects.toThrow(Killed);
	expect(await storedAsDone(store(done.recorded).helpers, where, ['dlv_1'])).toBe(true);
});

test("a store slower than the trigger's timeout fails that check, and the next one waits until the slow one has really ended", async () => {
	jest.useFakeTimers();
	try {
		const where = scope();
		const recorded = new Set<string>();
		let release!: () => void;
		const held = new Promise<void>((resolve) => (release = resolve));
		const order: string[] = [];
		const helpers = {
			async checkProcessedAndRecord(items: string[]) {
				order.push(`check ${items.join(',')}`);
				if (order.length === 1) await held;
				const result = { new: items.filter((n) => !recorded.has(n)), processed: items.filter((n) => recorded.has(n)) };
				for (const name of items) recorded.add(name);
				return result;
			},
			async removeProcessed(items: string[]) {
				order.push(`remove ${items.join(',')}`);
				for (const name of items) recorded.delete(name);
			},
		} as unknown as DeduplicationHelpers;

		const first = storedAsDone(helpers, where, ['dlv_1']);
		const firstFailed = expect(first).rejects.toThrow(/did not answer within 15 s/);
		await jest.advanceTimersByTimeAsync(15_000);
		await firstFailed;
		const second = storedAsDone(helpers, where, ['dlv_1']);
		await jest.advanceTimersByTimeAsync(1_000);
		// The first check's database call has not ended: the second has not touched the store.
		expect(order).toEqual(['check sealed:dlv_1']);
		release();
		await jest.advanceTimersByTimeAsync(0);
		expect(await second).toBe(false);
		expect(order).toEqual(['check sealed:dlv_1', 'remove sealed:dlv_1', 'check sealed:dlv_1', 'remove sealed:dlv_1']);
		expect([...recorded]).toEqual([]);
	} finally {
		jest.useRealTimers();
	}
});
