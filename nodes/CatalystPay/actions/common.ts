import type { IDataObject, IDisplayOptions, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { CREDENTIAL_TYPE, readCredentials } from '../../../lib/credentials';

export function showFor(resource: string, operation: string): IDisplayOptions {
	return { show: { resource: [resource], operation: [operation] } };
}

/** A string parameter, trimmed: values pasted from spreadsheets often carry stray spaces. */
export function textParameter(this: IExecuteFunctions, name: string, itemIndex: number): string {
	const value = this.getNodeParameter(name, itemIndex, '') as unknown;
	if (value === null || value === undefined) return '';
	return (typeof value === 'string' ? value : String(value)).trim();
}

/** An input error that names the field and the item, raised before anything is sent. */
export function fieldError(context: IExecuteFunctions, field: string, problem: string, itemIndex: number) {
	return new NodeOperationError(context.getNode(), `${field} ${problem} (item ${itemIndex})`, {
		itemIndex,
		description: `Fix "${field}" for item ${itemIndex} and run the node again.`,
	});
}

/** Turns a name/value fixedCollection into an object; a value without a name is an error, not a drop. */
export function nameValuePairs(
	context: IExecuteFunctions,
	collection: unknown,
	label: string,
	itemIndex: number,
): IDataObject {
	const entries = ((collection as IDataObject | undefined)?.field ?? []) as Array<{ name?: string; value?: unknown }>;
	const result: IDataObject = {};
	for (const { name, value } of entries) {
		const key = (name ?? '').trim();
		if (key === '') throw fieldError(context, label, 'has a value without a name', itemIndex);
		result[key] = value as IDataObject[string];
	}
	return result;
}

/** How requests are sent, from the node's Options (read once: they do not vary per item). */
export interface RequestSettings {
	/** Read once per run: in n8n each credential read is a database lookup and a decryption. */
	baseUrl: string;
	concurrency: number;
	retries: number;
	timeout: number;
	signal?: AbortSignal;
}

export async function requestSettings(context: IExecuteFunctions): Promise<RequestSettings> {
	const options = context.getNodeParameter('options', 0, {}) as Partial<RequestSettings>;
	const credentials = readCredentials(await context.getCredentials(CREDENTIAL_TYPE));
	return {
		baseUrl: credentials.baseUrl,
		concurrency: Math.max(1, Math.floor(options.concurrency ?? 5)),
		retries: Math.max(0, Math.floor(options.retries ?? 3)),
		timeout: Math.max(1, options.timeout ?? 30000),
		signal: context.getExecutionCancelSignal(),
	};
}
