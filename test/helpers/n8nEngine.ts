/**
 * Runs node types inside n8n's real execution engine (n8n-core), not against mocks:
 * `runNode` drives `WorkflowExecute` over a two-node workflow, and `startWebhookServer`
 * answers real HTTP requests through n8n-core's `WebhookContext`. Only what n8n's server
 * (packages/cli) would provide - credential storage, the HTTP front door - is re-built
 * here, following the server's behaviour.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQueryString } from 'node:querystring';
import { gunzipSync, inflateSync } from 'node:zlib';

import {
	CUSTOM_NODES_PACKAGE_NAME,
	ExecutionLifecycleHooks,
	ExternalSecretsProxy,
	WebhookContext,
	WorkflowExecute,
} from 'n8n-core';
import {
	NodeHelpers,
	UnexpectedError,
	Workflow,
	createRunExecutionData,
	isNodeClassInstance,
	jsonParse,
	resolveWebhookDescriptionField,
} from 'n8n-workflow';
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	INode,
	INodeCredentials,
	INodeExecutionData,
	INodeParameters,
	INodeType,
	INodeTypeDescription,
	INodeTypes,
	IRun,
	IRunData,
	ITaskData,
	IVersionedNodeType,
	IWebhookData,
	IWebhookDescription,
	IWebhookResponseData,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
	IWorkflowSettings,
	WebhookType,
	WorkflowExecuteMode,
} from 'n8n-workflow';

import { TestCredentialTypes, TestCredentialsHelper } from './credentialsHelper';

export { TestCredentialTypes, TestCredentialsHelper } from './credentialsHelper';

// ---------------------------------------------------------------------------------------
// Node type registry and the start node
// ---------------------------------------------------------------------------------------

export const START_NODE_NAME = 'Start';
export const START_NODE_TYPE = `${CUSTOM_NODES_PACKAGE_NAME}.harnessStart`;
const WORKFLOW_ID = 'harness-workflow';

/**
 * Emits the items it was given. Real trigger nodes hand their output to the engine via
 * the execution stack; putting the caller's items on the stack as this node's input and
 * letting it pass them through gives the node under test genuine upstream items (with
 * `source` and paired-item lineage) instead of hand-built input.
 */
class HarnessStartNode implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Harness Start',
		name: 'harnessStart',
		group: ['trigger'],
		version: 1,
		description: 'Emits the test input items',
		defaults: { name: START_NODE_NAME },
		inputs: [],
		outputs: ['main'],
		properties: [],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [this.getInputData()];
	}
}

type AnyNodeType = INodeType | IVersionedNodeType;

/**
 * The same node type, except that whatever `execute()` throws is also handed to
 * `record`. Needed because n8n-core stores a node's error in the run data as a plain
 * spread copy (`{ ...error, message, stack }`), so `instanceof NodeApiError` only works
 * on the object the node actually threw. The prototype chain is kept, so n8n-core still
 * sees the original description, methods and class (`isNodeClassInstance`).
 */
function recordingThrows(nodeType: INodeType, record: (error: unknown) => void): INodeType {
	const { execute } = nodeType;
	if (!execute) return nodeType;
	const wrapped = Object.create(nodeType) as INodeType;
	const recordingExecute = async function (this: unknown, ...args: unknown[]): Promise<unknown> {
		try {
			return await (execute as (...a: unknown[]) => Promise<unknown>).apply(this, args);
		} catch (error) {
			record(error);
			throw error;
		}
	};
	wrapped.execute = recordingExecute as INodeType['execute'];
	return wrapped;
}

/** What n8n's `NodeTypes` service does for installed packages, for an explicit list of instances. */
export class HarnessNodeTypes implements INodeTypes {
	private readonly types = new Map<string, AnyNodeType>();

	private readonly resolved = new Map<string, INodeType>();

	/** @param recordThrow receives every error a node's `execute()` throws */
	constructor(
		entries: Array<[string, AnyNodeType]>,
		private readonly recordThrow?: (error: unknown) => void,
	) {
		for (const [name, type] of entries) this.types.set(name, type);
	}

	getByName(nodeType: string): AnyNodeType {
		const type = this.types.get(nodeType);
		if (!type) throw new UnexpectedError(`Unknown node type "${nodeType}"`);
		return type;
	}

	getByNameAndVersion(nodeType: string, version?: number): INodeType {
		const key = `${nodeType}@${version ?? 'default'}`;
		let type = this.resolved.get(key);
		if (!type) {
			type = NodeHelpers.getVersionedNodeType(this.getByName(nodeType), version);
			if (this.recordThrow) type = recordingThrows(type, this.recordThrow);
			this.resolved.set(key, type);
		}
		return type;
	}

	getKnownTypes(): IDataObject {
		return {};
	}
}

function defaultTypeVersion(nodeType: AnyNodeType): number {
	if ('nodeVersions' in nodeType) return nodeType.currentVersion;
	const { version } = nodeType.description;
	return Array.isArray(version) ? Math.max(...version) : version;
}

/** n8n node type names are `<package>.<name>`; `CUSTOM` is what n8n uses for loose custom nodes. */
function defaultTypeName(nodeType: AnyNodeType): string {
	return `${CUSTOM_NODES_PACKAGE_NAME}.${nodeType.description.name}`;
}

function nodeCredentialsFor(
	credentials: Record<string, ICredentialDataDecryptedObject> | undefined,
): INodeCredentials | undefined {
	if (!credentials || Object.keys(credentials).length === 0) return undefined;
	const result: INodeCredentials = {};
	for (const type of Object.keys(credentials)) {
		result[type] = { id: `credential-${type}`, name: `${type} (test)` };
	}
	return result;
}

// ---------------------------------------------------------------------------------------
// Additional data
// ---------------------------------------------------------------------------------------

export const DEFAULT_INSTANCE_BASE_URL = 'http://localhost:5678';

export interface AdditionalDataOptions {
	credentialsHelper: TestCredentialsHelper;
	hooks: ExecutionLifecycleHooks;
	executionId: string;
	/** Origin every n8n URL is derived from; the webhook server passes its own address. */
	instanceBaseUrl?: string;
	variables?: IDataObject;
}

function notAvailable(what: string): never {
	throw new UnexpectedError(`${what} is not available in the n8n engine test harness`);
}

/**
 * The additional data n8n's `WorkflowExecuteAdditionalData.getBase()` builds, minus the
 * database-backed services: sub-workflows, task runners and AI agents refuse loudly
 * rather than pretending to work.
 */
export function createAdditionalData(options: AdditionalDataOptions): IWorkflowExecuteAdditionalData {
	const base = (options.instanceBaseUrl ?? DEFAULT_INSTANCE_BASE_URL).replace(/\/+$/, '');
	return {
		credentialsHelper: options.credentialsHelper,
		hooks: options.hooks,
		executionId: options.executionId,
		workflowId: WORKFLOW_ID,
		currentNodeExecutionIndex: 0,
		instanceBaseUrl: `${base}/`,
		restApiUrl: `${base}/rest`,
		webhookBaseUrl: `${base}/webhook`,
		webhookWaitingBaseUrl: `${base}/webhook-waiting`,
		webhookTestBaseUrl: `${base}/webhook-test`,
		formBaseUrl: `${base}/form`,
		formWaitingBaseUrl: `${base}/form-waiting`,
		formTestBaseUrl: `${base}/form-test`,
		mcpBaseUrl: `${base}/mcp`,
		mcpTestBaseUrl: `${base}/mcp-test`,
		variables: options.variables ?? {},
		externalSecretsProxy: new ExternalSecretsProxy(),
		executeWorkflow: async () => notAvailable('Executing sub-workflows'),
		startRunnerTask: async () => notAvailable('The task runner (Code node)'),
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		logAiEvent: () => {},
	};
}

let executionCounter = 0;
function nextExecutionId(): string {
	executionCounter += 1;
	return String(executionCounter);
}

function workflowBase(workflow: Workflow): IWorkflowBase {
	const now = new Date();
	return {
		id: workflow.id,
		name: workflow.name ?? 'Harness workflow',
		active: workflow.active,
		isArchived: false,
		createdAt: now,
		updatedAt: now,
		nodes: Object.values(workflow.nodes),
		connections: workflow.connectionsBySourceNode,
		settings: workflow.settings,
		staticData: workflow.staticData,
		activeVersionId: null,
	};
}

// ---------------------------------------------------------------------------------------
// runNode
// ---------------------------------------------------------------------------------------

export interface NodeUnderTestOptions {
	/** An instance of the node class (a versioned node type works too). */
	nodeType: AnyNodeType;
	/** Defaults to `CUSTOM.<description.name>`. */
	typeName?: string;
	/** Defaults to the newest version the node type declares. */
	typeVersion?: number;
	parameters: INodeParameters;
	/** Decrypted credential data per credential type name; each is attached to the node. */
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	/** Instances of every credential type named in `credentials` (and their parents). */
	credentialTypes?: ICredentialType[];
	/** Defaults to "Node Under Test". */
	nodeName?: string;
	/** The node's id; a new one each time by default (n8n keeps a node's id for the life of the workflow). */
	nodeId?: string;
	/** Workflow static data to start from. */
	staticData?: IDataObject;
	settings?: IWorkflowSettings;
}

export interface RunNodeOptions extends NodeUnderTestOptions {
	/** Items the start node emits; defaults to one empty item. */
	inputItems?: INodeExecutionData[];
	/** Sets `onError: 'continueRegularOutput'`, which is what "Continue On Fail" stores. */
	continueOnFail?: boolean;
	/** Defaults to `manual` (an editor run). */
	mode?: WorkflowExecuteMode;
	/**
	 * Starts the execution at the node under test with `inputItems` as its data, as n8n starts the
	 * execution of a webhook-triggered workflow at the trigger with what webhook() returned.
	 */
	asStartNode?: boolean;
}

export interface RunNodeResult {
	/** The node-under-test's main outputs from its first (only) run. */
	output: INodeExecutionData[][] | undefined;
	/**
	 * The error n8n recorded for the node, as the NodeApiError / NodeOperationError
	 * instance the node threw (so `instanceof` works). If the workflow failed before the
	 * node ran (e.g. parameter issues), the workflow's error. Set also with
	 * `continueOnFail` when the node threw instead of returning error items: n8n then
	 * passes the input items through and still records the error.
	 */
	error?: Error;
	/** The error exactly as stored in the run data: a plain copy of the thrown error. */
	recordedError?: Error;
	/** `run.data.resultData.runData` - every node's task data. */
	runData: IRunData;
	/** What n8n hands its after-execution hook to save as the workflow's static data (undefined: nothing changed). */
	savedStaticData: IDataObject | undefined;
	taskData: ITaskData | undefined;
	run: IRun;
	workflow: Workflow;
	credentialsHelper: TestCredentialsHelper;
}

const DEFAULT_NODE_NAME = 'Node Under Test';

interface BuiltWorkflow {
	workflow: Workflow;
	node: INode;
	nodeType: AnyNodeType;
	credentialsHelper: TestCredentialsHelper;
	/** Errors the node under test's `execute()` threw, in order. */
	thrown: unknown[];
}

function buildWorkflow(
	options: NodeUnderTestOptions & { onError?: INode['onError']; webhookId?: string },
): BuiltWorkflow {
	const typeName = options.typeName ?? defaultTypeName(options.nodeType);
	const typeVersion = options.typeVersion ?? defaultTypeVersion(options.nodeType);
	const nodeName = options.nodeName ?? DEFAULT_NODE_NAME;

	const thrown: unknown[] = [];
	const nodeTypes = new HarnessNodeTypes(
		[
			[START_NODE_TYPE, new HarnessStartNode()],
			[typeName, options.nodeType],
		],
		(error) => thrown.push(error),
	);

	const start: INode = {
		id: randomUUID(),
		name: START_NODE_NAME,
		type: START_NODE_TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
	};
	const node: INode = {
		id: options.nodeId ?? randomUUID(),
		name: nodeName,
		type: typeName,
		typeVersion,
		position: [250, 0],
		parameters: structuredClone(options.parameters),
		...(options.onError ? { onError: options.onError } : {}),
		...(options.webhookId ? { webhookId: options.webhookId } : {}),
	};
	const credentials = nodeCredentialsFor(options.credentials);
	if (credentials) node.credentials = credentials;

	const workflow = new Workflow({
		id: WORKFLOW_ID,
		name: 'Harness workflow',
		nodes: [start, node],
		connections: {
			[START_NODE_NAME]: { main: [[{ node: nodeName, type: 'main', index: 0 }]] },
		},
		active: false,
		nodeTypes,
		staticData: options.staticData ? structuredClone(options.staticData) : undefined,
		settings: { executionOrder: 'v1', ...(options.settings ?? {}) },
	});

	const credentialsHelper = new TestCredentialsHelper({
		credentialTypes: new TestCredentialTypes(options.credentialTypes),
		credentials: options.credentials ?? {},
		expressionWorkflow: () => workflow,
	});

	// The Workflow constructor applies parameter defaults to its own copy of the node.
	return {
		workflow,
		node: workflow.nodes[nodeName],
		nodeType: options.nodeType,
		credentialsHelper,
		thrown,
	};
}

/** Runs the node's `execute()` (or declarative routing) through `WorkflowExecute`, as n8n does. */
export async function runNode(options: RunNodeOptions): Promise<RunNodeResult> {
	const { workflow, node, credentialsHelper, thrown } = buildWorkflow({
		...options,
		onError: options.continueOnFail ? 'continueRegularOutput' : undefined,
	});
	const mode = options.mode ?? 'manual';
	const executionId = nextExecutionId();
	const hooks = new ExecutionLifecycleHooks(mode, executionId, workflowBase(workflow));
	let savedStaticData: IDataObject | undefined;
	hooks.addHandler('workflowExecuteAfter', (_run, newStaticData) => {
		savedStaticData = newStaticData;
	});
	const additionalData = createAdditionalData({ credentialsHelper, hooks, executionId });

	const runExecutionData = createRunExecutionData({
		executionData: {
			nodeExecutionStack: [
				{
					node: workflow.nodes[options.asStartNode ? node.name : START_NODE_NAME],
					data: { main: [options.inputItems ?? [{ json: {} }]] },
					source: null,
				},
			],
		},
	});

	const run = await new WorkflowExecute(additionalData, mode, runExecutionData).processRunExecutionData(
		workflow,
	);

	const runData = run.data.resultData.runData;
	const taskData = runData[node.name]?.[0];
	const recordedError: Error | undefined =
		taskData?.error ?? (taskData ? undefined : run.data.resultData.error);
	// Hand back the thrown instance only if it is the error n8n recorded for the node.
	const thrownInstance = [...thrown]
		.reverse()
		.find((e): e is Error => e instanceof Error && e.message === recordedError?.message);
	return {
		output: taskData?.data?.main as INodeExecutionData[][] | undefined,
		error: recordedError && (thrownInstance ?? recordedError),
		recordedError,
		runData,
		savedStaticData,
		taskData,
		run,
		workflow,
		credentialsHelper,
	};
}

// ---------------------------------------------------------------------------------------
// Webhooks over real HTTP
// ---------------------------------------------------------------------------------------

export interface WebhookServerOptions extends NodeUnderTestOptions {
	/** Which of the node's webhook descriptions to serve. */
	webhookName?: WebhookType;
	/** `webhook` = production URL (default); `manual` = test URL, as when listening in the editor. */
	mode?: Extract<WorkflowExecuteMode, 'webhook' | 'manual'>;
}

export interface WebhookCall {
	/** HTTP status the request was answered with. */
	status: number;
	method: string;
	path: string;
	headers: IncomingMessage['headers'];
	/** Exact bytes that arrived. */
	rawBody: Buffer;
	/** Set when `webhook()` returned items: n8n would start an execution with them. */
	workflowData?: INodeExecutionData[][];
	noWebhookResponse?: boolean;
	webhookResponse?: unknown;
	/** Thrown by `webhook()` (n8n answers 500), or the request was refused before it ran. */
	error?: Error;
}

export interface WebhookServer {
	/** The node's webhook URL (what `getNodeWebhookUrl` returns), served on 127.0.0.1. */
	url: string;
	calls: WebhookCall[];
	workflow: Workflow;
	node: INode;
	credentialsHelper: TestCredentialsHelper;
	/** `getWorkflowStaticData('node')` of the node, as persisted between requests. */
	nodeStaticData(): IDataObject;
	/** Resolves once every request received so far has been fully handled. */
	settled(): Promise<void>;
	close(): Promise<void>;
}

/** The request object n8n hands nodes: express adds these to Node's IncomingMessage. */
type HarnessRequest = IncomingMessage & {
	body: unknown;
	rawBody: Buffer;
	query: Record<string, string | string[] | undefined>;
	params: Record<string, string>;
	path: string;
	contentType?: string;
	encoding: BufferEncoding;
	get(name: string): string | string[] | undefined;
	header(name: string): string | string[] | undefined;
};

type HarnessResponse = ServerResponse & {
	status(code: number): HarnessResponse;
	json(body: unknown): HarnessResponse;
	send(body?: unknown): HarnessResponse;
	sendStatus(code: number): HarnessResponse;
	set(field: string | Record<string, string>, value?: string): HarnessResponse;
	header(field: string | Record<string, string>, value?: string): HarnessResponse;
	type(contentType: string): HarnessResponse;
};

type ExpressRequest = NonNullable<IWorkflowExecuteAdditionalData['httpRequest']>;
type ExpressResponse = NonNullable<IWorkflowExecuteAdditionalData['httpResponse']>;

class BodyParseError extends Error {}

/** n8n's raw-body reader: the bytes as sent, inflated first if the sender compressed them. */
async function readRawBody(req: IncomingMessage): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	const bytes = Buffer.concat(chunks);
	const encoding = req.headers['content-encoding'];
	if (encoding === 'gzip') return gunzipSync(bytes);
	if (encoding === 'deflate') return inflateSync(bytes);
	return bytes;
}

function toHarnessRequest(
	req: IncomingMessage,
	rawBody: Buffer,
	params: Record<string, string>,
): HarnessRequest {
	const url = new URL(req.url ?? '/', 'http://127.0.0.1');
	const [mediaType, ...contentTypeParams] = (req.headers['content-type'] ?? '').split(';');
	const contentType = mediaType.trim().toLowerCase() || undefined;
	const charset = contentTypeParams
		.map((p) => p.trim().split('='))
		.find(([key]) => key.toLowerCase() === 'charset')?.[1];
	const encoding: BufferEncoding =
		charset && Buffer.isEncoding(charset.toLowerCase()) ? (charset.toLowerCase() as BufferEncoding) : 'utf-8';

	// Mirrors n8n's body-parser middleware: JSON/form/text are parsed, everything else is `{}`.
	let body: unknown = {};
	if (rawBody.length > 0) {
		const text = rawBody.toString(encoding);
		try {
			if (contentType === 'application/json') body = jsonParse(text);
			else if (contentType === 'application/x-www-form-urlencoded') body = { ...parseQueryString(text) };
			else if (contentType === 'text/plain') body = text;
		} catch (error) {
			throw new BodyParseError((error as Error).message);
		}
	}

	const header = (name: string) => req.headers[name.toLowerCase()];
	return Object.assign(req, {
		body,
		rawBody,
		query: { ...parseQueryString(url.search.slice(1)) },
		params,
		path: url.pathname,
		contentType,
		encoding,
		get: header,
		header,
	});
}

/** The subset of express's response API nodes use, on the real socket-backed response. */
function toHarnessResponse(res: ServerResponse): HarnessResponse {
	const r = res as HarnessResponse;
	const setHeaders = (field: string | Record<string, string>, value?: string) => {
		if (typeof field === 'string') r.setHeader(field, value ?? '');
		else for (const [k, v] of Object.entries(field)) r.setHeader(k, v);
		return r;
	};
	r.status = (code) => {
		r.statusCode = code;
		return r;
	};
	r.set = setHeaders;
	r.header = setHeaders;
	r.type = (contentType) => {
		r.setHeader('content-type', contentType.includes('/') ? contentType : `application/${contentType}`);
		return r;
	};
	r.json = (body) => {
		if (!r.hasHeader('content-type')) r.setHeader('content-type', 'application/json; charset=utf-8');
		r.end(JSON.stringify(body));
		return r;
	};
	r.send = (body) => {
		if (body === undefined || body === null) r.end();
		else if (Buffer.isBuffer(body)) {
			if (!r.hasHeader('content-type')) r.setHeader('content-type', 'application/octet-stream');
			r.end(body);
		} else if (typeof body === 'object') r.json(body);
		else {
			if (!r.hasHeader('content-type')) r.setHeader('content-type', 'text/html; charset=utf-8');
			r.end(String(body));
		}
		return r;
	};
	r.sendStatus = (code) => {
		r.statusCode = code;
		r.end(String(code));
		return r;
	};
	return r;
}

/** Matches `/webhook/<id>/path/:param` style routes the way n8n's dynamic webhooks do. */
function matchPath(routePath: string, requestPath: string): Record<string, string> | undefined {
	const route = routePath.split('/').filter(Boolean);
	const actual = requestPath.split('/').filter(Boolean);
	if (route.length !== actual.length) return undefined;
	const params: Record<string, string> = {};
	for (let i = 0; i < route.length; i++) {
		if (route[i].startsWith(':')) params[route[i].slice(1)] = decodeURIComponent(actual[i]);
		else if (route[i] !== actual[i]) return undefined;
	}
	return params;
}

function resolveDescriptionField<T>(
	workflow: Workflow,
	node: INode,
	description: IWebhookDescription,
	field: string,
	mode: WorkflowExecuteMode,
	fallback?: T,
): T | undefined {
	const native = resolveWebhookDescriptionField(node, description, field);
	if (native.resolved) return (native.value as T | undefined) ?? fallback;
	const value = description[field];
	if (value === undefined) return fallback;
	return workflow.expression.getSimpleParameterValue(
		node,
		value as string | boolean,
		mode,
		{},
		undefined,
		fallback as string | number | boolean | undefined,
	) as T | undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
	if (res.headersSent) return;
	res.statusCode = status;
	if (body === undefined) {
		res.end();
		return;
	}
	if (typeof body === 'string' || Buffer.isBuffer(body)) {
		res.end(body);
		return;
	}
	res.setHeader('content-type', 'application/json; charset=utf-8');
	res.end(JSON.stringify(body));
}

/**
 * Serves one trigger node's webhook on 127.0.0.1 like n8n's webhook server: the request
 * body is read into `rawBody` and parsed into `body`, `webhook()` runs in a real
 * `WebhookContext`, and the answer follows n8n's rules (the node's own response when it
 * returns `noWebhookResponse`, otherwise the description's `responseCode` with
 * `webhookResponse`, "Webhook call received" or "Workflow was started").
 *
 * The workflow (and so its static data) lives as long as the server, as it does for an
 * active workflow. The downstream workflow is not run: a call's `workflowData` is what
 * n8n would start the execution with.
 */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
	const mode = options.mode ?? 'webhook';
	const webhookName = options.webhookName ?? 'default';
	const { workflow, node, credentialsHelper } = buildWorkflow({
		...options,
		// n8n gives every webhook node an id; it becomes the first segment of the URL.
		webhookId: randomUUID(),
	});
	const resolvedNodeType = workflow.nodeTypes.getByNameAndVersion(node.type, node.typeVersion);
	const description = resolvedNodeType.description.webhooks?.find((w) => w.name === webhookName);
	if (!description) {
		throw new UnexpectedError(`Node type "${node.type}" has no "${webhookName}" webhook`);
	}
	if (resolvedNodeType.webhook === undefined) {
		throw new UnexpectedError(`Node type "${node.type}" has no webhook() method`);
	}

	const rawPath = resolveDescriptionField<string>(workflow, node, description, 'path', 'internal');
	const isFullPath = resolveDescriptionField<boolean>(workflow, node, description, 'isFullPath', 'internal', false);
	const httpMethods = String(
		resolveDescriptionField<string>(workflow, node, description, 'httpMethod', 'internal', 'GET'),
	)
		.split(',')
		.map((m) => m.trim().toUpperCase());

	const calls: WebhookCall[] = [];
	const inFlight = new Set<Promise<void>>();
	let routePathname = '';
	let origin = '';

	const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
		const rawBody = await readRawBody(req);
		const requestPath = new URL(req.url ?? '/', origin).pathname;
		const method = (req.method ?? 'GET').toUpperCase();
		const call: WebhookCall = {
			status: 0,
			method,
			path: requestPath,
			headers: req.headers,
			rawBody,
		};

		const params = matchPath(routePathname, requestPath);
		if (params === undefined || !httpMethods.includes(method)) {
			call.error = new Error(`The requested webhook "${method} ${requestPath}" is not registered.`);
			sendJson(res, 404, { code: 404, message: call.error.message });
			call.status = 404;
			calls.push(call);
			return;
		}

		let request: HarnessRequest;
		try {
			request = toHarnessRequest(req, rawBody, params);
		} catch (error) {
			if (!(error instanceof BodyParseError)) throw error;
			// n8n refuses unparseable bodies with 422 before the node ever runs.
			call.error = error;
			sendJson(res, 422, { code: 422, message: 'Failed to parse request body', hint: error.message });
			call.status = 422;
			calls.push(call);
			return;
		}
		const response = toHarnessResponse(res);

		// A fresh additional data per request, as n8n builds per webhook call.
		const executionId = nextExecutionId();
		const additionalData = createAdditionalData({
			credentialsHelper,
			hooks: new ExecutionLifecycleHooks(mode, executionId, workflowBase(workflow)),
			executionId,
			instanceBaseUrl: origin,
		});
		additionalData.httpRequest = request as unknown as ExpressRequest;
		additionalData.httpResponse = response as unknown as ExpressResponse;

		const webhookData: IWebhookData = {
			httpMethod: method as IHttpRequestMethods,
			node: node.name,
			path: routePathname,
			webhookDescription: description,
			workflowId: workflow.id,
			workflowExecuteAdditionalData: additionalData,
			webhookId: node.webhookId,
			isTest: mode === 'manual',
		};

		let result: IWebhookResponseData;
		try {
			const context = new WebhookContext(workflow, node, additionalData, mode, webhookData, [], null);
			result = isNodeClassInstance(resolvedNodeType)
				? await resolvedNodeType.webhook!(context)
				: await resolvedNodeType.webhook!.call(context);
		} catch (error) {
			call.error = error as Error;
			// n8n hides the cause from the caller and answers 500.
			sendJson(res, 500, { code: 0, message: 'Workflow Webhook Error: Workflow could not be started!' });
			call.status = res.statusCode;
			calls.push(call);
			return;
		}

		call.workflowData = result.workflowData;
		call.noWebhookResponse = result.noWebhookResponse;
		call.webhookResponse = result.webhookResponse;

		if (result.noWebhookResponse !== true) {
			const responseCode = Number(
				resolveDescriptionField<number>(workflow, node, description, 'responseCode', mode, 200),
			);
			let body: unknown;
			if (result.workflowData === undefined) {
				body = result.webhookResponse !== undefined ? result.webhookResponse : { message: 'Webhook call received' };
			} else {
				// `onReceived` semantics: answer now. For `lastNode`/`responseNode` n8n would wait
				// for the execution, which this harness does not run.
				// n8n 2.x's default when a node declares none: the text "firstEntryJson" goes back as is.
				const responseData = resolveDescriptionField<string>(workflow, node, description, 'responseData', mode, 'firstEntryJson');
				if (responseData === 'noData') body = undefined;
				else if (responseData) body = responseData;
				else if (result.webhookResponse !== undefined) body = result.webhookResponse;
				else body = { message: 'Workflow was started' };
			}
			sendJson(res, responseCode, body);
		}
		call.status = res.statusCode;
		calls.push(call);
	};

	const server = createServer((req, res) => {
		const done = handle(req, res)
			.catch((error: unknown) => {
				calls.push({
					status: 500,
					method: req.method ?? '',
					path: req.url ?? '',
					headers: req.headers,
					rawBody: Buffer.alloc(0),
					error: error as Error,
				});
				sendJson(res, 500, { code: 500, message: (error as Error).message });
			})
			.finally(() => inFlight.delete(done));
		inFlight.add(done);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	origin = `http://127.0.0.1:${port}`;

	const baseUrl = mode === 'manual' ? `${origin}/webhook-test` : `${origin}/webhook`;
	const url = NodeHelpers.getNodeWebhookUrl(
		baseUrl,
		workflow.id,
		node,
		String(rawPath ?? ''),
		isFullPath === true,
	);
	routePathname = new URL(url).pathname;

	const settled = async () => {
		while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
	};

	return {
		url,
		calls,
		workflow,
		node,
		credentialsHelper,
		nodeStaticData: () => workflow.getStaticData('node', node),
		settled,
		close: async () => {
			await settled();
			// fetch keeps connections alive; without this close() waits for their idle timeout.
			server.closeAllConnections();
			await new Promise<void>((resolve, reject) =>
				server.close((error) => (error ? reject(error) : resolve())),
			);
		},
	};
}

export interface RunWebhookOptions extends WebhookServerOptions {
	method?: string;
	/** Sent byte for byte; objects are JSON-encoded. */
	body?: Buffer | string | object;
	headers?: Record<string, string>;
	/** Appended to the webhook URL. */
	query?: Record<string, string>;
}

export interface RunWebhookResult {
	status: number;
	responseHeaders: Headers;
	/** Response body, JSON-parsed when possible. */
	responseBody: unknown;
	call: WebhookCall;
	server: WebhookServer;
}

/** One-shot convenience: start a webhook server, send one real HTTP request, close it. */
export async function runWebhook(options: RunWebhookOptions): Promise<RunWebhookResult> {
	const server = await startWebhookServer(options);
	try {
		const url = new URL(server.url);
		for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
		const headers: Record<string, string> = { ...(options.headers ?? {}) };
		let body: Buffer | string | undefined;
		if (Buffer.isBuffer(options.body) || typeof options.body === 'string') body = options.body;
		else if (options.body !== undefined) {
			body = JSON.stringify(options.body);
			if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
				headers['content-type'] = 'application/json';
			}
		}
		const response = await fetch(url, { method: options.method ?? 'POST', headers, body });
		const text = await response.text();
		let responseBody: unknown = text;
		try {
			responseBody = JSON.parse(text);
		} catch {
			// not JSON: keep the text
		}
		await server.settled();
		return {
			status: response.status,
			responseHeaders: response.headers,
			responseBody,
			call: server.calls[server.calls.length - 1],
			server,
		};
	} finally {
		await server.close();
	}
}
