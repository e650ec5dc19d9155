import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { getPaymentSession } from '../../../../lib/transport/api';
import { parseSessionToken } from '../../../../lib/validate';
import type { ItemParameters, RequestSettings } from '../common';
import { fieldError, sentWith, showFor, textParameter } from '../common';

export const description: INodeProperties[] = [
	{
		displayName: 'Session Token',
		name: 'session',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'ps_abc123def456ghi789jkl012mno345',
		description: 'The session_token from Create (ps_ followed by letters and digits), or the whole payment URL that ends with it',
		displayOptions: showFor('paymentSession', 'get'),
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	settings: RequestSettings,
	parameters: ItemParameters,
): Promise<IDataObject> {
	const parsed = parseSessionToken(textParameter(parameters, 'session', itemIndex));
	if ('problem' in parsed) throw fieldError(this, 'Session Token', parsed.problem, itemIndex);
	return await getPaymentSession.call(this, parsed.token, sentWith(settings, itemIndex));
}
