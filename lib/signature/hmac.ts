/**
 * HMAC-SHA256 (RFC 2104) as two one-shot SHA-256 hashes. For a webhook of a few hundred bytes,
 * setting up `createHmac` costs more than the hashing; this keeps verification within a small factor
 * of hashing the raw body once. Falls back to `createHmac` where `crypto.hash` is missing.
 */
import * as crypto from 'node:crypto';

const BLOCK = 64;
const DIGEST = 32;

type OneShotHash = (algorithm: string, data: Uint8Array, outputEncoding: 'buffer' | 'hex') => Buffer | string;
const oneShotHash = (crypto as unknown as { hash?: OneShotHash }).hash;

interface Pads {
	inner: Buffer;
	/** The outer pad followed by room for the inner digest. */
	outer: Buffer;
}

/** A few secrets at most are in use at a time (current and previous, per credential). */
const MAX_CACHED_KEYS = 32;
const padsBySecret = new Map<string, Pads>();

function padsFor(secret: string): Pads {
	let pads = padsBySecret.get(secret);
	if (pads) return pads;
	let key = Buffer.from(secret, 'utf8');
	if (key.length > BLOCK) key = crypto.createHash('sha256').update(key).digest();
	pads = { inner: Buffer.alloc(BLOCK), outer: Buffer.alloc(BLOCK + DIGEST) };
	for (let i = 0; i < BLOCK; i++) {
		const byte = i < key.length ? key[i] : 0;
		pads.inner[i] = byte ^ 0x36;
		pads.outer[i] = byte ^ 0x5c;
	}
	if (padsBySecret.size >= MAX_CACHED_KEYS) padsBySecret.delete(padsBySecret.keys().next().value as string);
	padsBySecret.set(secret, pads);
	return pads;
}

/** Bytes of free space a message needs in front of it for `hmacHex`. */
export const HMAC_HEADROOM = BLOCK;

/**
 * Lowercase hex HMAC-SHA256 of `padded[HMAC_HEADROOM..]` under `secret`. The first HMAC_HEADROOM
 * bytes of `padded` are overwritten.
 */
export function hmacHex(secret: string, padded: Buffer): string {
	if (oneShotHash === undefined) {
		return crypto.createHmac('sha256', secret).update(padded.subarray(BLOCK)).digest('hex');
	}
	const pads = padsFor(secret);
	padded.set(pads.inner, 0);
	pads.outer.set(oneShotHash('sha256', padded, 'buffer') as Buffer, BLOCK);
	return oneShotHash('sha256', pads.outer, 'hex') as string;
}
