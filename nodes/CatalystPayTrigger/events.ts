import type { INodePropertyOptions } from 'n8n-workflow';

export const ANY_EVENT = '*';

export const KNOWN_EVENTS: INodePropertyOptions[] = [
	{
		name: 'Payment Session Completed',
		value: 'payment_session.completed',
		description: 'The customer paid',
	},
	{
		name: 'Payment Session Failed',
		value: 'payment_session.failed',
		description: 'The payment failed after all retries',
	},
];

/**
 * The session status each event names. X-CatalystPay-Event is outside the signature, so an event
 * counts only when something CatalystPay signed (the payload's status) or confirmed (the session's)
 * says the same.
 */
export const STATUS_FOR_EVENT: ReadonlyMap<string, string> = new Map([
	['payment_session.completed', 'COMPLETED'],
	['payment_session.failed', 'FAILED'],
]);

/**
 * How the unsigned event header stands against a status CatalystPay vouches for:
 * - confirmed: the event names exactly that status;
 * - contradicted: the event names another status (a delivery replayed under another event's name);
 * - unconfirmed: no status to compare, or an event whose status we do not know.
 */
export type EventAgreement = 'confirmed' | 'contradicted' | 'unconfirmed';

export function eventAgreement(event: string, vouchedStatus: string | undefined): EventAgreement {
	const named = STATUS_FOR_EVENT.get(event);
	if (vouchedStatus === undefined || named === undefined) return 'unconfirmed';
	return named === vouchedStatus ? 'confirmed' : 'contradicted';
}

/** The events chosen in the list plus those typed by hand. */
export function selectedEvents(listed: string[], typed: string): Set<string> {
	const events = new Set(listed);
	for (const name of typed.split(',')) {
		if (name.trim() !== '') events.add(name.trim());
	}
	return events;
}

export function isSelected(events: Set<string>, event: string): boolean {
	return events.has(ANY_EVENT) || events.has(event);
}
