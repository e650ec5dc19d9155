import type {
	IExecuteFunctions,
	INodeTypeBaseDescription,
	IHookFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeOperationError, VersionedNodeType } from 'n8n-workflow';

import { CREDENTIAL_TYPE, readCredentials } from '../../lib/transport/credentials';
import { versionDescription } from './description';
import { recordDeliveries } from './execute';
import { handleDelivery } from './webhook';

const baseDescription: INodeTypeBaseDescription = {
	displayName: 'CatalystPay Trigger',
	name: 'catalystPayTrigger',
	icon: { light: 'file:../../icons/catalystpay.svg', dark: 'file:../../icons/catalystpay.dark.svg' },
	group: ['trigger'],
	description: 'Starts the workflow when CatalystPay sends a signed webhook, such as a completed payment',
	defaultVersion: 2,
};

/**
 * One version line of the trigger; what differs between them is in description.ts and the memory they
 * keep. Typed as an INodeType where VersionedNodeType takes it (not with `implements`, which makes the
 * community-node rules look for an icon literal here: it is in the shared baseDescription).
 */
class CatalystPayTriggerVersion {
	description: INodeTypeDescription;

	constructor(answersAtEnd: boolean) {
		this.description = versionDescription(baseDescription, answersAtEnd);
	}

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
					throw new NodeOperationError(this.getNode(), 'The CatalystPay credential has no webhook signing secret', {
						description: 'Without it every webhook would be refused. Copy the signing secret from your CatalystPay webhook profile into the credential.',
					});
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

export class CatalystPayTrigger extends VersionedNodeType {
	constructor() {
		const answersFirst: INodeType = new CatalystPayTriggerVersion(false);
		const answersAtEnd: INodeType = new CatalystPayTriggerVersion(true);
		super({ 1: answersFirst, 1.1: answersFirst, 2: answersAtEnd }, baseDescription);
	}
}
