/**
 * The likely cause of a signature mismatch, each found from real evidence: bodies signed the way
 * CatalystPay does (lib/signature's sign, checked against CPython's vectors elsewhere), the raw way,
 * and the integration guide's JavaScript way; and bodies changed on the way.
 */
import { createHmac } from 'node:crypto';

import { sign } from '../../lib/signature';
import { DIAGNOSIS_MAX_BYTES, diagnoseMismatch, reencodingHint } from '../../lib/signature/diagnosis';
import { guideCanonical } from '../helpers/guideSample';

const SECRET = 'whsec_diag_0123456789';
const BODY = '{"status": "COMPLETED", "customer_name": "Jürgen Müller", "amount": 1.0, "session_token": "ps_abc123def456ghi789jkl012mno345"}';
const hmac = (data: string | Buffer, key = SECRET) => createHmac('sha256', key).update(data).digest('hex');
const diagnose = (body: string | Buffer, signature: string, more: Partial<Parameters<typeof diagnoseMismatch>[0]> = {}) =>
	diagnoseMismatch({ body: Buffer.from(body), signature, secrets: [SECRET], hasPreviousSecret: false, ...more });

test('signed over the raw body with the right secret: said in the log only, never in the answer', () => {
	const result = diagnose(BODY, hmac(BODY));
	expect(result).toMatchObject({ cause: 'raw-body-signed', answerable: false });
	expect(result.hint).toMatch(/raw body/);
});

test("signed as the guide's JavaScript sample does (JSON.stringify, sorted keys): named, log only", () => {
	const javascript = guideCanonical(BODY);
	// It differs from CatalystPay's canonical form for this body (ü unescaped, 1.0 printed as 1).
	expect(hmac(javascript)).not.toBe(sign(BODY, SECRET));
	expect(diagnose(BODY, hmac(javascript))).toMatchObject({ cause: 'javascript-json-signed', answerable: false });
});

test('the right signature under the previous secret only, with no previous secret configured: the rotation hint', () => {
	const result = diagnose(BODY, sign(BODY, 'whsec_the_old_one'));
	expect(result).toMatchObject({ cause: 'unknown', answerable: false });
	expect(result.hint).toMatch(/Previous Signing Secret/);
	expect(diagnose(BODY, sign(BODY, 'whsec_the_old_one'), { hasPreviousSecret: true }).hint).not.toMatch(/Previous Signing Secret/);
});

test('a body changed on the way (compressed, or no longer UTF-8) is found without the secret, so the answer may say it', () => {
	expect(diagnose(BODY, sign(BODY, SECRET), { contentEncoding: 'gzip' })).toMatchObject({ cause: 'body-re-encoded', answerable: true });
	expect(diagnose(Buffer.from(BODY, 'latin1'), sign(BODY, SECRET))).toMatchObject({ cause: 'body-re-encoded', answerable: true });
	expect(diagnose(BODY, sign(BODY, SECRET), { contentType: 'application/json; charset=ISO-8859-1' }).hint).toMatch(/charset=iso-8859-1/);
	expect(reencodingHint(Buffer.from(BODY), 'application/json; charset=utf-8', 'identity')).toBeUndefined();
});

test('no hint ever carries a secret or an expected signature', () => {
	for (const result of [diagnose(BODY, hmac(BODY)), diagnose(BODY, sign(BODY, 'whsec_x')), diagnose(BODY, 'f'.repeat(64))]) {
		expect(result.hint).not.toContain(SECRET);
		expect(result.hint).not.toContain(sign(BODY, SECRET));
		expect(result.hint).not.toMatch(/[0-9a-f]{64}/);
	}
});

test('bounded: a body over the limit is not hashed again', () => {
	const large = Buffer.alloc(DIAGNOSIS_MAX_BYTES + 1, 0x20);
	expect(diagnose(large, 'a'.repeat(64)).cause).toBe('too-large-to-diagnose');
});
