/**
 * What a network failure's code says about the request: whether it can have reached CatalystPay.
 * Decides both whether a Create may be retried (retry.ts) and what an agent is told (apiError.ts),
 * so the two can never disagree.
 */

/** Codes for requests that never reached a server, so nothing can have happened there. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function neverReachedServer(code: string | undefined): boolean {
	return NEVER_SENT.has(code ?? '');
}
