/**
 * The trigger's part of the execution itself, its first step: the items webhook() emitted pass on
 * (deliveries on the first output, refused ones on the Refused output), and the delivery memory of
 * the trigger's version is kept.
 *
 * Version 1 records each delivery in the workflow's static data again here. Why again: n8n (2.x)
 * loses static data written in webhook(). It rebuilds the workflow over the same static data before
 * running it, which resets n8n's "changed" mark, so nothing is saved; and a queue-mode worker runs
 * the execution with its own copy loaded from the database. What a node changes while the execution
 * runs is saved by n8n after it (by the worker in queue mode), so this is where the memory of a
 * delivery becomes durable and visible to every other n8n process.
 *
 * Version 2 answers CatalystPay when the workflow has ended, so a delivery is done only once its
 * execution succeeded (completedDeliveries.ts): a delivery that already succeeded passes on nothing;
 * one that another execution of this process is running waits for it and then runs only if that one
 * did not succeed; the delivery is recorded as done when this execution has succeeded.
 */
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { admit, carryHints, finish } from './completedDeliveries';
import { commit } from './deliveryMemory';
import { whenExecutionEnds } from './executionEnd';
import { answersAtEnd, deliveryScope, repeatWindowMs } from './webhook';

export async function recordDeliveries(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData(0) ?? [];
	const refused = (this.getNodeParameter('refusedOutput', 0, false) as boolean) ? [refusedInput(this)] : [];
	if (answersAtEnd(this.getNode().typeVersion)) return [await deliveriesToRun(this, items), ...refused];

	// With the Refused output on, webhook() put refused deliveries on input 1: they pass to output 1.
	const windowMs = items.length > 0 ? repeatWindowMs(this.getNodeParameter('options', 0, {})) : 0;
	if (windowMs > 0) {
		const staticData = this.getWorkflowStaticData('node');
		const scope = deliveryScope(this);
		for (const item of items) {
			const deliveryId = item.json.deliveryId;
			if (typeof deliveryId === 'string' && deliveryId !== '') commit(scope, deliveryId, staticData, windowMs);
		}
	}
	return [items, ...refused];
}

let warnedNoEndHook = false;

async function deliveriesToRun(context: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	// A test run from the editor remembers nothing, so the same delivery at the Production URL still runs.
	if (context.getMode() === 'manual' || items.length === 0) return items;
	const scope = deliveryScope(context);
	carryHints(scope, context.getWorkflowStaticData('node'));
	const toRun: INodeExecutionData[] = [];
	for (const item of items) {
		const key = item.json.deliveryId;
		if (typeof key !== 'string' || key === '') {
			toRun.push(item);
			continue;
		}
		const payment = paymentKeys(item);
		const admission = await admit(context, scope, key, payment);
		if (admission === 'done') continue;
		if (admission === 'in-flight') {
			throw new NodeOperationError(context.getNode(), 'This delivery has been handled by another execution for more than 30 seconds', {
				description:
					'Nothing was run twice. CatalystPay gets an error answer and sends the delivery again later; by then the other execution has ended, and the delivery runs again only if that one failed.',
			});
		}
		const registered = whenExecutionEnds(context, async (outcome) => {
			try {
				await finish(context, scope, key, outcome === 'succeeded', payment);
			} catch (error) {
				// The order has run; only the memory of it is missing, so a repeat would run again.
				context.logger.error(`CatalystPay Trigger: could not record delivery ${key} as done: ${(error as Error).message}`, {
					workflowId: context.getWorkflow().id,
				});
			}
		});
		if (!registered) {
			await finish(context, scope, key, false);
			if (!warnedNoEndHook) {
				warnedNoEndHook = true;
				context.logger.warn(
					'CatalystPay Trigger: this n8n does not tell nodes when an execution has ended, so repeats of succeeded deliveries are not recognized (at-least-once). Keep a gate in your database.',
				);
			}
		}
		toRun.push(item);
	}
	return toRun;
}

/**
 * What the delivery does, beside its own bytes: this payment reached this status, as CatalystPay
 * signed or confirmed it. So a later delivery of the same completed payment with other content (a
 * resend with a new timestamp, a replay found elsewhere) is recognised too: one payment, one order.
 */
function paymentKeys(item: INodeExecutionData): string[] {
	const { status, payload } = item.json as { status?: unknown; payload?: { session_token?: unknown } };
	const token = payload?.session_token;
	return typeof status === 'string' && typeof token === 'string' && token !== '' ? [`payment:${token}:${status}`] : [];
}

function refusedInput(context: IExecuteFunctions): INodeExecutionData[] {
	try {
		return context.getInputData(1) ?? [];
	} catch {
		// n8n had no second list: nothing was refused in this execution.
		return [];
	}
}
