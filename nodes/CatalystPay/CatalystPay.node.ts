import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { CREDENTIAL_TYPE } from '../../lib/transport/credentials';
import { TOOL_DESCRIPTION } from './actions/agentText';
import * as paymentSession from './actions/paymentSession';
import { router } from './actions/router';

export class CatalystPay implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'CatalystPay',
		name: 'catalystPay',
		icon: { light: 'file:../../icons/catalystpay.svg', dark: 'file:../../icons/catalystpay.dark.svg' },
		group: ['transform'],
		// 1.1: Country is a list of countries by name (1 keeps its free text).
		version: [1, 1.1],
		defaultVersion: 1.1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Create CatalystPay payment sessions and read their status',
		defaults: { name: 'CatalystPay' },
		// As a tool (n8n-nodes-catalystpay.catalystPayTool) the node is described for an AI agent. n8n
		// applies these replacements to the tool variant it shows in the editor.
		usableAsTool: { replacements: { description: TOOL_DESCRIPTION } },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: CREDENTIAL_TYPE, required: true }],
		properties: [
			{
				displayName:
					"An AI agent sees the tool's description and, for each field filled by the model ($fromAI), that field's description: say the format there (country: ISO 3166-1 alpha-2 such as DE). Create moves no money; it returns a payment_url the customer pays at. For an agent that may only read sessions, choose Get.",
				name: 'agentNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { '@tool': [true] } },
			},
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
