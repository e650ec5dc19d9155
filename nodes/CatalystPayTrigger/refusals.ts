/**
 * Refused deliveries made visible to the person who owns the workflow: a line in n8n's log for each
 * (through n8n's own logger, so it goes wherever n8n's logs go), and optionally an execution on the
 * trigger's Refused output. Both are bounded per trigger node and per budget (budgetOf), so a flood
 * of forged requests becomes a few log lines and a few executions, not thousands, and never uses up
 * what a refused genuine delivery needs to be seen.
 *
 * Never in a log line or a Refused item: a secret, the signature, or the body (it holds customer data).
 */
import type { IDataObject, INodeExecutionData, IWebhookFunctions } from 'n8n-workflow';

export type RefusalReason =
	| 'no-raw-body'
	| 'no-secret'
	| 'missing-signature'
	| 'malformed-signature'
	| 'signature-mismatch'
	| 'not-json'
	| 'too-large'
	| 'event-mismatch'
	| 'no-session-token'
	| 'unknown-session'
	| 'status-mismatch'
	| 'confirmation-failed';

export interface Refusal {
	reason: RefusalReason;
	/** The HTTP status CatalystPay gets. */
	status: number;
	/** What is wrong, as the HTTP answer says it. */
	error: string;
	/** More for the sender, in the HTTP answer only (never logged: it may quote the body). */
	detail?: string | null;
	/** The likely cause and what to check: for the log and the Refused output. */
	hint: string;
	/** Whether the hint may go into the HTTP answer too; false where it would help a forger (see signatureDiagnosis.ts). */
	answerable?: boolean;
}

/** Individual log lines and Refused executions per trigger node per minute; the rest are counted. */
export const REFUSALS_REPORTED_PER_MINUTE = 5;
/** While refusals are being counted rather than logged, a summary line after every this many. */
export const LOG_SUMMARY_EVERY = 100;
const WINDOW_MS = 60_000;
const MAX_SCOPES = 1_000;

/** Counts what one kind of report (log lines, executions) let through and held back in a minute. */
class FloodWindow {
	private windowStart = -Infinity;
	private reported = 0;
	private held: Partial<Record<RefusalReason, number>> = {};
	private heldCount = 0;
	private heldSince = 0;

	/** Whether to report this one; if so, also what was held back before it (then forgotten). */
	admit(reason: RefusalReason, now: number): { admitted: boolean; heldBefore?: HeldBack } {
		if (now - this.windowStart >= WINDOW_MS) {
			this.windowStart = now;
			this.reported = 0;
		}
		if (this.reported < REFUSALS_REPORTED_PER_MINUTE) {
			this.reported++;
			return { admitted: true, heldBefore: this.takeHeld(now) };
		}
		if (this.heldCount === 0) this.heldSince = now;
		this.held[reason] = (this.held[reason] ?? 0) + 1;
		this.heldCount++;
		return { admitted: false };
	}

	/** Whether admit() would report one now, without counting it. */
	wouldAdmit(now: number): boolean {
		return now - this.windowStart >= WINDOW_MS || this.reported < REFUSALS_REPORTED_PER_MINUTE;
	}

	get heldBack(): number {
		return this.heldCount;
	}

	takeHeld(now: number): HeldBack | undefined {
		if (this.heldCount === 0) return undefined;
		const held = { count: this.heldCount, byReason: this.held, since: new Date(this.heldSince).toISOString(), until: new Date(now).toISOString() };
		this.held = {};
		this.heldCount = 0;
		return held;
	}
}

export interface HeldBack {
	count: number;
	byReason: Partial<Record<RefusalReason, number>>;
	since: string;
	until: string;
}

/**
 * Who can cause a refusal, which decides whose budget it counts against: anyone (nothing verifiable
 * was sent), someone holding a captured genuine delivery (sent again under another event's name), or
 * CatalystPay itself (a signed delivery refused for a reason the owner must see, such as a status
 * mismatch or a missing session_token). Separate budgets, so a flood of forged requests never hides
 * the log line or Refused execution of a genuine delivery that was refused.
 */
export type RefusalBudget = 'unsigned' | 'replayed' | 'signed';

const SIGNED: ReadonlySet<RefusalReason> = new Set<RefusalReason>(['no-session-token', 'unknown-session', 'status-mismatch', 'confirmation-failed']);

export function budgetOf(reason: RefusalReason): RefusalBudget {
	if (reason === 'event-mismatch') return 'replayed';
	return SIGNED.has(reason) ? 'signed' : 'unsigned';
}

const logWindows = new Map<string, FloodWindow>();
const outputWindows = new Map<string, FloodWindow>();

function windowFor(windows: Map<string, FloodWindow>, scope: string, reason: RefusalReason): FloodWindow {
	const key = `${scope}|${budgetOf(reason)}`;
	let window = windows.get(key);
	if (!window) {
		if (windows.size >= MAX_SCOPES * 3) windows.clear();
		window = new FloodWindow();
		windows.set(key, window);
	}
	return window;
}

/**
 * Whether a refusal of this kind would be logged or start a Refused execution now: what may be worth
 * more work to explain it (the signature diagnosis), which a flood must not be able to buy.
 */
export function wouldReport(scope: string, reason: RefusalReason, withOutput: boolean, now = Date.now()): boolean {
	return windowFor(logWindows, scope, reason).wouldAdmit(now) || (withOutput && windowFor(outputWindows, scope, reason).wouldAdmit(now));
}

/** What is known about the request, safe to log: no body, no signature. */
export interface DeliveryFacts {
	event: string;
	bodyBytes: number;
	/** CatalystPay's delivery id header, when it sends one. */
	deliveryHeader?: string;
	headers: IDataObject;
	receivedAt: string;
}

const describeHeld = (held: HeldBack) =>
	`${held.count} (${Object.entries(held.byReason)
		.map(([reason, count]) => `${reason}: ${count}`)
		.join(', ')}) between ${held.since} and ${held.until}`;

/** Logs a refusal through n8n's logger, or counts it when this node has logged enough this minute. */
export function logRefusal(context: IWebhookFunctions, scope: string, refusal: Refusal, facts: DeliveryFacts, now = Date.now()): void {
	const window = windowFor(logWindows, scope, refusal.reason);
	const { admitted, heldBefore } = window.admit(refusal.reason, now);
	const workflow = context.getWorkflow();
	const where = { workflowId: workflow.id, workflowName: workflow.name, node: context.getNode().name };
	// Also in the message: n8n's default text log prints the message without its metadata.
	const who = `CatalystPay Trigger "${where.node}" of workflow "${where.workflowName ?? ''}" (${where.workflowId ?? 'unsaved'})`;
	if (admitted) {
		context.logger.warn(
			`${who} refused a delivery (${refusal.status} ${refusal.reason}): ${refusal.error}. ${refusal.hint}` +
				(heldBefore ? ` Not logged one by one before this: ${describeHeld(heldBefore)}.` : ''),
			{
				...where,
				reason: refusal.reason,
				status: refusal.status,
				event: facts.event || '(none)',
				bodyBytes: facts.bodyBytes,
				...(facts.deliveryHeader ? { deliveryId: facts.deliveryHeader } : {}),
			},
		);
	} else if (window.heldBack >= LOG_SUMMARY_EVERY) {
		const held = window.takeHeld(now) as HeldBack;
		context.logger.warn(`${who} is refusing many deliveries; not logged one by one: ${describeHeld(held)}. The latest: ${refusal.reason}. ${refusal.hint}`, {
			...where,
			refusedCount: held.count,
		});
	}
}

/** Headers a Refused item must not carry: the signature, and anything that may hold a credential. */
const WITHHELD_HEADERS = new Set(['x-catalystpay-signature', 'authorization', 'proxy-authorization', 'cookie', 'x-api-key', 'x-n8n-api-key']);

export function safeHeaders(headers: IDataObject): IDataObject {
	return Object.fromEntries(Object.entries(headers).filter(([name]) => !WITHHELD_HEADERS.has(name.toLowerCase())));
}

/**
 * The item for the Refused output, or undefined when this node has started enough Refused executions
 * this minute. The next one admitted carries the count of those held back in between.
 */
export function refusedItem(scope: string, refusal: Refusal, facts: DeliveryFacts, now = Date.now()): INodeExecutionData | undefined {
	const { admitted, heldBefore } = windowFor(outputWindows, scope, refusal.reason).admit(refusal.reason, now);
	if (!admitted) return undefined;
	return {
		json: {
			reason: refusal.reason,
			status: refusal.status,
			error: refusal.error,
			hint: refusal.hint,
			event: facts.event,
			receivedAt: facts.receivedAt,
			bodyBytes: facts.bodyBytes,
			headers: safeHeaders(facts.headers),
			...(heldBefore ? { refusedWithoutExecution: heldBefore as unknown as IDataObject } : {}),
		},
	};
}
