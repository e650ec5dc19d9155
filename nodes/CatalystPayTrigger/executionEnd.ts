/**
 * When an execution has ended, and whether it succeeded: what the trigger needs to call a delivery
 * "done" only once its workflow has succeeded (answer-at-end triggers, version 2).
 *
 * n8n hands the finished run to its `workflowExecuteAfter` lifecycle hooks, before the webhook's
 * answer goes out (single process and queue-mode worker alike). n8n 2.x's public
 * `onExecutionFinish` is built on the same hook but does not say how the run ended, and n8n 1.x has
 * no public way at all, so the trigger adds its handler to the hooks the execution context carries.
 * Where a context has none (a future n8n, a test harness), nothing is registered and the caller
 * falls back to at-least-once (it says so in n8n's log).
 */
import type { IExecuteFunctions, IRun } from 'n8n-workflow';

export type ExecutionOutcome = 'succeeded' | 'failed';

interface LifecycleHooks {
	addHandler(hook: 'workflowExecuteAfter', handler: (run: IRun) => Promise<void>): void;
}

function lifecycleHooks(context: IExecuteFunctions): LifecycleHooks | undefined {
	const hooks = (context as unknown as { additionalData?: { hooks?: Partial<LifecycleHooks> } }).additionalData?.hooks;
	return typeof hooks?.addHandler === 'function' ? (hooks as LifecycleHooks) : undefined;
}

/**
 * What n8n's own answer-at-end logic counts as a failure: an error on the run, or on the node that ran
 * last. A node that failed with "On Error: Continue" did not fail the run.
 */
export function outcomeOf(run: IRun): ExecutionOutcome {
	if (run.status !== 'success' || run.data.resultData.error !== undefined) return 'failed';
	const last = run.data.resultData.lastNodeExecuted;
	const lastRuns = last === undefined ? undefined : run.data.resultData.runData[last];
	return lastRuns?.[lastRuns.length - 1]?.error !== undefined ? 'failed' : 'succeeded';
}

/**
 * Calls `handler` once the execution has ended (not when it pauses in a Wait: it has not ended then).
 * Returns false when this n8n offers no way to know, so nothing will be called.
 */
export function whenExecutionEnds(context: IExecuteFunctions, handler: (outcome: ExecutionOutcome) => Promise<void>): boolean {
	const hooks = lifecycleHooks(context);
	if (!hooks) return false;
	let called = false;
	hooks.addHandler('workflowExecuteAfter', async (run: IRun) => {
		if (called || run.status === 'waiting') return;
		called = true;
		await handler(outcomeOf(run));
	});
	return true;
}
