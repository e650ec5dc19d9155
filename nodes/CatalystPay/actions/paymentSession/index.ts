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
				description: 'Create a payment session and get the URL of its hosted payment page',
				action: 'Create a payment session',
			},
			{
				name: 'Get',
				value: 'get',
				description: 'Get a payment session by its token, with its status',
				action: 'Get a payment session',
			},
		],
		default: 'create',
	},
	...create.description,
	...get.description,
];
