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

/** The session status each event implies, for events whose payload carries no status of its own. */
export const STATUS_FOR_EVENT: Record<string, string> = {
	'payment_session.completed': 'COMPLETED',
	'payment_session.failed': 'FAILED',
};

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
