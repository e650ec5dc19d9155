import type {
	IAuthenticate,
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	Icon,
	INodeProperties,
} from 'n8n-workflow';

import { CREDENTIAL_TYPE, PRODUCTION_BASE_URL, SANDBOX_BASE_URL } from '../lib/transport/credentials';

export class CatalystPayApi implements ICredentialType {
	name = CREDENTIAL_TYPE;

	displayName = 'CatalystPay API';

	icon: Icon = {
		light: 'file:../icons/catalystpay.svg',
		dark: 'file:../icons/catalystpay.dark.svg',
	};

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-catalystpay#set-up-catalystpay';

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			placeholder: 'rk_...',
			description: 'Your CatalystPay API key. It starts with rk_.',
		},
		{
			displayName: 'Webhook Signing Secret',
			name: 'signingSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'The signing secret of your CatalystPay webhook profile. The CatalystPay Trigger refuses every webhook until it is set.',
		},
		{
			displayName: 'Previous Signing Secret',
			name: 'previousSigningSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'Only while you rotate the signing secret: webhooks signed with this older secret are accepted too. Clear it once the rotation is done.',
		},
		{
			displayName: 'Environment',
			name: 'environment',
			type: 'options',
			default: 'production',
			description: 'Which CatalystPay the nodes talk to. The API key and the signing secret belong to one environment.',
			options: [
				{ name: 'Production', value: 'production', description: PRODUCTION_BASE_URL },
				{ name: 'Sandbox on This Machine', value: 'sandbox', description: 'The local CatalystPay sandbox (npm run sandbox or npm run dev in this repository)' },
				{ name: 'Custom URL', value: 'custom', description: 'Any other address, such as a staging environment or a sandbox elsewhere' },
			],
		},
		{
			displayName: 'Sandbox URL',
			name: 'sandboxUrl',
			type: 'string',
			default: SANDBOX_BASE_URL,
			description: `Where the sandbox listens: ${SANDBOX_BASE_URL} unless you started it with another --port or --host`,
			displayOptions: { show: { environment: ['sandbox'] } },
		},
		{
			displayName: 'Base URL',
			name: 'customBaseUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://api.staging.example.com',
			description: "The API's address, without /api/v1",
			displayOptions: { show: { environment: ['custom'] } },
		},
		{
			// Credentials saved before Environment existed carry their address here; never shown.
			displayName: 'Base URL (Before Environment)',
			name: 'baseUrl',
			type: 'hidden',
			default: PRODUCTION_BASE_URL,
		},
	];

	// A function rather than a declarative block (headers: { Authorization: '=Bearer {{...}}' }): n8n
	// applies it to every request, and a block's expression costs n8n 2.x an evaluation in its
	// expression engine each time (about as much CPU as sending the request).
	authenticate: IAuthenticate = async (credentials: ICredentialDataDecryptedObject, requestOptions: IHttpRequestOptions) => ({
		...requestOptions,
		headers: { ...requestOptions.headers, Authorization: `Bearer ${String(credentials.apiKey ?? '').trim()}` },
	});

	// CatalystPay has no "who am I" endpoint, so the test asks to create a session with an empty body:
	// CatalystPay checks the key first (401 for a wrong one) and then the body (400 naming the missing
	// campaign_id), so that 400 proves the key works and nothing is ever created.
	test: ICredentialTestRequest = {
		request: {
			// The same choice as readCredentials() makes, in n8n's expression language.
			baseURL:
				'={{ ($credentials.environment === "sandbox" ? ($credentials.sandboxUrl || "' +
				SANDBOX_BASE_URL +
				'") : $credentials.environment === "custom" ? $credentials.customBaseUrl : ($credentials.baseUrl || "' +
				PRODUCTION_BASE_URL +
				'")).trim().replace(/\\/+$/, "") }}',
			url: '/api/v1/payment-sessions/',
			method: 'POST',
			body: {},
			json: true,
			ignoreHttpStatusErrors: true,
		},
		rules: [
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'campaign_id',
					value: undefined,
					message:
						'CatalystPay did not accept this API key in this environment. Check the key (it starts with rk_) and that the Environment is the one it belongs to.',
				},
			},
		],
	};
}
