/**
 * Runs one task per index with at most `limit` in flight, keeping results in index order. A batch of
 * 1,000 leads then costs about 1,000 / limit round trips of time instead of 1,000.
 */

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * `stopOnError`: once a task fails, no new task starts (those in flight finish). Indexes never started
 * are left `undefined`, so the caller can tell "not attempted" from "failed".
 */
export async function mapWithConcurrency<T>(
	count: number,
	limit: number,
	task: (index: number) => Promise<T>,
	stopOnError = false,
): Promise<Array<Settled<T> | undefined>> {
	const results = new Array<Settled<T> | undefined>(count);
	let next = 0;
	let stopped = false;

	async function worker(): Promise<void> {
		while (!stopped && next < count) {
			const index = next++;
			try {
				results[index] = { ok: true, value: await task(index) };
			} catch (error) {
				results[index] = { ok: false, error };
				if (stopOnError) stopped = true;
			}
		}
	}

	const workers = Math.max(1, Math.min(Math.floor(limit) || 1, count));
	await Promise.all(Array.from({ length: workers }, worker));
	return results;
}
