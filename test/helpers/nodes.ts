import type { INode } from 'n8n-workflow';

/** A node as a workflow holds it (version 1, no parameters), for tests that need one without running it. */
export function aNode(type: string, name: string, id: string): INode {
	return { id, name, type, typeVersion: 1, position: [0, 0], parameters: {} };
}
