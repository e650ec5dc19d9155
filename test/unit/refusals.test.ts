/**
 * The Refused output's bound, by count and an injected clock: at most REFUSALS_REPORTED_PER_MINUTE
 * executions per trigger node per minute, the next one carrying how many were held back.
 */
import { budgetOf, REFUSALS_REPORTED_PER_MINUTE, type Refusal, refusedItem, safeHeaders } from '../../nodes/CatalystPayTrigger/refusals';

const refusal: Refusal = { reason: 'signature-mismatch', status: 401, error: 'The X-CatalystPay-Signature does not match the body', hint: 'Check the secret' };
const facts = (n: number) => ({
	event: 'payment_session.completed',
	bodyBytes: 120,
	headers: { 'x-catalystpay-signature': 'f'.repeat(64), authorization: 'Basic c2VjcmV0', 'content-type': 'application/json', 'x-n': String(n) },
	receivedAt: '2026-12-02T00:00:00.000Z',
});

test('a flood: five a minute start an execution; the first of the next minute says how many were held back', () => {
	const scope = `flood-${Date.now()}`;
	const t0 = 1_000_000;
	const admitted = Array.from({ length: 500 }, (_, i) => refusedItem(scope, refusal, facts(i), t0 + i)).filter((item) => item !== undefined);
	expect(admitted).toHaveLength(REFUSALS_REPORTED_PER_MINUTE);
	const next = refusedItem(scope, { ...refusal, reason: 'missing-signature' }, facts(500), t0 + 60_000);
	expect(next?.json).toMatchObject({ reason: 'missing-signature', refusedWithoutExecution: { count: 495, byReason: { 'signature-mismatch': 495 } } });
	// Scopes (trigger nodes) do not share a budget.
	expect(refusedItem(`${scope}-other`, refusal, facts(0), t0)).toBeDefined();
});

test('a Refused item never carries the signature or a credential header', () => {
	const item = refusedItem(`headers-${Date.now()}`, refusal, facts(1));
	expect(Object.keys(item?.json.headers as object)).toEqual(['content-type', 'x-n']);
	expect(safeHeaders({ 'X-CatalystPay-Signature': 'x', Cookie: 'a=b', 'X-Other': 'y' })).toEqual({ 'X-Other': 'y' });
});

test('a flood of forged requests does not use up the budget of refused genuine deliveries, nor of replays', () => {
	const scope = `budgets-${Date.now()}`;
	const t0 = 2_000_000;
	for (let i = 0; i < 500; i++) refusedItem(scope, refusal, facts(i), t0 + i);
	expect(refusedItem(scope, { ...refusal, reason: 'missing-signature' }, facts(501), t0 + 501)).toBeUndefined();
	// CatalystPay's own delivery, refused because the session is not COMPLETED yet: still reported.
	const genuine = refusedItem(scope, { reason: 'status-mismatch', status: 409, error: 'CatalystPay has this session as PENDING', hint: 'Retry later' }, facts(502), t0 + 502);
	expect(genuine?.json).toMatchObject({ reason: 'status-mismatch' });
	expect(refusedItem(scope, { reason: 'event-mismatch', status: 400, error: 'swapped', hint: 'replay' }, facts(503), t0 + 503)?.json).toMatchObject({ reason: 'event-mismatch' });
});

test.each([
	['missing-signature', 'unsigned'],
	['malformed-signature', 'unsigned'],
	['signature-mismatch', 'unsigned'],
	['not-json', 'unsigned'],
	['no-secret', 'unsigned'],
	['no-raw-body', 'unsigned'],
	['event-mismatch', 'replayed'],
	['no-session-token', 'signed'],
	['unknown-session', 'signed'],
	['status-mismatch', 'signed'],
	['confirmation-failed', 'signed'],
] as const)('%s counts against the %s budget', (reason, budget) => {
	expect(budgetOf(reason)).toBe(budget);
});
