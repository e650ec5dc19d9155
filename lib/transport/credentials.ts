/** The shape of the `catalystPayApi` credential, shared by both nodes so neither reads it its own way. */
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

export const CREDENTIAL_TYPE = 'catalystPayApi';
export const PRODUCTION_BASE_URL = 'https://api.catalystpay.com';
/** Where `npm run sandbox` (and the sandbox's own command) listens unless told otherwise. */
export const SANDBOX_BASE_URL = 'http://127.0.0.1:4010';

/** The credential's Environment choice. */
export type Environment = 'production' | 'sandbox' | 'custom';

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
		baseUrl: baseUrlOf(data).replace(/\/+$/, ''),
	};
}

/**
 * The API's address from the Environment choice. Credentials saved before the choice existed have
 * only `baseUrl` (n8n fills in Production as their Environment): a `baseUrl` other than production's
 * is such a credential's own choice, and kept. New credentials never set `baseUrl` (it is not shown).
 */
function baseUrlOf(data: ICredentialDataDecryptedObject): string {
	switch (data.environment as Environment | undefined) {
		case 'sandbox':
			return text(data.sandboxUrl) || SANDBOX_BASE_URL;
		case 'custom':
			return text(data.customBaseUrl) || PRODUCTION_BASE_URL;
		default:
			return text(data.baseUrl) || PRODUCTION_BASE_URL;
	}
}

/** The current secret first; the previous one only while a rotation is under way. */
export function signingSecrets(credentials: CatalystPayCredentials): string[] {
	return [credentials.signingSecret, credentials.previousSigningSecret].filter((secret) => secret !== '');
}
