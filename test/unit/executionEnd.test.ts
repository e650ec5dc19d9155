/**
 * When the trigger (version 2) counts an execution as succeeded: exactly when n8n's own
 * answer-at-the-end logic answers 2xx (no error on the run, none on the node that ran last).
 */
import type { IRun, ITaskData } from 'n8n-workflow';

import { outcomeOf } from '../../nodes/CatalystPayTrigger/executionEnd';

const task = (error?: string): ITaskData => ({ startTime: 0, executionTime: 1, executionIndex: 0, source: [], ...(error ? { error: { message: error } as never } : {}) });

function run(status: IRun['status'], { error, lastNode = 'Ship', tasks = { Ship: [task()] } }: { error?: string; lastNode?: string; tasks?: Record<string, ITaskData[]> } = {}): IRun {
	return {
		mode: 'webhook',
		startedAt: new Date(),
		status,
		data: { resultData: { runData: tasks, lastNodeExecuted: lastNode, ...(error ? { error: { message: error } as never } : {}) } },
	} as IRun;
}

test.each([
	['a run that succeeded', run('success'), 'succeeded'],
	['a run that failed', run('error', { error: 'Ship: 500' }), 'failed'],
	['a run cancelled', run('canceled'), 'failed'],
	['a run n8n marked crashed', run('crashed'), 'failed'],
	['success, but an error on the run', run('success', { error: 'late' }), 'failed'],
	['success, but the last node has an error', run('success', { tasks: { Ship: [task(), task('boom')] } }), 'failed'],
	// "On Error: Continue" keeps the run's status and the last node's task free of an error.
	['a node failed earlier and the workflow went on', run('success', { lastNode: 'Done', tasks: { Ship: [task()], Done: [task()] } }), 'succeeded'],
] as const)('%s: %s', (_, given, expected) => {
	expect(outcomeOf(given)).toBe(expected);
});
