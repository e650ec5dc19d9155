import type { IDataObject, IExecuteFunctions, INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import { catalystPayRequest } from '../../../../lib/transport/api';
import { campaignIdProblem, countryCodes, countryProblem, emailProblem } from '../../../../lib/validate';
import type { ItemParameters, RequestSettings } from '../common';
import { fieldError, nameValuePairs, sentWith, showFor, textParameter } from '../common';

const show = showFor('paymentSession', 'create');

/** A list of name/value pairs for fields CatalystPay accepts that this node has no box for. */
function extraFields(name: string, displayName: string, placeholder: string, example: string, description: string): INodeProperties {
	return {
		displayName,
		name,
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {},
		placeholder,
		description,
		options: [
			{
				displayName: 'Field',
				name: 'field',
				values: [
					{ displayName: 'Name', name: 'name', type: 'string', default: '', placeholder: example },
					{ displayName: 'Value', name: 'value', type: 'string', default: '' },
				],
			},
		],
	};
}

/** Every country by its English name (as Node's ICU names it), its code in brackets, sorted by name. */
function countryOptions(): INodePropertyOptions[] {
	const names = new Intl.DisplayNames(['en'], { type: 'region' });
	return countryCodes()
		.map((code) => ({ name: `${names.of(code) ?? code} (${code})`, value: code }))
		.sort((a, b) => a.name.localeCompare(b.name, 'en'));
}

export const description: INodeProperties[] = [
	{
		displayName:
			"Each run creates a new payment session per item: CatalystPay's API takes no idempotency key. Settings → Retry On Fail, or running a failed batch again, can create a second session for the same order. The node never retries a Create itself after CatalystPay may have received it, and a batch that stops on an error lists the items whose sessions were already created.",
		name: 'createNotice',
		type: 'notice',
		default: '',
		displayOptions: show,
	},
	{
		displayName: 'Campaign ID',
		name: 'campaignId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890',
		description: 'The campaign whose hosted payment page the customer sees. Ask your CatalystPay admin for it.',
		displayOptions: show,
	},
	{
		displayName: 'First Name',
		name: 'firstName',
		type: 'string',
		required: true,
		default: '',
		description: "The customer's first (given) name. The hosted payment page shows it as the account holder.",
		displayOptions: show,
	},
	{
		displayName: 'Last Name',
		name: 'lastName',
		type: 'string',
		required: true,
		default: '',
		description: "The customer's last (family) name",
		displayOptions: show,
	},
	{
		displayName: 'Email',
		name: 'email',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'name@example.com',
		description: "The customer's email address, such as name@example.com",
		displayOptions: show,
	},
	{
		displayName: 'Country',
		name: 'country',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'DE',
		description: 'ISO 3166-1 alpha-2 code of the customer\'s country, such as DE, AT or FR',
		displayOptions: { show: { ...show.show, '@version': [1] } },
	},
	{
		// From version 1.1 a list by name: the node only takes ISO codes, and a user picks a country by
		// its name. An expression (a code from the shop's data) still works.
		displayName: 'Country',
		name: 'country',
		type: 'options',
		required: true,
		default: '',
		description: "The customer's country. With an expression: its ISO 3166-1 alpha-2 code, such as DE.",
		options: countryOptions(),
		displayOptions: { show: { ...show.show, '@version': [{ _cnd: { gte: 1.1 } }] } },
	},
	{
		displayName: 'Address',
		name: 'address',
		type: 'string',
		default: '',
		placeholder: 'Musterstrasse 42',
		description: 'Street and house number',
		displayOptions: show,
	},
	{
		displayName: 'City',
		name: 'city',
		type: 'string',
		default: '',
		description: "The customer's city",
		displayOptions: show,
	},
	{
		displayName: 'Postal Code',
		name: 'postalCode',
		type: 'string',
		default: '',
		description: "The postal code as written in the customer's country, such as 50667",
		displayOptions: show,
	},
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: show,
		options: [
			extraFields('leadFields', 'Extra Lead Fields', 'Add Lead Field', 'phone',
				'Lead fields this node has no box for, sent inside "lead" as they are named here'),
			extraFields('sessionFields', 'Extra Session Fields', 'Add Session Field', 'external_reference',
				'Top-level session fields this node has no box for, sent as they are named here'),
		],
	},
];

/** Reads and checks one item's fields, so nothing is sent for an item that CatalystPay would refuse. */
export function buildCreateBody(this: IExecuteFunctions, itemIndex: number, parameters: ItemParameters): IDataObject {
	const campaignId = textParameter(parameters, 'campaignId', itemIndex);
	const email = textParameter(parameters, 'email', itemIndex);
	const country = textParameter(parameters, 'country', itemIndex).toUpperCase();

	const required: Array<[string, string]> = [
		['First Name', textParameter(parameters, 'firstName', itemIndex)],
		['Last Name', textParameter(parameters, 'lastName', itemIndex)],
	];
	for (const [label, value] of required) {
		if (value === '') throw fieldError(this, label, 'is empty', itemIndex);
	}
	const campaignProblem = campaignIdProblem(campaignId);
	if (campaignProblem) throw fieldError(this, 'Campaign ID', campaignProblem, itemIndex);
	const mailProblem = emailProblem(email);
	if (mailProblem) throw fieldError(this, 'Email', mailProblem, itemIndex);
	const countryCodeProblem = countryProblem(country);
	if (countryCodeProblem) throw fieldError(this, 'Country', countryCodeProblem, itemIndex);

	const additional = parameters('additionalFields', itemIndex, {}) as IDataObject;
	const lead: IDataObject = {
		first_name: required[0][1],
		last_name: required[1][1],
		email,
		country,
	};
	const optional: Array<[string, string]> = [
		['address', 'address'],
		['city', 'city'],
		['postal_code', 'postalCode'],
	];
	for (const [apiName, parameter] of optional) {
		const value = textParameter(parameters, parameter, itemIndex);
		if (value !== '') lead[apiName] = value;
	}
	Object.assign(lead, nameValuePairs(this, additional.leadFields, 'Extra Lead Fields', itemIndex));

	return {
		...nameValuePairs(this, additional.sessionFields, 'Extra Session Fields', itemIndex),
		campaign_id: campaignId,
		lead,
	};
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	settings: RequestSettings,
	parameters: ItemParameters,
): Promise<IDataObject> {
	const body = buildCreateBody.call(this, itemIndex, parameters);
	return await catalystPayRequest.call(this, {
		method: 'POST',
		path: '/api/v1/payment-sessions/',
		body,
		...sentWith(settings, itemIndex),
		// A repeated create could charge a customer twice: only provably unsent requests are retried.
		idempotent: false,
	});
}
