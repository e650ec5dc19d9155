/**
 * Remembers deliveries that recently started an execution, so the same delivery arriving again
 * (CatalystPay retrying after a lost answer, or a replay) starts nothing.
 *
 * Two memories: one in this n8n process, claimed synchronously so two copies arriving at the same
 * moment cannot both pass; and one in the workflow's static data, which n8n saves with the workflow,
 * so repeats are still caught after a restart and by every other n8n process (in queue mode each
 * webhook process reads the workflow, static data included, from the database per request).
 *
 * n8n saves static data only when it changed during the execution (webhook-time changes are lost in
 * n8n 2.x, and a queue-mode worker loads its own copy), and it saves the whole object: the last
 * execution to finish wins. So the trigger records each delivery again while its execution runs (see
 * execute.ts), every write carries the deliveries this process recorded recently too, and each new
 * record is also written into the static data of this process's other executions that may still be
 * saved: whichever of them finishes last, its save holds every delivery this process recorded.
 */
import { createHash } from 'node:crypto';
import type { IDataObject } from 'n8n-workflow';

/** Marks a delivery whose execution is being prepared but not yet started. */
const IN_PROGRESS = -1;
/** Bounds on what is remembered, so a flood of distinct deliveries cannot grow memory without end. */
const MAX_IN_PROCESS = 20_000;
const MAX_PERSISTED = 1_000;

const inProcess = new Map<string, Map<string, number>>();
/** Per scope, the deliveries this process committed most recently (oldest first), merged into every save. */
const recentlyCommitted = new Map<string, Map<string, number>>();
/**
 * Per scope, the static data of this process's recent executions, newest last. Weak: an execution
 * that ended is not kept alive. Writing into one that n8n already saved is harmless.
 */
const liveStaticData = new Map<string, Array<WeakRef<IDataObject>>>();
/** More than n8n runs at once in one process by default (a worker runs 10), so none still running is missed. */
const MAX_LIVE = 64;

export type Claim = 'new' | 'duplicate' | 'in-progress';

/** "The same delivery": the same event and the same payload once canonicalized, i.e. the same signed bytes. */
export function deliveryKey(event: string, canonical: Buffer): string {
	return createHash('sha256').update(event).update('\n').update(canonical).digest('base64url').slice(0, 24);
}

function memoryOf(scope: string): Map<string, number> {
	let memory = inProcess.get(scope);
	if (!memory) {
		memory = new Map();
		inProcess.set(scope, memory);
	}
	return memory;
}

function persisted(staticData: IDataObject): Record<string, number> {
	const stored = staticData.recentDeliveries;
	return typeof stored === 'object' && stored !== null ? (stored as Record<string, number>) : {};
}

function forgetExpired(memory: Map<string, number>, now: number): void {
	for (const [key, expires] of memory) {
		if (expires !== IN_PROGRESS && expires <= now) memory.delete(key);
	}
	// Map iteration is insertion order: the oldest go first when it is still too full.
	for (const key of memory.keys()) {
		if (memory.size <= MAX_IN_PROCESS) break;
		memory.delete(key);
	}
}

export function claim(scope: string, key: string, staticData: IDataObject, now = Date.now()): Claim {
	const memory = memoryOf(scope);
	if (memory.size >= MAX_IN_PROCESS) forgetExpired(memory, now);
	const known = memory.get(key);
	if (known === IN_PROGRESS) return 'in-progress';
	if (known !== undefined && known > now) return 'duplicate';
	const stored = persisted(staticData)[key];
	if (typeof stored === 'number' && stored > now) return 'duplicate';
	memory.set(key, IN_PROGRESS);
	return 'new';
}

/** The delivery was not turned into an execution after all (refused later): let a retry through. */
export function release(scope: string, key: string): void {
	memoryOf(scope).delete(key);
}

/** The delivery starts an execution: remember it until the window closes. */
export function commit(scope: string, key: string, staticData: IDataObject, windowMs: number, now = Date.now()): void {
	const expires = now + windowMs;
	const memory = memoryOf(scope);
	memory.delete(key);
	memory.set(key, expires);

	let recent = recentlyCommitted.get(scope);
	if (!recent) {
		recent = new Map();
		recentlyCommitted.set(scope, recent);
	}
	recent.delete(key);
	recent.set(key, expires);
	for (const oldest of recent.keys()) {
		if (recent.size <= MAX_PERSISTED) break;
		recent.delete(oldest);
	}

	let live = liveStaticData.get(scope);
	if (!live) {
		live = [];
		liveStaticData.set(scope, live);
	}
	const others = live.map((ref) => ref.deref()).filter((data): data is IDataObject => data !== undefined && data !== staticData);
	writeDeliveries(staticData, recent, now);
	const added = new Map([[key, expires]]);
	for (const data of others) writeDeliveries(data, added, now);
	live.splice(0, live.length, ...[...others, staticData].slice(-MAX_LIVE).map((data) => new WeakRef(data)));
}

function writeDeliveries(staticData: IDataObject, deliveries: Map<string, number>, now: number): void {
	const merged = new Map<string, number>();
	for (const [storedKey, storedExpiry] of Object.entries(persisted(staticData))) {
		if (typeof storedExpiry === 'number' && storedExpiry > now) merged.set(storedKey, storedExpiry);
	}
	for (const [recentKey, recentExpiry] of deliveries) {
		if (recentExpiry > now) merged.set(recentKey, Math.max(recentExpiry, merged.get(recentKey) ?? 0));
	}
	const kept = merged.size > MAX_PERSISTED ? [...merged].sort((a, b) => a[1] - b[1]).slice(-MAX_PERSISTED) : [...merged];
	// Assigned whole, never changed in place: n8n saves static data only when one of the node's
	// own properties is set, and does not see changes inside a nested object.
	staticData.recentDeliveries = Object.fromEntries(kept);
}
