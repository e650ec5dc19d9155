/**
 * The webhook signature, written once for both ends: the trigger verifies with it and the sandbox
 * signs with it, so the two can never drift apart.
 */
import { canonicalBytes, CanonicalJsonError } from './canonicalJson';
import { hmacHex } from './hmac';

export { canonicalBytes, canonicalize, CanonicalJsonError } from './canonicalJson';

/** The headers a CatalystPay webhook carries, as Node lower-cases them; the sandbox sends, the trigger reads. */
export const SIGNATURE_HEADER = 'x-catalystpay-signature';
export const EVENT_HEADER = 'x-catalystpay-event';

/** Signs a body as CatalystPay does: canonicalize, then HMAC-SHA256 as lowercase hex. Throws for a body that is not JSON. */
export function sign(body: string | Uint8Array, secret: string): string {
	return hmacHex(secret, canonicalBytes(body));
}

/** Why a webhook was refused; each maps to one answer the trigger gives. */
export type SignatureFailure = 'no-secret' | 'missing-signature' | 'malformed-signature' | 'not-json' | 'mismatch';

export type SignatureCheck =
	| { valid: true; /** The canonical JSON that was signed (ASCII bytes). */ canonical: Buffer }
	| { valid: false; reason: SignatureFailure; detail?: string };

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/**
 * Compares a lowercase hex digest with a signature already known to be 64 hex digits, in time that
 * does not depend on where they differ. `| 0x20` lower-cases A-F and leaves digits as they are.
 */
function sameDigest(digest: string, signature: string): boolean {
	let difference = 0;
	for (let i = 0; i < 64; i++) difference |= digest.charCodeAt(i) ^ (signature.charCodeAt(i) | 0x20);
	return difference === 0;
}

function secretList(secrets: string | readonly string[] | undefined | null): string[] {
	if (typeof secrets === 'string') return secrets.length > 0 ? [secrets] : [];
	if (!Array.isArray(secrets)) return [];
	return secrets.filter((secret): secret is string => typeof secret === 'string' && secret.length > 0);
}

/** The canonical bytes when the signature matches, or why not. Never throws. */
function verify(
	body: string | Uint8Array,
	signature: string | undefined | null,
	secrets: string | readonly string[] | undefined | null,
	keepCanonical: boolean,
): Buffer | { reason: SignatureFailure; detail?: string } {
	try {
		const keys = secretList(secrets);
		if (keys.length === 0) return { reason: 'no-secret' };
		if (typeof signature !== 'string' || signature.length === 0) return { reason: 'missing-signature' };
		if (!HEX_SHA256.test(signature)) return { reason: 'malformed-signature' };

		let canonical: Buffer;
		try {
			canonical = canonicalBytes(body, !keepCanonical);
		} catch (error) {
			const detail = error instanceof CanonicalJsonError ? error.message : 'unreadable body';
			return { reason: 'not-json', detail };
		}
		let matched = false;
		for (const key of keys) {
			// No early exit: the time taken must not tell which secret matched.
			matched = sameDigest(hmacHex(key, canonical), signature) || matched;
		}
		return matched ? canonical : { reason: 'mismatch' };
	} catch {
		return { reason: 'mismatch' };
	}
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
	const result = verify(body, signature, secrets, true);
	if (Buffer.isBuffer(result)) return { valid: true, canonical: result };
	return { valid: false, ...result };
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
	return Buffer.isBuffer(verify(body, signature, secrets, false));
}
