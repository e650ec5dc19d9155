/**
 * The event header is not signed: it counts only when the status CatalystPay signed or confirmed
 * names the same event. A delivery whose header names another status is a replay under a new name.
 */
import { eventAgreement } from '../../nodes/CatalystPayTrigger/events';

test.each([
	['payment_session.completed', 'COMPLETED', 'confirmed'],
	['payment_session.failed', 'FAILED', 'confirmed'],
	// The attack: a genuine failed delivery sent again as "completed".
	['payment_session.completed', 'FAILED', 'contradicted'],
	['payment_session.failed', 'COMPLETED', 'contradicted'],
	['payment_session.completed', 'PENDING', 'contradicted'],
	// Case matters: CatalystPay's statuses are upper case, and anything else is not what it signed.
	['payment_session.completed', 'completed', 'contradicted'],
	// Nothing signed says the status: the header stays the sender's word.
	['payment_session.completed', undefined, 'unconfirmed'],
	// An event we know no status for: nothing to compare it with.
	['payment_session.refunded', 'COMPLETED', 'unconfirmed'],
	['', 'COMPLETED', 'unconfirmed'],
	// Inherited object keys are not events.
	['constructor', 'COMPLETED', 'unconfirmed'],
] as const)('event %j with vouched status %j: %s', (event, status, expected) => {
	expect(eventAgreement(event, status)).toBe(expected);
});
