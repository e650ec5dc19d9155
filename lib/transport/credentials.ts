/** The shape of the `catalystPayApi` credential, shared by both nodes so neither reads it its own way. */
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

export const CREDENTIAL_TYPE = 'catalystPayApi';
export const PRODUCTION_BASE_URL = 'https://api.catalystpay.com';

export interface CatalystPayCredentials {
	apiKey: string;
	signingSecret: string;
	previousSigningSecret: string;
	baseUrl: string;
}

const text = (value: unknown): string => (typeof value === 'string' ? value.trim() : '');

export function readCredentials(data: ICredentialDataDecryptedObject): CatalystPayCredentials {
	return {
		apiKey: text(data.apiKey),
		signingSecret: text(data.signingSecret),
		previousSigningSecret: text(data.previousSigningSecret),
		// Trailing slashes would double up with the API paths, which all start with one.
		baseUrl: (text(data.baseUrl) || PRODUCTION_BASE_URL).replace(/\/+$/, ''),
	};
}

/** The current secret first; the previous one only while a rotation is under way. */
export function signingSecrets(credentials: CatalystPayCredentials): string[] {
	return [credentials.signingSecret, credentials.previousSigningSecret].filter((secret) => secret !== '');
}
