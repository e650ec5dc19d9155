/**
 * Sends signed webhooks as CatalystPay does, retries what fails with exponential backoff, and keeps
 * every attempt in a delivery log that can be read and replayed.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

import { Agent, request } from 'undici';

// The package's compiled signature core, the very code the trigger ships with, copied into sandbox/core
// by the build (scripts/sandbox-core.mjs) so the sandbox's own package carries it.
import { EVENT_HEADER, sign, SIGNATURE_HEADER } from '../core/signature';
import type { SandboxConfig } from './config';
import type { Campaign, Delivery, Session } from './model';
import type { Store } from './store';

export function deliveryId(): string {
	return `dlv_${randomBytes(12).toString('hex')}`;
}

/** The payload fields a webhook profile can map, by name. Unknown names come from the lead or extras. */
export function webhookPayload(session: Session, fields: string[]): Record<string, unknown> {
	const known: Record<string, unknown> = {
		session_token: session.session_token,
		status: session.status,
		order_number: session.order_number,
		amount: session.amount,
		currency: session.currency,
		email: session.lead.email,
		customer_name: `${session.lead.first_name} ${session.lead.last_name}`.trim(),
		first_name: session.lead.first_name,
		last_name: session.lead.last_name,
		country: session.lead.country,
		campaign_id: session.campaign_id,
		failure_reason: session.failure_reason,
		completed_at: session.completed_at,
		created_at: session.created_at,
	};
	const payload: Record<string, unknown> = {};
	for (const field of fields) {
		if (field in known) payload[field] = known[field];
		else if (field in session.lead) payload[field] = session.lead[field];
		else if (field in session.extra) payload[field] = session.extra[field];
	}
	return payload;
}

export class WebhookSender {
	private readonly agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
	private readonly inFlight = new Set<Promise<void>>();
	private readonly stopping = new AbortController();

	constructor(
		private readonly config: SandboxConfig,
		private readonly store: Store,
		private readonly log: (line: string) => void,
	) {
		// Every delivery in flight listens to the one shutdown signal; hundreds at once are expected.
		setMaxListeners(0, this.stopping.signal);
	}


	/** Signs, records and queues one event; returns at once with the delivery, which goes out in the background. */
	send(event: string, url: string, payload: unknown, sessionToken: string | null): Delivery {
		const delivery = this.prepare(event, url, payload, sessionToken);
		this.store.save({ deliveries: [delivery] });
		return this.start(delivery);
	}

	/** A signed delivery, not yet queued: whatever can fail in making it fails before anything changes. */
	prepare(event: string, url: string, payload: unknown, sessionToken: string | null): Delivery {
		// Real UTF-8 on the wire (no \u escapes), as a sender with ensure_ascii=False would emit it:
		// the receiver has to canonicalize to check the signature either way.
		const body = JSON.stringify(payload);
		return {
			id: deliveryId(),
			event,
			url,
			body,
			signature: sign(body, this.config.signingSecret),
			session_token: sessionToken,
			state: 'pending',
			attempts: [],
			created_at: new Date().toISOString(),
			resend_of: null,
		};
	}

	/** The delivery of a session's event, signed but not queued (none when the campaign sends no webhooks). */
	prepareForSession(event: string, session: Session, campaign: Campaign): Delivery | null {
		if (!campaign.webhook.url) return null;
		return this.prepare(event, campaign.webhook.url, webhookPayload(session, campaign.webhook.fields), session.session_token);
	}

	/** Queues a prepared delivery that the caller has recorded, together with the change it announces. */
	dispatch(delivery: Delivery): Delivery {
		return this.start(delivery);
	}

	/** The same bytes and signature again, as a new delivery in the log. */
	resend(id: string, url?: string): Delivery | null {
		const original = this.store.deliveries.get(id);
		if (!original) return null;
		const copy: Delivery = {
			...original,
			id: deliveryId(),
			url: url ?? original.url,
			state: 'pending',
			attempts: [],
			created_at: new Date().toISOString(),
			resend_of: original.id,
		};
		this.store.save({ deliveries: [copy] });
		return this.start(copy);
	}

	private start(delivery: Delivery): Delivery {
		const work = this.deliver(delivery).finally(() => this.inFlight.delete(work));
		this.inFlight.add(work);
		return delivery;
	}

	private async deliver(delivery: Delivery): Promise<void> {
		const { maxAttempts, backoffMs, timeoutMs } = this.config.webhooks;
		for (let attempt = delivery.attempts.length + 1; attempt <= maxAttempts; attempt++) {
			if (this.stopping.signal.aborted) return;
			const started = Date.now();
			let status: number | null = null;
			let error: string | null = null;
			try {
				const response = await request(delivery.url, {
					method: 'POST',
					dispatcher: this.agent,
					headers: {
						'content-type': 'application/json',
						'user-agent': 'CatalystPay-Sandbox-Webhooks/1.0',
						[EVENT_HEADER]: delivery.event,
						[SIGNATURE_HEADER]: delivery.signature,
						'x-catalystpay-delivery': delivery.id,
					},
					body: delivery.body,
					headersTimeout: timeoutMs,
					bodyTimeout: timeoutMs,
					signal: this.stopping.signal,
				});
				status = response.statusCode;
				await response.body.dump();
			} catch (caught) {
				error = (caught as { code?: string }).code ?? (caught as Error).message;
			}
			delivery.attempts.push({ at: new Date(started).toISOString(), status, error, durationMs: Date.now() - started });
			const delivered = status !== null && status >= 200 && status < 300;
			this.log(`webhook ${delivery.event} -> ${delivery.url}: ${status ?? error} (attempt ${attempt}/${maxAttempts}, ${delivery.id})`);
			if (delivered || attempt === maxAttempts) {
				delivery.state = delivered ? 'delivered' : 'failed';
				this.store.save({ deliveries: [delivery] });
				return;
			}
			this.store.save({ deliveries: [delivery] });
			// Exponential backoff with jitter, so many failing deliveries do not retry in lockstep.
			const wait = backoffMs * 2 ** (attempt - 1);
			try {
				await sleep(wait / 2 + Math.random() * (wait / 2), undefined, { signal: this.stopping.signal });
			} catch {
				// Shutting down: the delivery stays pending and resumes on the next start (with --data-dir).
				return;
			}
		}
	}

	/** Picks up deliveries a previous run left unfinished. */
	resumePending(): void {
		for (const delivery of this.store.deliveries.values()) {
			if (delivery.state !== 'pending') continue;
			const work = this.deliver(delivery).finally(() => this.inFlight.delete(work));
			this.inFlight.add(work);
		}
	}

	/** Resolves when every queued delivery has finished its attempts (tests, shutdown). */
	async idle(): Promise<void> {
		while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
	}

	async close(): Promise<void> {
		this.stopping.abort();
		await this.idle();
		await this.agent.close();
	}
}
