import type { INodeProperties } from 'n8n-workflow';

import * as create from './create.operation';
import * as get from './get.operation';

export { create, get };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['paymentSession'] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				description:
					'Create a payment session and get the URL of its hosted payment page. No money moves until the customer pays on that page.',
				action: 'Create a payment session',
			},
			{
				name: 'Get',
				value: 'get',
				description: 'Get a payment session by its token, with its status: PENDING, COMPLETED (paid) or FAILED',
				action: 'Get a payment session',
			},
		],
		default: 'create',
	},
	...create.description,
	...get.description,
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show: { resource: ['paymentSession'] } },
		options: [
			{
				displayName: 'Concurrent Requests',
				name: 'concurrency',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 50 },
				default: 5,
				description:
					'How many items are sent to CatalystPay at the same time. 1 sends them one after another. Results always come out in input order.',
			},
			{
				displayName: 'Retries',
				name: 'retries',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 10 },
				default: 3,
				description:
					'How often a failed request is tried again. Rate limits are retried after the wait CatalystPay asks for; Get is also retried after network errors and 502/503/504. Create is retried only when CatalystPay provably did not receive it, so no session is ever created twice.',
			},
			{
				displayName: 'Timeout (Ms)',
				name: 'timeout',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 30000,
				description: 'How long to wait for CatalystPay to answer one request',
			},
		],
	},
];
