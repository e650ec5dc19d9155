import type {
	IExecuteFunctions,
	IHookFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { CREDENTIAL_TYPE, readCredentials } from '../../lib/transport/credentials';
import { ANY_EVENT, KNOWN_EVENTS } from './events';
import { recordDeliveries } from './execute';
import { DEFAULT_REPEAT_WINDOW_MINUTES, handleDelivery } from './webhook';

export class CatalystPayTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'CatalystPay Trigger',
		name: 'catalystPayTrigger',
		icon: { light: 'file:../../icons/catalystpay.svg', dark: 'file:../../icons/catalystpay.dark.svg' },
		group: ['trigger'],
		// 1.1 behaves as 1 does. n8n treats a trigger at version 1 as its first webhook nodes: for every
		// request it evaluates an expression (an isolate in n8n 2.x) and reads every body; above 1 it
		// does neither, and the trigger reads a body n8n did not (webhook.ts, rawBodyOf).
		version: [1, 1.1],
		defaultVersion: 1.1,
		subtitle: '={{$parameter["events"].join(", ")}}',
		description: 'Starts the workflow when CatalystPay sends a signed webhook, such as a completed payment',
		defaults: { name: 'CatalystPay Trigger' },
		inputs: [],
		// A second output, Refused, only when the user turns it on (existing workflows keep one output).
		outputs: `={{ $parameter.refusedOutput ? [{ "type": "${NodeConnectionTypes.Main}", "displayName": "Delivery" }, { "type": "${NodeConnectionTypes.Main}", "displayName": "Refused" }] : ["${NodeConnectionTypes.Main}"] }}`,
		credentials: [{ name: CREDENTIAL_TYPE, required: true }],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				// Empty, so n8n answers with the webhookResponse webhook() returns; left out, n8n 2.x
				// would answer with its default's name, the text "firstEntryJson".
				responseData: '',
				path: 'webhook',
			},
		],
		properties: [
			{
				displayName:
					"Paste this node's Production URL (above) into your CatalystPay webhook profile and activate the workflow. The Test URL only answers while you click \"Listen for test event\" here, so CatalystPay's deliveries to it fail at any other time.",
				name: 'setupNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				required: true,
				default: ['payment_session.completed'],
				description:
					'Which events start the workflow. Others are acknowledged (so CatalystPay does not retry them) and start nothing.',
				options: [
					{
						name: 'Any Event',
						value: ANY_EVENT,
						description: 'Every event CatalystPay sends, including ones not listed here',
					},
					...KNOWN_EVENTS,
				],
			},
			{
				displayName: 'Other Events',
				name: 'otherEvents',
				type: 'string',
				default: '',
				placeholder: 'payment_session.expired, payment_session.refunded',
				description: 'Event names not in the list above, separated by commas, exactly as CatalystPay sends them in X-CatalystPay-Event',
			},
			{
				displayName: 'Confirm Session Status',
				name: 'confirmSessionStatus',
				type: 'boolean',
				default: true,
				description:
					"Whether to read the session from CatalystPay before starting, and start only if its status matches the webhook's (the integration guide's last step). When it does not match (yet), CatalystPay is told to retry later. Needs session_token among the payload's fields.",
			},
			{
				displayName:
					"The X-CatalystPay-Event header is not signed. With Confirm Session Status off, the event is confirmed only when your webhook profile maps <code>status</code>: route on the item's <code>status</code> (COMPLETED, FAILED), never on <code>event</code> alone, and check <code>eventConfirmed</code>.",
				name: 'unconfirmedEventNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { confirmSessionStatus: [false] } },
			},
			{
				displayName: 'Output Refused Deliveries',
				name: 'refusedOutput',
				type: 'boolean',
				default: false,
				description:
					"Whether refused deliveries (wrong signature, missing session_token, ...) start an execution on a second output, Refused, with the reason and what to check, so you can be alerted. At most 5 per minute; the next one says how many were refused in between. Every refusal is also in n8n's log.",
			},
			{
				displayName:
					'Refused runs with a wrong or missing signature carry no payload and prove nothing: anyone can send one. Use them to alert, never to act on an order.',
				name: 'refusedNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { refusedOutput: [true] } },
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Ignore Repeats Within (Minutes)',
						name: 'ignoreRepeatsMinutes',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: DEFAULT_REPEAT_WINDOW_MINUTES,
						description:
							'A delivery that arrives again (same event, same signed payload) within this time is acknowledged and starts nothing, so an order is not shipped twice when CatalystPay retries. 0 turns this off.',
					},
				],
			},
		],
	};

	// CatalystPay has no API to register webhooks (the URL goes into the webhook profile by hand), so
	// these only make sure the trigger can verify anything at all before it starts listening.
	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return false;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				const credentials = readCredentials(await this.getCredentials(CREDENTIAL_TYPE));
				if (credentials.signingSecret === '') {
					throw new NodeOperationError(
						this.getNode(),
						'The CatalystPay credential has no webhook signing secret',
						{
							description:
								'Without it every webhook would be refused. Copy the signing secret from your CatalystPay webhook profile into the credential.',
						},
					);
				}
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await handleDelivery.call(this);
	}

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await recordDeliveries.call(this);
	}
}
