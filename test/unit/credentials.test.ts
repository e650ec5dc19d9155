/**
 * The credential's Environment choice, as both nodes read it, including credentials saved before the
 * choice existed (only a Base URL, with n8n filling in the default Environment).
 */
import { PRODUCTION_BASE_URL, readCredentials, SANDBOX_BASE_URL } from '../../lib/transport/credentials';

const keys = { apiKey: ' rk_test ', signingSecret: 'whsec_x' };

test.each([
	['Production', { environment: 'production', baseUrl: PRODUCTION_BASE_URL }, PRODUCTION_BASE_URL],
	['Sandbox on this machine, as offered', { environment: 'sandbox', sandboxUrl: SANDBOX_BASE_URL, baseUrl: PRODUCTION_BASE_URL }, SANDBOX_BASE_URL],
	['Sandbox on another port, trailing slash', { environment: 'sandbox', sandboxUrl: 'http://127.0.0.1:4999/ ' }, 'http://127.0.0.1:4999'],
	['Custom URL', { environment: 'custom', customBaseUrl: 'https://api.staging.example.com//', baseUrl: PRODUCTION_BASE_URL }, 'https://api.staging.example.com'],
	// Saved before Environment existed: n8n fills in Production, the stored Base URL is the user's choice.
	['an older credential pointing at the sandbox', { environment: 'production', baseUrl: 'http://127.0.0.1:4010/' }, 'http://127.0.0.1:4010'],
	['an older credential with no Environment at all', { baseUrl: 'https://api.catalystpay.com' }, PRODUCTION_BASE_URL],
	['nothing set', {}, PRODUCTION_BASE_URL],
])('%s', (_, data, expected) => {
	const read = readCredentials({ ...keys, ...data });
	expect(read.baseUrl).toBe(expected);
	expect(read.apiKey).toBe('rk_test');
});
