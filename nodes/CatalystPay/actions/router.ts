import type { IDataObject, IExecuteFunctions, INode, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { isRunningAsTool } from '../../../lib/transport/apiError';
import { mapWithConcurrency } from '../../../lib/concurrency';
import type { ItemParameters, RequestSettings } from './common';
import { itemParameters, requestSettings } from './common';
import * as paymentSession from './paymentSession';

type Operation = (
	this: IExecuteFunctions,
	itemIndex: number,
	settings: RequestSettings,
	parameters: ItemParameters,
) => Promise<IDataObject>;

const operations: Record<string, Record<string, Operation>> = {
	paymentSession: {
		create: paymentSession.create.execute,
		get: paymentSession.get.execute,
	},
};

/**
 * Our errors are already n8n's: rethrown as they are, with the item they belong to (as n8n's own
 * routers do). Anything else (a bug) still reaches the user as a node error.
 */
function asNodeError(node: INode, error: unknown, itemIndex: number): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) {
		error.context.itemIndex = itemIndex;
		return error;
	}
	return new NodeOperationError(node, error as Error, { itemIndex });
}

/**
 * A stop on error throws away the run's results, also of the items that succeeded (before the failed
 * one, and after it: items run side by side). For Create those are sessions that exist at CatalystPay,
 * so the error names every one of them, with its session token: running the node again would create
 * them again.
 */
function withCompletedItems(error: NodeApiError | NodeOperationError, completed: Array<[number, IDataObject]>, operation: string) {
	if (completed.length === 0) return error;
	const list = completed
		.map(([index, json]) => (typeof json.session_token === 'string' ? `item ${index} (${json.session_token})` : `item ${index}`))
		.join(', ');
	const note =
		operation === 'create'
			? `These items had already succeeded, so their payment sessions exist at CatalystPay: ${list}. Running this node again creates them again; to go on, run it only for the items not listed, or turn on Continue On Fail (Settings → On Error) to get every item's outcome.`
			: `These items had already succeeded: ${list}. Turn on Continue On Fail (Settings → On Error) to get every item's outcome.`;
	error.description = error.description ? `${error.description} ${note}` : note;
	return error;
}

/** Runs the chosen operation once per input item; each result is paired with the item it came from. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const run = operations[resource]?.[operation];
	if (run === undefined) {
		throw new NodeOperationError(this.getNode(), `The operation "${operation}" of "${resource}" is not known`);
	}

	const items = this.getInputData();
	const settings = await requestSettings(this);
	const parameters = itemParameters(this);
	const continueOnFail = this.continueOnFail();
	const outcomes = await mapWithConcurrency(
		items.length,
		settings.concurrency,
		async (itemIndex) => await run.call(this, itemIndex, settings, parameters),
		!continueOnFail,
	);

	if (!continueOnFail) {
		const failedAt = outcomes.findIndex((outcome) => outcome?.ok === false);
		if (failedAt >= 0) {
			const failure = outcomes[failedAt] as { ok: false; error: unknown };
			const completed = outcomes.flatMap((outcome, index): Array<[number, IDataObject]> =>
				outcome?.ok === true ? [[index, outcome.value]] : [],
			);
			const error = asNodeError(this.getNode(), failure.error, failedAt);
			// As a tool the node gets one call's arguments: there are no other items to report.
			throw isRunningAsTool(this) ? error : withCompletedItems(error, completed, operation);
		}
	}

	const results: INodeExecutionData[] = outcomes.map((outcome, itemIndex) => {
		if (outcome?.ok) return { json: outcome.value, pairedItem: { item: itemIndex } };
		const { message, description } = (outcome?.error ?? {}) as { message?: string; description?: string | null };
		return {
			json: { error: message ?? 'Unknown error', ...(description ? { description } : {}) },
			pairedItem: { item: itemIndex },
		};
	});
	return [results];
}
