/**
 * The webhook signature, written once for both ends: the trigger verifies with it and the sandbox
 * signs with it, so the two can never drift apart.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

import { canonicalize, CanonicalJsonError } from './canonicalJson';

export { canonicalize, CanonicalJsonError } from './canonicalJson';

/** HMAC-SHA256 of the canonical JSON, as lowercase hex, the way CatalystPay signs a webhook. */
export function signCanonical(canonical: string, secret: string): string {
	return createHmac('sha256', secret).update(canonical, 'utf8').digest('hex');
}

/** Signs a body as CatalystPay does: canonicalize, then HMAC. Throws for a body that is not JSON. */
export function sign(body: string | Uint8Array, secret: string): string {
	return signCanonical(canonicalize(body), secret);
}

/** Why a webhook was refused; each maps to one answer the trigger gives. */
export type SignatureFailure = 'no-secret' | 'missing-signature' | 'malformed-signature' | 'not-json' | 'mismatch';

export type SignatureCheck =
	| { valid: true; canonical: string }
	| { valid: false; reason: SignatureFailure; detail?: string };

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

function secretList(secrets: string | readonly string[] | undefined | null): string[] {
	const list = Array.isArray(secrets) ? secrets : [secrets];
	return list.filter((secret): secret is string => typeof secret === 'string' && secret.length > 0);
}

/**
 * Checks a webhook and says why it fails. Never throws. Every configured secret is tried, so a
 * signature from the previous secret still passes while a secret is being rotated.
 */
export function checkSignature(
	body: string | Uint8Array,
	signature: string | undefined | null,
	secrets: string | readonly string[] | undefined | null,
): SignatureCheck {
	try {
		const keys = secretList(secrets);
		if (keys.length === 0) return { valid: false, reason: 'no-secret' };
		if (typeof signature !== 'string' || signature.length === 0) {
			return { valid: false, reason: 'missing-signature' };
		}
		// Buffer.from(hex) silently stops at the first bad character, so the shape is checked first.
		if (!HEX_SHA256.test(signature)) return { valid: false, reason: 'malformed-signature' };

		let canonical: string;
		try {
			canonical = canonicalize(body);
		} catch (error) {
			const detail = error instanceof CanonicalJsonError ? error.message : 'unreadable body';
			return { valid: false, reason: 'not-json', detail };
		}
		const expected = Buffer.from(signature, 'hex');
		let matched = false;
		for (const key of keys) {
			// No early exit: the time taken must not tell which secret matched.
			const actual = createHmac('sha256', key).update(canonical, 'utf8').digest();
			matched = timingSafeEqual(actual, expected) || matched;
		}
		return matched ? { valid: true, canonical } : { valid: false, reason: 'mismatch' };
	} catch {
		return { valid: false, reason: 'mismatch' };
	}
}

/**
 * True only when `signature` (hex, either case) is the HMAC-SHA256 of the body's canonical JSON under
 * one of `secrets`. False for anything else, bodies that are not JSON included. Never throws.
 */
export function verifySignature(
	body: string | Uint8Array,
	signature: string,
	secrets: string | readonly string[],
): boolean {
	return checkSignature(body, signature, secrets).valid;
}
