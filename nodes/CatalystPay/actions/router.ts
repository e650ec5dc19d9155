import type { IDataObject, IExecuteFunctions, INode, INodeExecutionData, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import * as paymentSession from './paymentSession';

type Operation = (this: IExecuteFunctions, itemIndex: number) => Promise<IDataObject>;

const operations: Record<string, Record<string, Operation>> = {
	paymentSession: {
		create: paymentSession.create.execute,
		get: paymentSession.get.execute,
	},
};

/** Our errors are already n8n's; anything else (a bug) still reaches the user as a node error. */
function asNodeError(node: INode, error: unknown, itemIndex: number): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError) return new NodeApiError(node, error as unknown as JsonObject);
	return new NodeOperationError(node, error as Error, { itemIndex });
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
	const results: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const json = await run.call(this, itemIndex);
			results.push({ json, pairedItem: { item: itemIndex } });
		} catch (error) {
			if (!this.continueOnFail()) throw asNodeError(this.getNode(), error, itemIndex);
			const { message, description } = error as { message: string; description?: string | null };
			results.push({
				json: { error: message, ...(description ? { description } : {}) },
				pairedItem: { item: itemIndex },
			});
		}
	}
	return [results];
}
