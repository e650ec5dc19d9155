/**
 * Sessions and webhook deliveries. In memory by default; with a data directory every change is also
 * written to one JSON file (atomically, by rename), so a restart loses nothing.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Delivery, Session } from './model';

interface StoredState {
	version: 1;
	sessions: Session[];
	deliveries: Delivery[];
}

export class Store {
	readonly sessions = new Map<string, Session>();
	readonly deliveries = new Map<string, Delivery>();
	private writeScheduled = false;

	constructor(private readonly dataDir: string | null) {
		if (dataDir === null) return;
		mkdirSync(dataDir, { recursive: true });
		let text: string | null = null;
		try {
			text = readFileSync(this.file, 'utf8');
		} catch {
			// First start with this directory: nothing to load yet.
		}
		if (text !== null) {
			const state = JSON.parse(text) as StoredState;
			for (const session of state.sessions) this.sessions.set(session.session_token, session);
			for (const delivery of state.deliveries) this.deliveries.set(delivery.id, delivery);
		}
	}

	private get file(): string {
		return join(this.dataDir as string, 'sandbox-state.json');
	}

	/** Call after every change; writes are batched into one per tick. */
	changed(): void {
		if (this.dataDir === null || this.writeScheduled) return;
		this.writeScheduled = true;
		queueMicrotask(() => {
			this.writeScheduled = false;
			this.flush();
		});
	}

	flush(): void {
		if (this.dataDir === null) return;
		const state: StoredState = {
			version: 1,
			sessions: [...this.sessions.values()],
			deliveries: [...this.deliveries.values()],
		};
		const temporary = `${this.file}.${process.pid}.tmp`;
		writeFileSync(temporary, JSON.stringify(state));
		renameSync(temporary, this.file);
	}
}
