/**
 * The webhook signature, written once for both ends: the trigger verifies with it and the sandbox
 * signs with it, so the two can never drift apart.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

import { canonicalBytes, CanonicalJsonError } from './canonicalJson';

export { canonicalBytes, canonicalize, CanonicalJsonError } from './canonicalJson';

/** Signs a body as CatalystPay does: canonicalize, then HMAC-SHA256 as lowercase hex. Throws for a body that is not JSON. */
export function sign(body: string | Uint8Array, secret: string): string {
	return createHmac('sha256', secret).update(canonicalBytes(body)).digest('hex');
}

/** Why a webhook was refused; each maps to one answer the trigger gives. */
export type SignatureFailure = 'no-secret' | 'missing-signature' | 'malformed-signature' | 'not-json' | 'mismatch';

export type SignatureCheck =
	| { valid: true; /** The canonical JSON that was signed (ASCII bytes). */ canonical: Buffer }
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

		let canonical: Buffer;
		try {
			canonical = canonicalBytes(body);
		} catch (error) {
			const detail = error instanceof CanonicalJsonError ? error.message : 'unreadable body';
			return { valid: false, reason: 'not-json', detail };
		}
		// Hex digests are compared: producing one is cheaper than a Buffer digest in Node.
		const expected = Buffer.from(signature.toLowerCase(), 'latin1');
		let matched = false;
		for (const key of keys) {
			// No early exit: the time taken must not tell which secret matched.
			const actual = Buffer.from(createHmac('sha256', key).update(canonical).digest('hex'), 'latin1');
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
