/**
 * The one way both nodes talk to CatalystPay. It goes through n8n's own
 * `httpRequestWithAuthentication`, so the credential's `authenticate` block, n8n's proxy settings
 * and its request logging all apply; failures become errors a user can act on (apiError.ts), and
 * the ones that are safe to repeat are retried (retry.ts).
 */
import type { IAdditionalCredentialOptions, IDataObject, IN8nHttpFullResponse } from 'n8n-workflow';

import { httpFailure, networkFailure } from './apiError';
import { type CatalystPayCredentials, CREDENTIAL_TYPE, readCredentials } from './credentials';
import { DEFAULT_RETRY, withRetries } from './retry';
import type { ApiRequest, CatalystPayContext } from './request';

export type { ApiRequest, CatalystPayContext } from './request';

/**
 * Sends a request, retrying what may be retried, and returns the JSON body of a 2xx answer; throws a
 * CatalystPayApiError otherwise.
 */
export async function catalystPayRequest(this: CatalystPayContext, request: ApiRequest): Promise<IDataObject> {
	const credentials = request.credentials ?? readCredentials(await this.getCredentials(CREDENTIAL_TYPE, request.itemIndex));
	return await withRetries(
		async () => await sendOnce(this, request, credentials),
		{ ...DEFAULT_RETRY, retries: request.retries ?? 0, idempotent: request.idempotent ?? false },
		request.signal,
	);
}

/**
 * Reads one payment session (a read: retried on any passing failure). Both nodes read sessions the
 * same way: the Get operation, and the trigger confirming a webhook's status.
 */
export async function getPaymentSession(
	this: CatalystPayContext,
	token: string,
	settings: Pick<ApiRequest, 'itemIndex' | 'timeout' | 'retries' | 'signal' | 'credentials'> = {},
): Promise<IDataObject> {
	return await catalystPayRequest.call(this, {
		...settings,
		method: 'GET',
		path: `/api/v1/payment-sessions/${encodeURIComponent(token)}/`,
		notFound: `No payment session has the token ${token}`,
		idempotent: true,
	});
}

/**
 * The credential already read, handed to n8n's request helper so that it does not read it again for
 * every request (and retry). A copy each time: n8n may add to it (pre-authentication).
 */
function alreadyRead(context: CatalystPayContext, credentials: CatalystPayCredentials): IAdditionalCredentialOptions {
	const reference = context.getNode().credentials?.[CREDENTIAL_TYPE];
	return {
		credentialsDecrypted: { id: reference?.id ?? '', name: reference?.name ?? '', type: CREDENTIAL_TYPE, data: { ...credentials } },
	};
}

async function sendOnce(context: CatalystPayContext, request: ApiRequest, credentials: CatalystPayCredentials): Promise<IDataObject> {
	const baseUrl = credentials.baseUrl;
	let response: IN8nHttpFullResponse;
	try {
		response = (await context.helpers.httpRequestWithAuthentication.call(context, CREDENTIAL_TYPE, {
			method: request.method,
			url: `${baseUrl}${request.path}`,
			body: request.body,
			headers: { Accept: 'application/json' },
			json: true,
			timeout: request.timeout,
			returnFullResponse: true,
			// Statuses are judged here, where the response body is still at hand for the message.
			ignoreHttpStatusErrors: true,
		}, alreadyRead(context, credentials))) as IN8nHttpFullResponse;
	} catch (error) {
		throw networkFailure(context, request, baseUrl, error);
	}
	if (response.statusCode >= 200 && response.statusCode < 300) {
		const body = response.body;
		return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as IDataObject) : { response: body as string };
	}
	throw httpFailure(context, request, response);
}
