import type { INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import * as paymentSession from './paymentSession';

export const versionDescription: INodeTypeDescription = {
	displayName: 'CatalystPay',
	name: 'catalystPay',
	icon: { light: 'file:catalystpay.svg', dark: 'file:catalystpay.dark.svg' },
	group: ['transform'],
	version: [1],
	subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
	description: 'Create CatalystPay payment sessions and read their status',
	defaults: { name: 'CatalystPay' },
	usableAsTool: true,
	inputs: [NodeConnectionTypes.Main],
	outputs: [NodeConnectionTypes.Main],
	credentials: [{ name: 'catalystPayApi', required: true }],
	properties: [
		{
			displayName: 'Resource',
			name: 'resource',
			type: 'options',
			noDataExpression: true,
			options: [{ name: 'Payment Session', value: 'paymentSession' }],
			default: 'paymentSession',
		},
		...paymentSession.description,
	],
};
