/**
 * Why a webhook's signature did not match: the likely cause, for the person who owns the workflow.
 * Computed only after a mismatch, and bounded: a few HMACs over a body of at most DIAGNOSIS_MAX_BYTES.
 *
 * What may go back to the sender and what may not: a cause found without the secret (the body was
 * re-encoded on the way) tells a forger nothing, so the HTTP answer may carry it. A cause found WITH
 * the secret (the body was signed some other way, but with the right secret) must stay in n8n's log
 * and the Refused output: said to the sender, it would confirm to a forger that a guessed secret is
 * right. The answer never carries an expected signature or says which secret came close.
 */
import { hmacHex } from './hmac';

export type MismatchCause = 'body-re-encoded' | 'raw-body-signed' | 'javascript-json-signed' | 'too-large-to-diagnose' | 'unknown';

export interface MismatchDiagnosis {
	cause: MismatchCause;
	/** For n8n's log and the Refused output. */
	hint: string;
	/** Whether the hint may go into the HTTP answer too (it was found without the secret). */
	answerable: boolean;
}

/** Bodies larger than this are not diagnosed (CatalystPay's are a few hundred bytes). */
export const DIAGNOSIS_MAX_BYTES = 1024 * 1024;

/** CatalystPay's integration guide's JavaScript sample's canonical form: JSON.stringify of recursively sorted keys. */
function javascriptCanonical(value: unknown): unknown {
	if (typeof value !== 'object' || value === null) return value;
	if (Array.isArray(value)) return value.map(javascriptCanonical);
	const sorted: Record<string, unknown> = {};
	for (const key of Object.keys(value).sort()) sorted[key] = javascriptCanonical((value as Record<string, unknown>)[key]);
	return sorted;
}

// Node's buffer.isUtf8 would do, but n8n's community-node rules refuse an import of node:buffer.
function isUtf8(bytes: Uint8Array): boolean {
	try {
		new TextDecoder('utf-8', { fatal: true }).decode(bytes);
		return true;
	} catch {
		return false;
	}
}

export interface MismatchEvidence {
	body: Uint8Array;
	/** The signature as received: 64 hex digits (a malformed one is refused before any diagnosis). */
	signature: string;
	secrets: readonly string[];
	/** Content-Encoding and Content-Type as received, if any. */
	contentEncoding?: string;
	contentType?: string;
	/** Whether the credential has a previous secret configured (rotation support). */
	hasPreviousSecret: boolean;
}

/**
 * Whether the body was visibly changed on the way (compressed, re-encoded): found without the secret,
 * so safe to answer. Also the likely cause of a body that is not JSON.
 */
export function reencodingHint(body: Uint8Array, contentType?: string, contentEncoding?: string): string | undefined {
	const encoding = contentEncoding?.trim().toLowerCase();
	if (encoding && encoding !== 'identity') {
		return `The body arrived with Content-Encoding: ${encoding}. CatalystPay sends plain JSON, so something on the way (a proxy or CDN) changed the body after it was signed; turn that off for this URL.`;
	}
	const charset = /charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
	if ((charset && charset !== 'utf-8' && charset !== 'utf8') || !isUtf8(body)) {
		return `The body is not UTF-8${charset ? ` (Content-Type says charset=${charset})` : ''}. CatalystPay sends UTF-8 JSON, so something on the way re-encoded the body after it was signed.`;
	}
	return undefined;
}

export function diagnoseMismatch(evidence: MismatchEvidence): MismatchDiagnosis {
	const { body, secrets } = evidence;
	const signature = evidence.signature.toLowerCase();

	const reencoded = reencodingHint(body, evidence.contentType, evidence.contentEncoding);
	if (reencoded) return { cause: 'body-re-encoded', hint: reencoded, answerable: true };
	if (body.byteLength > DIAGNOSIS_MAX_BYTES) {
		return {
			cause: 'too-large-to-diagnose',
			hint: `The body (${body.byteLength} bytes) is too large to look for the cause. Check that the credential's signing secret is the one in your CatalystPay webhook profile.`,
			answerable: false,
		};
	}

	// Found with the secret: log and Refused output only.
	for (const secret of secrets) {
		if (hmacHex(secret, body) === signature) {
			return {
				cause: 'raw-body-signed',
				hint: 'The signature is an HMAC of the raw body with your signing secret, not of CatalystPay\'s canonical JSON (sorted keys, compact, ASCII-escaped). The sender signs some other way than CatalystPay: if it is your own code, sign json.dumps(payload, sort_keys=True, separators=(",", ":")).',
				answerable: false,
			};
		}
		try {
			const javascript = JSON.stringify(javascriptCanonical(JSON.parse(Buffer.from(body).toString('utf8'))));
			if (hmacHex(secret, javascript) === signature) {
				return {
					cause: 'javascript-json-signed',
					hint: 'The signature is an HMAC of JavaScript\'s JSON.stringify with sorted keys (non-ASCII characters unescaped, JavaScript\'s number format), as the integration guide\'s JavaScript sample computes it, not of Python\'s json.dumps. The sender does not sign like CatalystPay.',
					answerable: false,
				};
			}
		} catch {
			// Not JSON to JavaScript (Python's NaN, say): not this cause.
		}
	}
	return {
		cause: 'unknown',
		hint:
			"Check that the credential's signing secret is the one shown in your CatalystPay webhook profile." +
			(evidence.hasPreviousSecret ? '' : ' If the secret was rotated, put the old one in Previous Signing Secret until CatalystPay signs with the new one.') +
			' Otherwise the body was changed on the way, or the delivery is forged.',
		answerable: false,
	};
}
