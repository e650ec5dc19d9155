import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import * as paymentSession from './actions/paymentSession';
import { router } from './actions/router';

export class CatalystPay implements INodeType {
	description: INodeTypeDescription = {
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

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
