/**
 * When a failed CatalystPay call may be tried again. A payment session must never be created twice
 * for one item, so Create is retried only when the request provably created nothing; reads are safe
 * to repeat.
 */
import { sleep } from 'n8n-workflow';

import type { ApiFailure } from './apiError';
import { CatalystPayApiError } from './apiError';
import { neverReachedServer } from './networkCodes';

export interface RetryPolicy {
	/** Retries after the first attempt. */
	retries: number;
	/** The first backoff, doubled each retry, with full jitter. */
	baseDelayMs: number;
	maxDelayMs: number;
	/** A 429 asking to wait longer than this fails at once rather than stalling the workflow. */
	maxRetryAfterMs: number;
	/** True when repeating the request cannot do anything twice. */
	idempotent: boolean;
}

export const DEFAULT_RETRY: Omit<RetryPolicy, 'idempotent'> = {
	retries: 3,
	baseDelayMs: 500,
	maxDelayMs: 10_000,
	maxRetryAfterMs: 60_000,
};

const RETRYABLE_STATUS = new Set([502, 503, 504]);

export function isRetryable(failure: ApiFailure, idempotent: boolean): boolean {
	if (failure.statusCode === 429) return true;
	if (failure.kind === 'network') return idempotent || neverReachedServer(failure.code);
	return idempotent && failure.statusCode !== undefined && RETRYABLE_STATUS.has(failure.statusCode);
}

/** How long to wait before retry number `retry` (1-based), or null when the wait is too long. */
export function retryDelayMs(failure: ApiFailure, retry: number, policy: RetryPolicy, random = Math.random): number | null {
	if (failure.statusCode === 429 && failure.retryAfter !== undefined) {
		const asked = failure.retryAfter * 1000;
		if (asked > policy.maxRetryAfterMs) return null;
		// A little jitter on top, so items that were limited together do not come back together.
		return asked + random() * Math.min(1000, policy.baseDelayMs);
	}
	const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
	return random() * ceiling;
}

/**
 * Runs `attempt` until it succeeds, fails in a way that must not be retried, or retries run out.
 * `random` is the jitter's source, there so a test can fix the delays instead of timing them.
 */
export async function withRetries<T>(
	attempt: () => Promise<T>,
	policy: RetryPolicy,
	signal?: AbortSignal,
	random: () => number = Math.random,
): Promise<T> {
	for (let retry = 1; ; retry++) {
		let failure: unknown;
		try {
			return await attempt();
		} catch (error) {
			failure = error;
		}
		// Only our own API errors say what happened on the wire; anything else is not ours to repeat.
		const delay =
			failure instanceof CatalystPayApiError && retry <= policy.retries && isRetryable(failure.apiFailure, policy.idempotent)
				? retryDelayMs(failure.apiFailure, retry, policy, random)
				: null;
		if (delay === null || signal?.aborted) throw failure;
		await sleep(delay, signal);
	}
}
