import type { IDataObject, IDisplayOptions, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { ApiRequest } from '../../../lib/transport/api';
import { isRunningAsTool } from '../../../lib/transport/apiError';
import { type CatalystPayCredentials, CREDENTIAL_TYPE, readCredentials } from '../../../lib/transport/credentials';

export function showFor(resource: string, operation: string): IDisplayOptions {
	return { show: { resource: [resource], operation: [operation] } };
}

/** True when a parameter's stored value has an expression anywhere in it. */
function hasExpression(value: unknown): boolean {
	if (typeof value === 'string') return value.startsWith('=');
	if (Array.isArray(value)) return value.some(hasExpression);
	if (value !== null && typeof value === 'object') return Object.values(value).some(hasExpression);
	return false;
}

/** A node parameter's value for one item. */
export type ItemParameters = (name: string, itemIndex: number, fallback?: unknown) => unknown;

/**
 * Reads node parameters item after item, for one run of the node. A parameter with no expression
 * anywhere in it has the same value for every item, so n8n is asked for it once and the answer is
 * kept (each ask costs n8n a lookup and a check against the node's description); a parameter with an
 * expression ($json, $fromAI, ...) is resolved for each item, as it must be. A parameter n8n fails
 * to resolve is not kept: each item asks again and gets its own error.
 */
export function itemParameters(context: IExecuteFunctions): ItemParameters {
	const stored = context.getNode().parameters;
	const kept = new Map<string, unknown>();
	return (name, itemIndex, fallback) => {
		if (kept.has(name)) return kept.get(name);
		const value = context.getNodeParameter(name, itemIndex, fallback) as unknown;
		if (!hasExpression(stored[name])) kept.set(name, value);
		return value;
	};
}

/** A string parameter, trimmed: values pasted from spreadsheets often carry stray spaces. */
export function textParameter(parameters: ItemParameters, name: string, itemIndex: number): string {
	const value = parameters(name, itemIndex, '');
	if (value === null || value === undefined) return '';
	return (typeof value === 'string' ? value : String(value)).trim();
}

/**
 * What an AI agent calling the node as a tool should do about a bad field: its arguments are what the
 * workflow's $fromAI() fields hold, so each hint says what a good value is and where it comes from.
 */
const AGENT_HINTS: Record<string, string> = {
	'Campaign ID':
		'A campaign ID is a UUID such as a1b2c3d4-e5f6-7890-abcd-ef1234567890 that the CatalystPay account owner gives; never make one up. If it is not one of your arguments, the workflow is misconfigured: tell the user.',
	'First Name': "Ask the customer for their first (given) name and pass it as it is.",
	'Last Name': "Ask the customer for their last (family) name and pass it as it is.",
	Email: 'Pass the customer\'s email address, such as name@example.com; ask the customer if you do not have a valid one. Do not invent one.',
	Country:
		"Pass the customer's country as its ISO 3166-1 alpha-2 code: two letters such as DE (Germany), AT (Austria), FR (France), GB (United Kingdom), US (United States), not the country's name.",
	'Session Token':
		'Pass the session_token exactly as Create returned it (ps_ followed by letters and digits), or the payment_url that ends with it. Do not make one up.',
};

/**
 * An input error raised before anything is sent. For a workflow author it names the field and the
 * item; for an AI agent (the node running as a tool: one call, no items to speak of) it says what
 * value to pass instead and that the call can simply be made again.
 */
export function fieldError(context: IExecuteFunctions, field: string, problem: string, itemIndex: number) {
	if (isRunningAsTool(context)) {
		const hint =
			AGENT_HINTS[field] ?? `"${field}" is set in the n8n workflow, not by your arguments: tell the user the tool is misconfigured.`;
		return new NodeOperationError(context.getNode(), `${field} ${problem}`, {
			itemIndex,
			description: `Nothing was sent to CatalystPay. ${hint} Then call this tool again.`,
		});
	}
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
	/** Read once per run: in n8n each credential read is a database lookup, a decryption and (2.x) an expression isolate. */
	credentials: CatalystPayCredentials;
	concurrency: number;
	retries: number;
	timeout: number;
	signal?: AbortSignal;
}

/** What every request for one item takes from the settings. */
export function sentWith(settings: RequestSettings, itemIndex: number): Pick<ApiRequest, 'itemIndex' | 'timeout' | 'retries' | 'signal' | 'credentials'> {
	const { timeout, retries, signal, credentials } = settings;
	return { itemIndex, timeout, retries, signal, credentials };
}

export async function requestSettings(context: IExecuteFunctions): Promise<RequestSettings> {
	const options = context.getNodeParameter('options', 0, {}) as Partial<RequestSettings>;
	return {
		credentials: readCredentials(await context.getCredentials(CREDENTIAL_TYPE)),
		concurrency: Math.max(1, Math.floor(options.concurrency ?? 5)),
		retries: Math.max(0, Math.floor(options.retries ?? 3)),
		timeout: Math.max(1, options.timeout ?? 30000),
		signal: context.getExecutionCancelSignal(),
	};
}
