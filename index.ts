/**
 * The package's library entry: the signature check the CatalystPay Trigger uses, for code outside
 * n8n that wants the exact same verification (a Code node, a proxy, a test).
 */
export { canonicalize, canonicalBytes, CanonicalJsonError, verifySignature, checkSignature, sign } from './lib/signature';
export type { SignatureCheck, SignatureFailure } from './lib/signature';
