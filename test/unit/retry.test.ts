/**
 * Retry decisions and delays (lib/transport/retry.ts), by value. A payment session must never be
 * created twice for one item, so the line between "retry" and "give up" for a Create is a money-
 * adjacent rule: it is pinned here case by case rather than left to show up, or not, in a 500-item
 * fault run. The jitter's source is injected, so every delay is an exact number and no test waits on
 * the clock; the only real sleeps are zero-length or cut short by an AbortSignal.
 */

import type { ApiFailure } from '../../lib/transport/apiError';
import { CatalystPayApiError } from '../../lib/transport/apiError';
import type { CatalystPayContext } from '../../lib/transport/request';
import { DEFAULT_RETRY, isRetryable, retryDelayMs, withRetries, type RetryPolicy } from '../../lib/transport/retry';
import { aNode } from '../helpers/nodes';

const node = aNode('n8n-nodes-catalystpay.catalystPay', 'CatalystPay', 'b0000000-0000-4000-8000-00000000beef');
// apiError only asks its context for the node; the rest of n8n's context is not used on this path.
const context = { getNode: () => node } as unknown as CatalystPayContext;

const apiError = (failure: ApiFailure) => new CatalystPayApiError(context, failure, {}, 'failed', 'test failure', undefined);
const http = (statusCode: number, retryAfter?: number): ApiFailure => ({ kind: 'http', statusCode, retryAfter });
const network = (code: string): ApiFailure => ({ kind: 'network', code });

const policy = (overrides: Partial<RetryPolicy> = {}): RetryPolicy => ({ ...DEFAULT_RETRY, idempotent: true, ...overrides });

/** An attempt that fails with the given errors in turn, then succeeds; it counts its calls. */
function scripted(errors: unknown[], value = 'done') {
	const calls = { count: 0 };
	const attempt = async () => {
		const error = errors[calls.count++];
		if (error !== undefined) throw error;
		return value;
	};
	return { attempt, calls };
}

describe('isRetryable', () => {
	// Codes for a request that never left this machine: CatalystPay cannot have created anything.
	const notSent = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'];
	// Codes for a request that may have arrived: a Create behind one of these may already exist.
	const maybeSent = ['ETIMEDOUT', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'UND_ERR_SOCKET', 'UNKNOWN'];

	it.each(notSent)('retries %s for a read and for a Create alike (nothing was sent)', (code) => {
		expect(isRetryable(network(code), true)).toBe(true);
		expect(isRetryable(network(code), false)).toBe(true);
	});

	it.each(maybeSent)('retries %s for a read but never for a Create (CatalystPay may have it)', (code) => {
		expect(isRetryable(network(code), true)).toBe(true);
		expect(isRetryable(network(code), false)).toBe(false);
	});

	it('does not retry a Create whose network failure has no code at all', () => {
		expect(isRetryable({ kind: 'network' }, false)).toBe(false);
		expect(isRetryable({ kind: 'network' }, true)).toBe(true);
	});

	it.each([502, 503, 504])('retries HTTP %i for a read but not for a Create (it may have been processed)', (status) => {
		expect(isRetryable(http(status), true)).toBe(true);
		expect(isRetryable(http(status), false)).toBe(false);
	});

	it('retries a 429 for both: a rate-limited request was refused before anything happened', () => {
		expect(isRetryable(http(429), true)).toBe(true);
		expect(isRetryable(http(429), false)).toBe(true);
		expect(isRetryable(http(429, 3), false)).toBe(true);
	});

	it.each([400, 401, 403, 404, 409, 422, 500, 501, 505])('never retries HTTP %i: repeating cannot change the answer', (status) => {
		expect(isRetryable(http(status), true)).toBe(false);
		expect(isRetryable(http(status), false)).toBe(false);
	});

	it('does not retry an HTTP failure without a status', () => {
		expect(isRetryable({ kind: 'http' }, true)).toBe(false);
	});
});

describe('retryDelayMs', () => {
	const base = policy({ baseDelayMs: 500, maxDelayMs: 10_000, maxRetryAfterMs: 60_000 });

	it('doubles the ceiling each retry from baseDelayMs, up to maxDelayMs (random = 1 shows the ceiling)', () => {
		const ceilings = [1, 2, 3, 4, 5, 6, 7].map((retry) => retryDelayMs(http(503), retry, base, () => 1));
		expect(ceilings).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
	});

	it('draws the delay uniformly below the ceiling (full jitter)', () => {
		expect(retryDelayMs(http(503), 3, base, () => 0)).toBe(0);
		expect(retryDelayMs(http(503), 3, base, () => 0.25)).toBe(500);
		expect(retryDelayMs(network('ETIMEDOUT'), 1, base, () => 0.5)).toBe(250);
	});

	it('waits what Retry-After asks, plus up to min(1 s, baseDelayMs) of jitter', () => {
		expect(retryDelayMs(http(429, 2), 1, base, () => 0)).toBe(2000);
		expect(retryDelayMs(http(429, 2), 1, base, () => 0.5)).toBe(2250);
		// The retry number does not scale a Retry-After: CatalystPay said how long.
		expect(retryDelayMs(http(429, 2), 3, base, () => 0.5)).toBe(2250);
		expect(retryDelayMs(http(429, 2), 1, policy({ baseDelayMs: 5000 }), () => 1)).toBe(3000);
		expect(retryDelayMs(http(429, 0), 1, base, () => 0)).toBe(0);
	});

	it('gives up (null) when Retry-After asks for longer than maxRetryAfterMs, and not at exactly the limit', () => {
		expect(retryDelayMs(http(429, 61), 1, base, () => 0)).toBeNull();
		expect(retryDelayMs(http(429, 60), 1, base, () => 0)).toBe(60_000);
	});

	it('backs off exponentially for a 429 without Retry-After', () => {
		expect(retryDelayMs(http(429), 2, base, () => 1)).toBe(1000);
	});

	it('uses Math.random when no source is given, staying within the ceiling', () => {
		const delay = retryDelayMs(http(503), 2, base);
		expect(delay).not.toBeNull();
		expect(delay).toBeGreaterThanOrEqual(0);
		expect(delay).toBeLessThanOrEqual(1000);
	});
});

describe('withRetries', () => {
	// random = 0 makes every backoff a zero-length sleep, so these tests run at machine speed.
	const zero = () => 0;

	it('returns the first success without retrying', async () => {
		const { attempt, calls } = scripted([]);
		await expect(withRetries(attempt, policy(), undefined, zero)).resolves.toBe('done');
		expect(calls.count).toBe(1);
	});

	it('retries a passing failure and returns the later success', async () => {
		const { attempt, calls } = scripted([apiError(http(503)), apiError(network('ECONNRESET'))]);
		await expect(withRetries(attempt, policy({ retries: 3 }), undefined, zero)).resolves.toBe('done');
		expect(calls.count).toBe(3);
	});

	it('makes at most 1 + retries attempts, then throws the last failure', async () => {
		const errors = [1, 2, 3, 4, 5].map(() => apiError(http(503)));
		const { attempt, calls } = scripted(errors);
		await expect(withRetries(attempt, policy({ retries: 2 }), undefined, zero)).rejects.toBe(errors[2]);
		expect(calls.count).toBe(3);
	});

	it('with retries = 0 tries once', async () => {
		const error = apiError(http(503));
		const { attempt, calls } = scripted([error]);
		await expect(withRetries(attempt, policy({ retries: 0 }), undefined, zero)).rejects.toBe(error);
		expect(calls.count).toBe(1);
	});

	it('never repeats a Create after a timeout or a 5xx: CatalystPay may have created the session', async () => {
		for (const failure of [network('ETIMEDOUT'), network('ECONNRESET'), http(502), http(503), http(504), http(500)]) {
			const error = apiError(failure);
			const { attempt, calls } = scripted([error]);
			await expect(withRetries(attempt, policy({ retries: 5, idempotent: false }), undefined, zero)).rejects.toBe(error);
			expect(calls.count).toBe(1);
		}
	});

	it('repeats a Create whose request provably never arrived, or was rate limited', async () => {
		const { attempt, calls } = scripted([apiError(network('ECONNREFUSED')), apiError(http(429, 0))]);
		await expect(withRetries(attempt, policy({ retries: 5, idempotent: false }), undefined, zero)).resolves.toBe('done');
		expect(calls.count).toBe(3);
	});

	it('does not retry what is not a CatalystPayApiError (a bug of ours is not a passing failure)', async () => {
		const error = new TypeError('boom');
		const { attempt, calls } = scripted([error]);
		await expect(withRetries(attempt, policy({ retries: 3 }), undefined, zero)).rejects.toBe(error);
		expect(calls.count).toBe(1);
	});

	it('fails at once when Retry-After asks for more than maxRetryAfterMs', async () => {
		const error = apiError(http(429, 120));
		const { attempt, calls } = scripted([error]);
		await expect(withRetries(attempt, policy({ retries: 3 }), undefined, zero)).rejects.toBe(error);
		expect(calls.count).toBe(1);
	});

	it('draws each backoff from the injected random, once per retry', async () => {
		const draws: number[] = [];
		const random = () => {
			draws.push(draws.length);
			return 0;
		};
		const { attempt } = scripted([apiError(http(503)), apiError(http(503)), apiError(http(503))]);
		await withRetries(attempt, policy({ retries: 3 }), undefined, random);
		expect(draws).toHaveLength(3);
	});

	it('does not retry once the signal is already aborted, and throws the failure itself', async () => {
		const controller = new AbortController();
		controller.abort(new Error('cancelled'));
		const error = apiError(http(503));
		const { attempt, calls } = scripted([error]);
		await expect(withRetries(attempt, policy({ retries: 3 }), controller.signal, zero)).rejects.toBe(error);
		expect(calls.count).toBe(1);
	});

	it('stops waiting when the signal aborts during a backoff, with the abort reason', async () => {
		const controller = new AbortController();
		const reason = new Error('execution cancelled');
		let calls = 0;
		const attempt = async (): Promise<string> => {
			calls++;
			// setImmediate runs after withRetries has started its sleep (microtasks run first).
			setImmediate(() => controller.abort(reason));
			throw apiError(http(503));
		};
		// random = 1 with a ten-minute base: without the abort this would wait far past jest's timeout.
		const slow = policy({ retries: 3, baseDelayMs: 600_000, maxDelayMs: 600_000 });
		await expect(withRetries(attempt, slow, controller.signal, () => 1)).rejects.toBe(reason);
		expect(calls).toBe(1);
	});
});
