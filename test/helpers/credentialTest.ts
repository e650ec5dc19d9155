import { ExecuteContext, ExecutionLifecycleHooks, RoutingNode } from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	INode,
	INodeCredentialTestResult,
	INodeExecutionData,
	INodeType,
	IRunExecutionData,
	IWorkflowBase,
} from 'n8n-workflow';
import { Workflow } from 'n8n-workflow';

import { createAdditionalData, HarnessNodeTypes, TestCredentialsHelper, TestCredentialTypes } from './n8nEngine';

/**
 * What n8n's "Test" button does with a credential's declarative `test` request: n8n's server runs it
 * through n8n-core's RoutingNode as a throwaway node and reads the result with the same rules.
 * (The rule handling mirrors packages/cli's CredentialsTester.)
 */
export async function testCredential(
	credentialType: ICredentialType,
	data: ICredentialDataDecryptedObject,
): Promise<INodeCredentialTestResult> {
	const test = credentialType.test;
	if (!test) throw new Error(`${credentialType.name} has no test request`);

	const nodeTypeName = 'credentialTest';
	const nodeType: INodeType = {
		description: {
			displayName: 'Credential Test',
			name: nodeTypeName,
			group: ['transform'],
			version: 1,
			description: '',
			defaults: {},
			inputs: ['main'],
			outputs: ['main'],
			credentials: [{ name: credentialType.name, required: true }],
			properties: [{ displayName: 'Temp', name: 'temp', type: 'hidden', default: '', routing: { request: test.request } }],
		},
	};
	const node: INode = {
		id: 'credential-test',
		name: 'Credential Test',
		type: nodeTypeName,
		typeVersion: 1,
		position: [0, 0],
		parameters: { temp: '' },
		credentials: { [credentialType.name]: { id: 'test', name: 'Test' } },
	};
	const nodeTypes = new HarnessNodeTypes([[nodeTypeName, nodeType]]);
	const workflow = new Workflow({ nodes: [node], connections: {}, active: false, nodeTypes });
	const credentialsHelper = new TestCredentialsHelper({
		credentialTypes: new TestCredentialTypes([credentialType]),
		credentials: { [credentialType.name]: data },
		expressionWorkflow: () => workflow,
	});
	const hooks = new ExecutionLifecycleHooks('internal', 'credential-test', { nodes: [node], connections: {} } as unknown as IWorkflowBase);
	const additionalData = createAdditionalData({ credentialsHelper, hooks, executionId: 'credential-test' });
	const runExecutionData = { resultData: { runData: {} } } as IRunExecutionData;
	const context = new ExecuteContext(workflow, node, additionalData, 'internal', runExecutionData, 0, [], { main: [[{ json: {} }]] }, { node, data: {}, source: null }, []);
	const routingNode = new RoutingNode(context, nodeType, { id: 'test', name: 'Test', type: credentialType.name, data: { ...data } });

	let response: INodeExecutionData[][] | null | undefined;
	try {
		response = await routingNode.runNode();
	} catch (error) {
		const cause = (error as { cause?: { response?: { status: number; statusText?: string }; code?: string } }).cause;
		if (cause?.response) {
			for (const rule of test.rules ?? []) {
				if (rule.type === 'responseCode' && cause.response.status === rule.properties.value) {
					return { status: 'Error', message: rule.properties.message };
				}
			}
			return { status: 'Error', message: cause.response.statusText || `Received HTTP status code: ${cause.response.status}` };
		}
		if (cause?.code) return { status: 'Error', message: cause.code };
		return { status: 'Error', message: (error as Error).message };
	}
	for (const rule of test.rules ?? []) {
		if (rule.type === 'responseSuccessBody') {
			const json = response?.[0]?.[0]?.json ?? {};
			const value = rule.properties.key.split('.').reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], json);
			if (value === rule.properties.value) return { status: 'Error', message: rule.properties.message };
		}
	}
	return { status: 'OK', message: 'Connection successful!' };
}
