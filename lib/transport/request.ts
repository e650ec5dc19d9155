/**
 * What a request to CatalystPay is and who sends it: the types api.ts sends and apiError.ts explains,
 * apart from both so that neither imports the other.
 */
import type { IDataObject, IExecuteFunctions, IHookFunctions, IHttpRequestMethods, IWebhookFunctions } from 'n8n-workflow';

import type { CatalystPayCredentials } from './credentials';

export type CatalystPayContext = IExecuteFunctions | IWebhookFunctions | IHookFunctions;

export interface ApiRequest {
	method: IHttpRequestMethods;
	/** Starts with `/api/v1/`. */
	path: string;
	body?: IDataObject;
	itemIndex?: number;
	/** Milliseconds before the request is abandoned. */
	timeout?: number;
	/** What a 404 means for this request, in the user's words. */
	notFound?: string;
	/** Retries after the first attempt; which failures qualify depends on `idempotent`. */
	retries?: number;
	/** True when repeating the request cannot do anything twice (reads). */
	idempotent?: boolean;
	/** Stops waiting between retries, e.g. when the execution is cancelled. */
	signal?: AbortSignal;
	/**
	 * The credential when the caller has read it already: a batch reads it once, the trigger keeps it
	 * a few seconds. Each read in n8n is a lookup, a decryption and, in n8n 2.x, an expression isolate.
	 */
	credentials?: CatalystPayCredentials;
}
