/**
 * Trigger version 2's memory: which deliveries have *succeeded*, so a repeat runs nothing while a
 * delivery whose execution failed, crashed or was cancelled runs again when CatalystPay retries it.
 *
 * - Done, durably: n8n's own deduplication store (the `processed_data` table of n8n's database:
 *   SQLite in one process, PostgreSQL in queue mode, shared by every process), written when the
 *   execution has succeeded and before n8n answers CatalystPay. Static data cannot carry this: n8n
 *   saves it for failed executions too, and a crashed execution's claim can reach the database with
 *   another execution's save.
 * - In flight, per process: the executions of this process that are handling a delivery, so a copy
 *   that arrives meanwhile does not ship the order a second time. A killed process forgets them, as it
 *   should: its executions are gone.
 * - Done, per process: a cache of what this process saw succeed, so a repeat at the same process is
 *   answered without starting an execution.
 * - Done, as a hint in the workflow's static data: what this process saw succeed, saved with the
 *   next execution it runs (n8n saves static data as an execution ends, before the trigger learns
 *   that it succeeded), so a webhook process (which reads static data per request) answers a repeat
 *   without starting an execution. Only ever written after a success, so never wrong; when it is
 *   missing, the execution asks n8n's store.
 *
 * n8n's store keeps one row per trigger node, read and written whole; writes from one process are
 * queued here so they never overwrite each other. Two queue-mode workers may still race on it (last
 * writer wins): the gate in the user's database is the layer for that, as the README says.
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

/** n8n's deduplication helpers, as the trigger uses them. */
export type DeduplicationHelpers = Pick<IExecuteFunctions['helpers'], 'checkProcessedAndRecord' | 'removeProcessed'>;
import { NodeOperationError, sleep } from 'n8n-workflow';

/** How many succeeded deliveries n8n's store keeps per trigger node (oldest go first). */
export const REMEMBERED_DELIVERIES = 5_000;
/**
 * Each delivery is kept under its deliveryId and, where CatalystPay vouched for it, its payment's
 * completion; each of those as two names, its own and its seal (see storedAsDone).
 */
const STORE_OPTIONS = { mode: 'entries', maxEntries: 4 * REMEMBERED_DELIVERIES } as const;
const MAX_CACHED_PER_SCOPE = 10_000;
const MAX_SCOPES = 1_000;

/** A delivery being started by webhook(), or run by an execution of this process (which ends it). */
interface InFlight {
	state: 'starting' | 'running';
	ended: Promise<void>;
	end: () => void;
}

function flight(state: InFlight['state']): InFlight {
	let end = () => undefined as void;
	const ended = new Promise<void>((resolve) => {
		end = resolve;
	});
	return { state, ended, end };
}

/**
 * How long an execution waits for another execution of this process that is running the same
 * delivery (two copies at one instant) before it gives up and fails, so CatalystPay retries later.
 */
export const WAIT_FOR_OTHER_MS = 30_000;

const inFlight = new Map<string, Map<string, InFlight>>();
const doneHere = new Map<string, Set<string>>();
const storeQueue = new Map<string, Promise<unknown>>();

function entry<V>(maps: Map<string, V>, scope: string, create: () => V): V {
	let value = maps.get(scope);
	if (value === undefined) {
		if (maps.size >= MAX_SCOPES) maps.clear();
		value = create();
		maps.set(scope, value);
	}
	return value;
}

export type Seen = 'new' | 'in-flight' | 'done';

/** What this process knows of a delivery; 'new' may still be done (the execution checks the store). */
export function seenHere(scope: string, key: string): Seen {
	if (doneHere.get(scope)?.has(key)) return 'done';
	return inFlight.get(scope)?.has(key) ? 'in-flight' : 'new';
}

/**
 * webhook() is starting an execution for the delivery: copies arriving meanwhile at this process are
 * told to retry. `release` ends the mark unless an execution of this process has taken it over.
 */
export function markStarting(scope: string, key: string): { release: () => void } {
	const flights = entry(inFlight, scope, () => new Map<string, InFlight>());
	const mine = flight('starting');
	flights.set(key, mine);
	return {
		release: () => {
			if (flights.get(key) === mine) {
				flights.delete(key);
				mine.end();
			}
		},
	};
}

/** How long one read or write of n8n's store may take before the trigger stops waiting for it. */
const STORE_TIMEOUT_MS = 15_000;

class StoreTimeout extends Error {
	constructor() {
		super(`n8n's database did not answer within ${STORE_TIMEOUT_MS / 1000} s`);
	}
}

/** The operation's result, or a StoreTimeout: a database that hangs must not hang every later delivery with it. */
async function bounded<T>(operation: Promise<T>): Promise<T> {
	const stop = new AbortController();
	let settled = false;
	// Never rejects once the operation has settled (an n8n whose sleep() ignores the signal included).
	const timeout = sleep(STORE_TIMEOUT_MS, stop.signal).then(
		() => {
			if (!settled) throw new StoreTimeout();
		},
		() => undefined,
	);
	try {
		return (await Promise.race([operation, timeout])) as T;
	} finally {
		settled = true;
		stop.abort();
	}
}

/**
 * Runs store operations of one scope one after another (n8n rewrites the whole row each time). The
 * next one starts when the previous one has really ended, not when its caller stopped waiting for
 * it: an operation still running after its timeout would otherwise interleave with the next, and a
 * copy could read a record half made.
 */
async function queued<T>(scope: string, operation: () => Promise<T>): Promise<T> {
	const previous = storeQueue.get(scope) ?? Promise.resolve();
	const run = previous.then(operation, operation);
	const settled = run.then(
		() => undefined,
		() => undefined,
	);
	storeQueue.set(scope, settled);
	void settled.then(() => {
		if (storeQueue.get(scope) === settled) storeQueue.delete(scope);
	});
	return await bounded(run);
}

/** The second name a done delivery is recorded under. */
const seal = (name: string) => `sealed:${name}`;

/**
 * Whether n8n's store holds any of the names as done. The store has no read: asking whether a name is
 * recorded records it, and the check takes back what it recorded. A process killed between the two
 * would leave a name recorded for a delivery that never ran, so a delivery is done only when two names
 * are recorded, its own and its seal, written in one call when its execution succeeded (storeAsDone).
 * The check asks for the seals first, for the names only where a seal was there, and takes back what
 * asking recorded; a check cut short leaves one stray name, which alone makes nothing done.
 */
export async function storedAsDone(helpers: DeduplicationHelpers, scope: string, names: string[]): Promise<boolean> {
	return await queued(scope, async () => {
		const seals = names.map(seal);
		const sealsChecked = await helpers.checkProcessedAndRecord(seals, 'node', STORE_OPTIONS);
		if (sealsChecked.new.length > 0) await helpers.removeProcessed(sealsChecked.new, 'node', STORE_OPTIONS);
		const sealed = names.filter((name) => sealsChecked.processed.includes(seal(name)));
		if (sealed.length === 0) return false;
		const namesChecked = await helpers.checkProcessedAndRecord(sealed, 'node', STORE_OPTIONS);
		if (namesChecked.processed.length > 0) return true;
		// Seals without their names: strays of a check that was cut short. Both go.
		const strays = namesChecked.new.map(String);
		await helpers.removeProcessed([...strays, ...strays.map(seal)], 'node', STORE_OPTIONS);
		return false;
	});
}

/** Records the names as done: each with its seal, in one write. */
export async function storeAsDone(helpers: DeduplicationHelpers, scope: string, names: string[]): Promise<void> {
	await queued(scope, async () => {
		await helpers.checkProcessedAndRecord([...names, ...names.map(seal)], 'node', STORE_OPTIONS);
	});
}

export type Admission = 'run' | 'done' | 'in-flight';

/**
 * The execution is about to handle the delivery: 'run' (it is now in flight here), 'done' (it
 * succeeded before: run nothing), or 'in-flight' (another execution of this process has been running
 * it for WAIT_FOR_OTHER_MS). A copy that arrives while another execution runs the delivery waits for
 * that one to end, then runs only if it did not succeed. `alsoKnownAs` are further names of what the
 * delivery does (the payment's completion), done when any of them is.
 */
export async function admit(context: IExecuteFunctions, scope: string, key: string, alsoKnownAs: string[] = [], waitMs = WAIT_FOR_OTHER_MS): Promise<Admission> {
	const names = [key, ...alsoKnownAs];
	const flights = entry(inFlight, scope, () => new Map<string, InFlight>());
	const deadline = Date.now() + waitMs;
	for (let other = flights.get(key); other?.state === 'running'; other = flights.get(key)) {
		const left = deadline - Date.now();
		if (left <= 0) return 'in-flight';
		const waited = new AbortController();
		await Promise.race([other.ended, sleep(left, waited.signal).catch(() => undefined)]);
		waited.abort();
	}
	if (names.some((name) => doneHere.get(scope)?.has(name))) return 'done';
	const mine = flight('running');
	flights.set(key, mine);
	try {
		if (await storedAsDone(context.helpers, scope, names)) {
			rememberDoneHere(scope, key);
			endFlight(scope, key);
			return 'done';
		}
	} catch (error) {
		endFlight(scope, key);
		throw new NodeOperationError(context.getNode(), error as Error, {
			message: "Could not read which deliveries have already run from n8n's database",
			description: 'Nothing was run. CatalystPay gets an error answer and sends the delivery again later.',
		});
	}
	return 'run';
}

/** The execution that ran the delivery has ended: remember it (by all its names) as done if it succeeded, and let go. */
export async function finish(context: IExecuteFunctions, scope: string, key: string, succeeded: boolean, alsoKnownAs: string[] = []): Promise<void> {
	try {
		if (succeeded) {
			// This process saw it succeed, whatever becomes of the durable record: a copy waiting here runs nothing.
			for (const name of [key, ...alsoKnownAs]) rememberDoneHere(scope, name);
			await storeAsDone(context.helpers, scope, [key, ...alsoKnownAs]);
			addHint(scope, key);
		}
	} finally {
		endFlight(scope, key);
	}
}

function endFlight(scope: string, key: string): void {
	const flights = inFlight.get(scope);
	const current = flights?.get(key);
	if (current === undefined) return;
	flights?.delete(key);
	current.end();
}

/** How long, and how many, succeeded deliveries the static-data hint keeps per trigger. */
const HINT_MS = 30 * 24 * 60 * 60 * 1000;
const MAX_HINTS = 1_000;
const HINT_PROPERTY = 'succeededDeliveries';
/** Per scope, the hint this process saves (key -> expiry), shared by the static data of its executions. */
const hints = new Map<string, Record<string, number>>();

function hintsIn(staticData: IDataObject): Record<string, number> {
	const stored = staticData[HINT_PROPERTY];
	return typeof stored === 'object' && stored !== null ? (stored as Record<string, number>) : {};
}

/** Whether the workflow's static data, as loaded for this request, says the delivery succeeded. */
export function hintedDone(staticData: IDataObject, key: string, now = Date.now()): boolean {
	const expires = hintsIn(staticData)[key];
	return typeof expires === 'number' && expires > now;
}

/**
 * Puts this process's hint into an execution's static data, merged with what it loaded, so n8n saves
 * it when the execution ends. Assigned rather than changed in place: n8n saves static data only when
 * one of the node's own properties was set.
 */
export function carryHints(scope: string, staticData: IDataObject, now = Date.now()): void {
	const record = entry(hints, scope, () => ({}) as Record<string, number>);
	for (const [key, expires] of Object.entries(hintsIn(staticData))) {
		if (typeof expires === 'number' && expires > now && !(record[key] >= expires)) record[key] = expires;
	}
	trimHints(record, now);
	staticData[HINT_PROPERTY] = record;
}

function addHint(scope: string, key: string, now = Date.now()): void {
	const record = entry(hints, scope, () => ({}) as Record<string, number>);
	record[key] = now + HINT_MS;
}

function trimHints(record: Record<string, number>, now: number): void {
	const keys = Object.keys(record);
	if (keys.length <= MAX_HINTS) return;
	const kept = new Set(
		keys
			.filter((key) => record[key] > now)
			.sort((a, b) => record[b] - record[a])
			.slice(0, MAX_HINTS),
	);
	for (const key of keys) if (!kept.has(key)) delete record[key];
}

function rememberDoneHere(scope: string, key: string): void {
	const done = entry(doneHere, scope, () => new Set<string>());
	if (done.size >= MAX_CACHED_PER_SCOPE) {
		// Sets iterate in insertion order: the oldest goes.
		for (const oldest of done) {
			done.delete(oldest);
			break;
		}
	}
	done.add(key);
}
