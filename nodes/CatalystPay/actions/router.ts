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
 * Items run side by side, so a stop on error can leave later items already done. Their results
 * would vanish with the failed run, so the error says which they were (with their session tokens).
 */
function withCompletedItems(error: NodeApiError | NodeOperationError, completed: Array<[number, IDataObject]>) {
	if (completed.length === 0) return error;
	const list = completed
		.map(([index, json]) => (typeof json.session_token === 'string' ? `item ${index} (${json.session_token})` : `item ${index}`))
		.join(', ');
	const note = `Other items had already been sent and succeeded before the node stopped: ${list}. Turn on Continue On Fail to get every item's outcome.`;
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
				outcome?.ok === true && index > failedAt ? [[index, outcome.value]] : [],
			);
			const error = asNodeError(this.getNode(), failure.error, failedAt);
			// As a tool the node gets one call's arguments: there are no other items to report.
			throw isRunningAsTool(this) ? error : withCompletedItems(error, completed);
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
