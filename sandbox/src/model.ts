/** The sandbox's data: campaigns as CatalystPay's admin configures them, sessions, webhook deliveries. */

export interface Campaign {
	id: string;
	name: string;
	/** CSS colour of the hosted page's header and button. */
	brandColor: string;
	offer: {
		description: string;
		/** A decimal string, as CatalystPay sends it: "29.99". */
		amount: string;
		currency: string;
	};
	successRedirectUrl: string;
	failureRedirectUrl: string;
	webhook: {
		/** Where signed events go; none configured means none are sent. */
		url: string | null;
		/** The session fields the webhook profile maps into the payload. */
		fields: string[];
	};
}

export type SessionStatus = 'PENDING' | 'COMPLETED' | 'FAILED';

export interface Lead {
	first_name: string;
	last_name: string;
	email: string;
	country: string;
	address?: string;
	city?: string;
	postal_code?: string;
	[extra: string]: unknown;
}

export interface Session {
	session_token: string;
	campaign_id: string;
	status: SessionStatus;
	amount: string;
	currency: string;
	order_number: string | null;
	payment_url: string;
	lead: Lead;
	/** Session fields the caller sent that the sandbox has no use for, kept and returned. */
	extra: Record<string, unknown>;
	created_at: string;
	completed_at: string | null;
	failure_reason: string | null;
	/** Payment attempts made, retries included. */
	attempts: number;
	account_holder: string | null;
	/** The IBAN with all but its last four characters masked. */
	iban_last4: string | null;
}

export interface DeliveryAttempt {
	at: string;
	/** HTTP status, or null when no answer came (refused, reset, timed out). */
	status: number | null;
	error: string | null;
	durationMs: number;
}

export interface Delivery {
	id: string;
	event: string;
	url: string;
	/** The exact bytes sent, so a resend is the same delivery. */
	body: string;
	signature: string;
	session_token: string | null;
	state: 'pending' | 'delivered' | 'failed';
	attempts: DeliveryAttempt[];
	created_at: string;
	/** The delivery this one replays, if it is a resend. */
	resend_of: string | null;
}
