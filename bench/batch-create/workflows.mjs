// The batch-create benchmark's workflows: Webhook -> Split Out -> "Create", the CatalystPay node or
// n8n's HTTP Request node as a user would set each up (see bench/batch-create.mjs).
import { randomUUID } from 'node:crypto';

export const CAMPAIGN_ID = 'a1b2c3d4-e5f6-7890-abcd-ef1234567890';

/** The lead every contender sends, but for the email, which comes from the item. */
export const LEAD = { first_name: 'Jürgen', last_name: 'Müller', country: 'DE', address: 'Musterstraße 42', city: 'Köln', postal_code: '50667' };

export function workflow(name, createNode) {
	const webhookId = randomUUID();
	const path = `bench-batch-${webhookId.slice(0, 8)}`;
	const nodes = [
		{
			id: randomUUID(),
			name: 'Webhook',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			position: [0, 0],
			webhookId,
			parameters: { httpMethod: 'POST', path, responseMode: 'onReceived', options: {} },
		},
		{
			id: randomUUID(),
			name: 'Split Out',
			type: 'n8n-nodes-base.splitOut',
			typeVersion: 1,
			position: [220, 0],
			parameters: { fieldToSplitOut: 'body.leads', include: 'noOtherFields', options: {} },
		},
		{ id: randomUUID(), name: 'Create', position: [440, 0], ...createNode },
	];
	const connections = {
		Webhook: { main: [[{ node: 'Split Out', type: 'main', index: 0 }]] },
		'Split Out': { main: [[{ node: 'Create', type: 'main', index: 0 }]] },
	};
	return { name, path: `/webhook/${path}`, nodes, connections };
}

export function catalystPayCreate(concurrency, credential, email = '={{ $json.email }}') {
	return {
		type: 'n8n-nodes-catalystpay.catalystPay',
		typeVersion: 1,
		onError: 'continueRegularOutput',
		credentials: { catalystPayApi: credential },
		parameters: {
			resource: 'paymentSession',
			operation: 'create',
			campaignId: CAMPAIGN_ID,
			firstName: LEAD.first_name,
			lastName: LEAD.last_name,
			email,
			country: LEAD.country,
			address: LEAD.address,
			city: LEAD.city,
			postalCode: LEAD.postal_code,
			options: { concurrency },
		},
	};
}

export function httpRequestCreate(concurrency, intervalMs, sandboxUrl, credential) {
	// As a user writes it in the editor: a JSON template with the item's email put in by an expression.
	const body = JSON.stringify({ campaign_id: CAMPAIGN_ID, lead: { ...LEAD, email: '@@EMAIL@@' } }, null, 2).replace('"@@EMAIL@@"', '"{{ $json.email }}"');
	return {
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.5,
		onError: 'continueRegularOutput',
		credentials: { httpBearerAuth: credential },
		parameters: {
			method: 'POST',
			url: `${sandboxUrl}/api/v1/payment-sessions/`,
			authentication: 'genericCredentialType',
			genericAuthType: 'httpBearerAuth',
			sendBody: true,
			specifyBody: 'json',
			jsonBody: `=${body}`,
			options: { batching: { batch: { batchSize: concurrency, batchInterval: intervalMs } } },
		},
	};
}
