import { Credentials } from 'n8n-core';
import {
	ICredentialsHelper,
	NodeHelpers,
	UnexpectedError,
	Workflow,
	isExpression,
} from 'n8n-workflow';
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	ICredentials,
	ICredentialsExpressionResolveValues,
	IDataObject,
	IExecuteData,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INode,
	INodeCredentialsDetails,
	INodeParameters,
	INodeProperties,
	IRequestOptionsSimplified,
	IWorkflowDataProxyAdditionalKeys,
	IWorkflowExecuteAdditionalData,
	WorkflowExecuteMode,
} from 'n8n-workflow';

/** Credential type registry for one harness run: what n8n's `CredentialTypes` service does from loaded packages. */
export class TestCredentialTypes {
	private readonly types = new Map<string, ICredentialType>();

	constructor(credentialTypes: ICredentialType[] = []) {
		for (const type of credentialTypes) this.types.set(type.name, type);
	}

	has(name: string): boolean {
		return this.types.has(name);
	}

	getByName(name: string): ICredentialType {
		const type = this.types.get(name);
		if (!type) {
			throw new UnexpectedError(
				`Unknown credential type "${name}": pass its class instance in \`credentialTypes\``,
			);
		}
		return type;
	}

	getParentTypes(name: string): string[] {
		const type = this.types.get(name);
		if (!type?.extends) return [];
		const parents = [...type.extends];
		for (const parent of type.extends) parents.push(...this.getParentTypes(parent));
		return parents;
	}
}

export interface TestCredentialsHelperOptions {
	credentialTypes: TestCredentialTypes;
	/** Decrypted data per credential type name, as if stored (and decrypted) by n8n. */
	credentials: Record<string, ICredentialDataDecryptedObject>;
	/**
	 * Any workflow whose expression engine can evaluate a stand-alone value. Used only to
	 * resolve `={{...}}` values stored inside credential data when the caller gives no
	 * run context (webhooks), as n8n's server does with a throw-away workflow.
	 */
	expressionWorkflow: () => Workflow;
}

/**
 * In-memory stand-in for n8n's server-side `CredentialsHelper` (packages/cli). It has no
 * database, but everything a node can observe is real: defaults from the credential
 * type, expression resolution, `preAuthentication`, and the credential type's
 * `authenticate` (function or declarative `generic` block). n8n-core never applies a
 * generic `authenticate` block itself - the server's helper does - so without this
 * `httpRequestWithAuthentication` would send unauthenticated requests.
 */
export class TestCredentialsHelper extends ICredentialsHelper {
	private readonly credentialTypes: TestCredentialTypes;

	private readonly store: Record<string, ICredentialDataDecryptedObject>;

	private readonly expressionWorkflow: () => Workflow;

	constructor(options: TestCredentialsHelperOptions) {
		super();
		this.credentialTypes = options.credentialTypes;
		this.store = { ...options.credentials };
		this.expressionWorkflow = options.expressionWorkflow;
	}

	/** The stored data of one credential type, including what `preAuthentication` persisted. */
	getStored(type: string): ICredentialDataDecryptedObject | undefined {
		return this.store[type];
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		incomingRequestOptions: IHttpRequestOptions | IRequestOptionsSimplified,
		workflow?: Workflow,
		node?: INode,
	): Promise<IHttpRequestOptions> {
		const requestOptions = incomingRequestOptions as IHttpRequestOptions;
		const { authenticate } = this.credentialTypes.getByName(typeName);
		if (authenticate === undefined) return requestOptions;

		if (typeof authenticate === 'function') {
			return await authenticate(credentials, requestOptions);
		}

		if (authenticate.type !== 'generic') return requestOptions;
		if (!workflow || !node) {
			throw new UnexpectedError(
				'Workflow and node are required for declarative credential authentication',
			);
		}

		requestOptions.headers ??= {};
		const additionalKeys: IWorkflowDataProxyAdditionalKeys = { $credentials: credentials };
		// Same walk as n8n's server: every `properties.<target>.<key>` becomes
		// `requestOptions.<target>[resolved key] = resolved value`, e.g. headers, qs, body, auth.
		for (const [target, entries] of Object.entries(authenticate.properties)) {
			const slot = requestOptions as unknown as Record<string, Record<string, unknown> | undefined>;
			for (const [key, value] of Object.entries(entries as Record<string, unknown>)) {
				const resolvedKey = this.resolveValue(key, additionalKeys, workflow, node);
				const resolvedValue = this.resolveValue(value as string, additionalKeys, workflow, node);
				slot[target] ??= {};
				slot[target]![resolvedKey] = resolvedValue;
			}
		}
		return requestOptions;
	}

	/** n8n's `resolveValue`: expressions go through the workflow's own engine with `$credentials` bound. */
	private resolveValue(
		value: string,
		additionalKeys: IWorkflowDataProxyAdditionalKeys,
		workflow: Workflow,
		node: INode,
	): string {
		if (!isExpression(value)) return value;
		const resolved = workflow.expression.getSimpleParameterValue(
			node,
			value,
			'internal',
			additionalKeys,
			undefined,
			'',
		);
		if (!resolved) return '';
		return resolved.toString();
	}

	async preAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		node: INode,
		credentialsExpired: boolean,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const credentialType = this.credentialTypes.getByName(typeName);
		const expirable = credentialType.properties.find(
			(property) => property.type === 'hidden' && property.typeOptions?.expirable === true,
		);
		if (expirable === undefined || typeof credentialType.preAuthentication !== 'function') {
			return undefined;
		}
		if (credentials[expirable.name] !== '' && !credentialsExpired) return undefined;

		const output = await credentialType.preAuthentication.call(helpers, credentials);
		if (output[expirable.name] === undefined) return undefined;

		const nodeCredentials = node.credentials?.[credentialType.name];
		if (nodeCredentials) {
			await this.updateCredentials(nodeCredentials, credentialType.name, {
				...(this.store[credentialType.name] ?? {}),
				...(output as ICredentialDataDecryptedObject),
			});
		}
		return Object.assign(credentials, output);
	}

	async runPreAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const credentialType = this.credentialTypes.getByName(typeName);
		if (typeof credentialType.preAuthentication !== 'function') return undefined;
		return (await credentialType.preAuthentication.call(
			helpers,
			credentials,
		)) as ICredentialDataDecryptedObject;
	}

	getParentTypes(name: string): string[] {
		return this.credentialTypes.getParentTypes(name);
	}

	isCredentialUsableByNode(credentialType: string, nodeType: string): boolean {
		if (!this.credentialTypes.has(credentialType)) return true;
		const type = this.credentialTypes.getByName(credentialType);
		if (!type.restrictToSupportedNodes) return true;
		const shortName = nodeType.slice(nodeType.lastIndexOf('.') + 1);
		return (type.supportedNodes ?? []).some((n) => n === nodeType || n === shortName);
	}

	async getCredentials(
		nodeCredentials: INodeCredentialsDetails,
		type: string,
	): Promise<ICredentials> {
		const credentials = new Credentials(nodeCredentials, type);
		await credentials.setData(this.store[type] ?? {});
		return credentials;
	}

	async getDecrypted(
		additionalData: IWorkflowExecuteAdditionalData,
		_nodeCredentials: INodeCredentialsDetails,
		type: string,
		mode: WorkflowExecuteMode,
		executeData?: IExecuteData,
		raw?: boolean,
		expressionResolveValues?: ICredentialsExpressionResolveValues,
	): Promise<ICredentialDataDecryptedObject> {
		const stored = this.store[type];
		if (stored === undefined) {
			throw new UnexpectedError(
				`No test credentials of type "${type}": pass them in \`credentials\``,
			);
		}
		// A fresh copy per call, as decrypting from the database gives; nodes may mutate it.
		const original = structuredClone(stored);
		if (raw === true) return original;

		let data = NodeHelpers.getNodeParameters(
			this.getCredentialsProperties(type),
			original as INodeParameters,
			true,
			false,
			null,
			null,
		) as ICredentialDataDecryptedObject;
		if (original.oauthTokenData !== undefined) data.oauthTokenData = original.oauthTokenData;

		if (!Object.values(data).some((value) => isExpression(value))) return data;

		const additionalKeys: IWorkflowDataProxyAdditionalKeys = {
			$vars: additionalData.variables,
		};
		if (expressionResolveValues) {
			data = expressionResolveValues.workflow.expression.getParameterValue(
				data as INodeParameters,
				expressionResolveValues.runExecutionData,
				expressionResolveValues.runIndex,
				expressionResolveValues.itemIndex,
				expressionResolveValues.node.name,
				expressionResolveValues.connectionInputData,
				mode,
				additionalKeys,
				executeData,
				false,
				data,
			) as ICredentialDataDecryptedObject;
		} else {
			const workflow = this.expressionWorkflow();
			const node = executeData?.node ?? Object.values(workflow.nodes)[0];
			data = workflow.expression.getComplexParameterValue(
				node,
				data as INodeParameters,
				mode,
				additionalKeys,
				undefined,
				undefined,
				data,
			) as ICredentialDataDecryptedObject;
		}
		return data;
	}

	async updateCredentials(
		_nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		this.store[type] = structuredClone(data);
	}

	async updateCredentialsOauthTokenData(
		_nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		this.store[type] = {
			...(this.store[type] ?? {}),
			oauthTokenData: data.oauthTokenData as IDataObject,
		};
	}

	getCredentialsProperties(type: string): INodeProperties[] {
		const credentialType = this.credentialTypes.getByName(type);
		if (credentialType.extends === undefined) return credentialType.properties;

		const combined: INodeProperties[] = [];
		for (const parent of credentialType.extends) {
			if (this.credentialTypes.has(parent)) {
				NodeHelpers.mergeNodeProperties(combined, this.getCredentialsProperties(parent));
			}
		}
		// The properties defined on the child take precedence, as in n8n.
		NodeHelpers.mergeNodeProperties(combined, credentialType.properties);
		return combined;
	}
}
