import type {
	IAuthenticate,
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	Icon,
	INodeProperties,
} from 'n8n-workflow';

import { CREDENTIAL_TYPE, PRODUCTION_BASE_URL } from '../lib/transport/credentials';

export class CatalystPayApi implements ICredentialType {
	name = CREDENTIAL_TYPE;

	displayName = 'CatalystPay API';

	icon: Icon = {
		light: 'file:../icons/catalystpay.svg',
		dark: 'file:../icons/catalystpay.dark.svg',
	};

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-catalystpay#credentials';

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
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: PRODUCTION_BASE_URL,
			description:
				`Production is ${PRODUCTION_BASE_URL}. For the local sandbox (npm run sandbox) use http://127.0.0.1:4010.`,
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
			baseURL: '={{$credentials.baseUrl.trim().replace(/\\/+$/, "")}}',
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
						'CatalystPay did not accept this API key at this Base URL. Check the key (it starts with rk_) and that the Base URL is the environment it belongs to.',
				},
			},
		],
	};
}
