/**
 * The trigger's part of the execution itself: the items webhook() emitted pass through unchanged
 * (deliveries on the first output, refused ones on the Refused output), and each delivery is
 * recorded in the workflow's static data once more.
 *
 * Why again: n8n (2.x) loses static data written in webhook(). It rebuilds the workflow over the
 * same static data before running it, which resets n8n's "changed" mark, so nothing is saved; and a
 * queue-mode worker runs the execution with its own copy loaded from the database. What a node
 * changes while the execution runs is saved by n8n after it (by the worker in queue mode), so this is
 * where the memory of a delivery becomes durable and visible to every other n8n process.
 * n8n runs a trigger's execute() when it has one, as the first step of the execution; the end-to-end
 * tests fail if a version of n8n stops doing so (a repeat after a restart would run again).
 */
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { commit } from './deliveryMemory';
import { deliveryScope, repeatWindowMs } from './webhook';

export async function recordDeliveries(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData(0) ?? [];
	const outputs = [items];
	// With the Refused output on, webhook() put refused deliveries on input 1: they pass to output 1.
	if (this.getNodeParameter('refusedOutput', 0, false) as boolean) outputs.push(refusedInput(this));
	const windowMs = items.length > 0 ? repeatWindowMs(this.getNodeParameter('options', 0, {})) : 0;
	if (windowMs > 0) {
		const staticData = this.getWorkflowStaticData('node');
		const scope = deliveryScope(this);
		for (const item of items) {
			const deliveryId = item.json.deliveryId;
			if (typeof deliveryId === 'string' && deliveryId !== '') commit(scope, deliveryId, staticData, windowMs);
		}
	}
	return outputs;
}

function refusedInput(context: IExecuteFunctions): INodeExecutionData[] {
	try {
		return context.getInputData(1) ?? [];
	} catch {
		// n8n had no second list: nothing was refused in this execution.
		return [];
	}
}
