import type {
	IHookFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { CREDENTIAL_TYPE, readCredentials } from '../../lib/credentials';
import { triggerDescription } from './description';
import { handleDelivery } from './webhook';

export class CatalystPayTrigger implements INodeType {
	description: INodeTypeDescription = triggerDescription;

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
}
