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
 * execute.ts), and the static data of every execution that records one points at one object per
 * workflow and process, which holds every delivery this process recorded or loaded. n8n serializes
 * static data when it saves it, so whichever execution finishes last saves all of them; and a
 * delivery costs one insertion, not a copy of the whole memory.
 */
import { createHash } from 'node:crypto';
import type { IDataObject } from 'n8n-workflow';

/** Marks a delivery whose execution is being prepared but not yet started. */
const IN_PROGRESS = -1;
/** Bounds on what is remembered, so a flood of distinct deliveries cannot grow memory without end. */
const MAX_IN_PROCESS = 20_000;
const MAX_PERSISTED = 1_000;

const inProcess = new Map<string, Map<string, number>>();
/** Per scope, the deliveries to save (key -> expiry), shared by the static data of its executions. */
const recorded = new Map<string, Record<string, number>>();
/** Trimmed back to MAX_PERSISTED only when this many more have gathered, so trimming is rare. */
const TRIM_SLACK = 100;

export type Claim = 'new' | 'duplicate' | 'in-progress';

/**
 * "The same delivery": the same payload once canonicalized, i.e. the same signed bytes. The event
 * header is left out: it is not signed, so a copy sent under another event name is the same delivery.
 */
export function deliveryKey(canonical: Buffer): string {
	return createHash('sha256').update(canonical).digest('base64url').slice(0, 24);
}

/**
 * The key releases up to 0.1 hashed the event header in. Still looked up while those memories last
 * (one repeat window), so a delivery remembered before an upgrade is not run again after it.
 */
export function legacyDeliveryKey(event: string, canonical: Buffer): string {
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

export function claim(scope: string, key: string, staticData: IDataObject, alias?: string, now = Date.now()): Claim {
	const memory = memoryOf(scope);
	if (memory.size >= MAX_IN_PROCESS) forgetExpired(memory, now);
	const known = memory.get(key);
	if (known === IN_PROGRESS) return 'in-progress';
	if (known !== undefined && known > now) return 'duplicate';
	const stored = persisted(staticData);
	for (const name of alias === undefined ? [key] : [key, alias]) {
		const expires = stored[name];
		if (typeof expires === 'number' && expires > now) return 'duplicate';
	}
	if (alias !== undefined) {
		const aliased = memory.get(alias);
		if (aliased !== undefined && aliased !== IN_PROGRESS && aliased > now) return 'duplicate';
	}
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

	let deliveries = recorded.get(scope);
	if (!deliveries) {
		deliveries = {};
		recorded.set(scope, deliveries);
	}
	// What another process saved, as loaded with this execution's workflow.
	for (const [storedKey, storedExpiry] of Object.entries(persisted(staticData))) {
		if (typeof storedExpiry === 'number' && storedExpiry > now && !(deliveries[storedKey] >= storedExpiry)) deliveries[storedKey] = storedExpiry;
	}
	delete deliveries[key];
	deliveries[key] = expires;
	if (Object.keys(deliveries).length > MAX_PERSISTED + TRIM_SLACK) trim(deliveries, now);
	// Assigned, not changed in place: n8n marks static data changed (and saves it) only when one of
	// the node's own properties is set.
	staticData.recentDeliveries = deliveries;
}

/** Keeps the MAX_PERSISTED deliveries that expire last. */
function trim(deliveries: Record<string, number>, now: number): void {
	const kept = new Set(
		Object.entries(deliveries)
			.filter(([, expiry]) => expiry > now)
			.sort((a, b) => b[1] - a[1])
			.slice(0, MAX_PERSISTED)
			.map(([key]) => key),
	);
	for (const key of Object.keys(deliveries)) if (!kept.has(key)) delete deliveries[key];
}
