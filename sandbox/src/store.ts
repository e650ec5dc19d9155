/**
 * Sessions and webhook deliveries. In memory by default; with a data directory each change is also
 * appended to a journal before the sandbox answers for it, so a payment the sandbox has acknowledged
 * survives a kill -9 of the sandbox, and a change costs one short write however much state there is.
 *
 * On disk: `sandbox-state.json`, a snapshot (replaced atomically, by rename), and
 * `sandbox-journal.jsonl`, one line per change after it, each holding the records it changed (a
 * session's new status and the delivery that announces it together, in one line). Starting replays
 * the journal over the snapshot (a line cut short by a kill is the one change that was never
 * acknowledged, and is skipped), then folds it into a new snapshot; so does a long journal.
 * appendFileSync hands each line to the operating system before the answer goes out: that survives
 * the sandbox being killed, not the machine losing power (the sandbox is for development and tests).
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Delivery, Session } from './model';

interface StoredState {
	version: 1;
	sessions: Session[];
	deliveries: Delivery[];
}

/** The records one change touched. */
export interface Change {
	sessions?: Session[];
	deliveries?: Delivery[];
}

/** How many journal lines before they are folded into a new snapshot. */
const COMPACT_AFTER_LINES = 5_000;

export class Store {
	readonly sessions = new Map<string, Session>();
	readonly deliveries = new Map<string, Delivery>();
	private journalLines = 0;

	constructor(private readonly dataDir: string | null) {
		if (dataDir === null) return;
		mkdirSync(dataDir, { recursive: true });
		const snapshot = readIfThere(this.snapshotFile);
		if (snapshot !== null) this.apply(JSON.parse(snapshot) as StoredState);
		for (const line of (readIfThere(this.journalFile) ?? '').split('\n')) {
			if (line === '') continue;
			try {
				this.apply(JSON.parse(line) as Change);
			} catch {
				// The last line, cut short by a kill while it was written: its change was never acknowledged.
			}
		}
		this.compact();
	}

	private get snapshotFile(): string {
		return join(this.dataDir as string, 'sandbox-state.json');
	}

	private get journalFile(): string {
		return join(this.dataDir as string, 'sandbox-journal.jsonl');
	}

	private apply(change: Change): void {
		for (const session of change.sessions ?? []) this.sessions.set(session.session_token, session);
		for (const delivery of change.deliveries ?? []) this.deliveries.set(delivery.id, delivery);
	}

	/** Records a change (the records as they now are): in memory, and in the journal before this returns. */
	save(change: Change): void {
		this.apply(change);
		if (this.dataDir === null) return;
		appendFileSync(this.journalFile, `${JSON.stringify(change)}\n`);
		if (++this.journalLines >= COMPACT_AFTER_LINES) this.compact();
	}

	/** Writes everything as one snapshot and starts an empty journal. */
	compact(): void {
		if (this.dataDir === null) return;
		const state: StoredState = { version: 1, sessions: [...this.sessions.values()], deliveries: [...this.deliveries.values()] };
		const temporary = `${this.snapshotFile}.${process.pid}.tmp`;
		writeFileSync(temporary, JSON.stringify(state));
		// The snapshot holds every journal line now; a kill between the two leaves lines that replay to the same state.
		renameSync(temporary, this.snapshotFile);
		writeFileSync(this.journalFile, '');
		this.journalLines = 0;
	}
}

function readIfThere(file: string): string | null {
	try {
		return readFileSync(file, 'utf8');
	} catch {
		// First start with this directory: nothing to load yet.
		return null;
	}
}
