/**
 * The trigger's description per version. Version 1 (and 1.1) answers CatalystPay before the
 * workflow runs and remembers deliveries for a time window; version 2, the default for new triggers,
 * answers when the workflow has ended and remembers the deliveries that succeeded. Everything else is
 * the same, and written once here.
 */
import type { INodeProperties, INodeTypeBaseDescription, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { CREDENTIAL_TYPE } from '../../lib/transport/credentials';
import { REMEMBERED_DELIVERIES } from './completedDeliveries';
import { ANY_EVENT, KNOWN_EVENTS } from './events';
import { DEFAULT_MAX_BODY_KB, DEFAULT_REPEAT_WINDOW_MINUTES, RESPOND_AT_END, RESPOND_AT_ONCE } from './webhook';


const setupNotice: INodeProperties = {
	displayName:
		"Paste this node's Production URL (above) into your CatalystPay webhook profile and publish the workflow. The Test URL only answers while you click \"Listen for test event\" here, so CatalystPay's deliveries to it fail at any other time.",
	name: 'setupNotice',
	type: 'notice',
	default: '',
};

const events: INodeProperties[] = [
	{
		displayName: 'Events',
		name: 'events',
		type: 'multiOptions',
		required: true,
		default: ['payment_session.completed'],
		description: 'Which events start the workflow. Others are acknowledged (so CatalystPay does not retry them) and start nothing.',
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
];

/** Version 2: when CatalystPay gets its answer, which is when it forgets the delivery. */
const respond: INodeProperties[] = [
	{
		displayName: 'Answer CatalystPay',
		name: 'respond',
		type: 'options',
		default: RESPOND_AT_END,
		description: 'When CatalystPay is told the delivery arrived. It never sends a delivery again once it has that answer.',
		options: [
			{
				name: 'When the Workflow Has Finished',
				value: RESPOND_AT_END,
				description:
					'Safe: if a node fails or n8n stops before the end, CatalystPay sends the delivery again and it runs again. A delivery whose workflow succeeded never runs twice.',
			},
			{
				name: 'Immediately',
				value: RESPOND_AT_ONCE,
				description:
					'Before the workflow runs, as version 1 did. If a node fails or n8n stops, CatalystPay does not send the delivery again: that order is lost unless you handle it yourself.',
			},
		],
	},
	{
		displayName:
			'CatalystPay waits only a few seconds for the answer (payment providers give up after 1 to 30 s, then send the delivery again; the copy is told to retry while the first still runs). Keep this workflow short. For a Wait, an approval or anything slow, record the paid order in your database here and ship it from a scheduled workflow: see "Long workflows" in docs/trigger.md of this package.',
		name: 'timeoutNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { respond: [RESPOND_AT_END] } },
	},
];

const confirmation: INodeProperties[] = [
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
];

const refused: INodeProperties[] = [
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
];

const maxBody: INodeProperties = {
	displayName: 'Largest Delivery (KB)',
	name: 'maxBodyKb',
	type: 'number',
	typeOptions: { minValue: 1 },
	default: DEFAULT_MAX_BODY_KB,
	description:
		"Bodies larger than this are refused (413) before they are read, so forged giant requests cost n8n next to nothing. CatalystPay's deliveries are a few hundred bytes.",
};

/** Version 1's repeat memory: a time window. Version 2 remembers the last REMEMBERED_DELIVERIES that succeeded instead. */
const optionsV1: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
	options: [
		maxBody,
		{
			displayName: 'Ignore Repeats Within (Minutes)',
			name: 'ignoreRepeatsMinutes',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: DEFAULT_REPEAT_WINDOW_MINUTES,
			description:
				'A delivery that arrives again (same signed payload) within this time is acknowledged and starts nothing, so an order is not shipped twice when CatalystPay retries. 0 turns this off.',
		},
	],
};

const optionsV2: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
	options: [maxBody],
};

const repeatsNotice: INodeProperties = {
	displayName: `A delivery whose workflow succeeded runs nothing when it comes again (the last ${REMEMBERED_DELIVERIES.toLocaleString('en-US')} per trigger are remembered in n8n's database). One that failed or was cut off runs again. Give your shipping step <code>deliveryId</code> as its idempotency key where it takes one.`,
	name: 'repeatsNotice',
	type: 'notice',
	default: '',
};

function outputsExpression(): `={{${string}}}` {
	// A second output, Refused, only when the user turns it on (existing workflows keep one output).
	return `={{ $parameter.refusedOutput ? [{ "type": "${NodeConnectionTypes.Main}", "displayName": "Delivery" }, { "type": "${NodeConnectionTypes.Main}", "displayName": "Refused" }] : ["${NodeConnectionTypes.Main}"] }}`;
}

/** One version line's description, over the node's base description (CatalystPayTrigger.node.ts). */
export function versionDescription(baseDescription: INodeTypeBaseDescription, answersAtEnd: boolean): INodeTypeDescription {
	return {
		...baseDescription,
		// 1.1 behaves as 1 does. n8n treats a trigger at version 1 as its first webhook nodes: for every
		// request it evaluates an expression (an isolate in n8n 2.x) and reads every body; above 1 it
		// does neither, and the trigger reads a body n8n did not (webhook.ts, rawBodyOf).
		version: answersAtEnd ? 2 : [1, 1.1],
		subtitle: '={{$parameter["events"].join(", ")}}',
		defaults: { name: 'CatalystPay Trigger' },
		inputs: [],
		outputs: outputsExpression(),
		credentials: [{ name: CREDENTIAL_TYPE, required: true }],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				// Version 2: n8n answers when the execution has ended: 200 (no body) when it succeeded,
				// 500 when it failed, nothing when n8n stopped. Not 'responseNode': n8n 1.x answers
				// 200 in that mode when the run failed. Refusals, repeats and "Immediately" are answered
				// by webhook() itself. Version 1: empty, so n8n answers with the webhookResponse webhook()
				// returns; left out, n8n 2.x would answer with its default's name, "firstEntryJson".
				responseMode: answersAtEnd ? 'lastNode' : 'onReceived',
				responseData: answersAtEnd ? 'noData' : '',
				path: 'webhook',
			},
		],
		properties: answersAtEnd
			? [setupNotice, ...events, ...respond, ...confirmation, ...refused, repeatsNotice, optionsV2]
			: [setupNotice, ...events, ...confirmation, ...refused, optionsV1],
	};
}
