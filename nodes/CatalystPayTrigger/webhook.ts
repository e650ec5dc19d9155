/**
 * What happens to one delivery: verify -> filter -> (confirm) -> emit. Anything refused is answered
 * here through the response object and returns `noWebhookResponse`, so n8n starts no execution.
 */
import type { IDataObject, IExecuteFunctions, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import { catalystPayRequest } from '../../lib/api';
import { CatalystPayApiError } from '../../lib/apiError';
import { CREDENTIAL_TYPE, readCredentials, signingSecrets } from '../../lib/credentials';
import { checkSignature, EVENT_HEADER, SIGNATURE_HEADER } from '../../lib/signature';
import { parseSessionToken } from '../../lib/validate';
import { claim, commit, deliveryKey, release } from './deliveryMemory';
import { isSelected, selectedEvents, STATUS_FOR_EVENT } from './events';

export const DEFAULT_REPEAT_WINDOW_MINUTES = 1440;

interface TriggerOptions {
	ignoreRepeatsMinutes?: number;
}

/** How long a delivery is remembered, from the trigger's options (0: repeats are not detected). */
export function repeatWindowMs(options: unknown): number {
	const minutes = (options as TriggerOptions | undefined)?.ignoreRepeatsMinutes ?? DEFAULT_REPEAT_WINDOW_MINUTES;
	return Math.max(0, minutes) * 60_000;
}

/** Whose deliveries: one trigger node of one workflow. The same in the webhook process and the worker. */
export function deliveryScope(context: IWebhookFunctions | IExecuteFunctions): string {
	return `${context.getWorkflow().id ?? ''}:${context.getNode().id}`;
}

/**
 * n8n reads and decrypts a credential through its expression engine on every call, which costs a
 * delivery more than the whole verification (measured: 16 against 22 deliveries/s in real n8n). A
 * burst of deliveries therefore reuses the secrets for a few seconds: a changed secret takes effect
 * within SECRET_CACHE_MS (rotation is covered by the previous-secret field). A missing secret is
 * never cached, so adding one takes effect at once.
 */
const SECRET_CACHE_MS = 5_000;
const MAX_CACHED = 1_000;
const secretCache = new Map<string, { secrets: string[]; until: number }>();

async function secretsFor(context: IWebhookFunctions): Promise<string[]> {
	const node = context.getNode();
	const key = `${context.getWorkflow().id ?? ''}:${node.id}:${node.credentials?.[CREDENTIAL_TYPE]?.id ?? ''}`;
	const now = Date.now();
	const cached = secretCache.get(key);
	if (cached && cached.until > now) return cached.secrets;
	const secrets = signingSecrets(readCredentials(await context.getCredentials(CREDENTIAL_TYPE)));
	if (secrets.length === 0) {
		secretCache.delete(key);
		return secrets;
	}
	if (secretCache.size >= MAX_CACHED) secretCache.clear();
	secretCache.set(key, { secrets, until: now + SECRET_CACHE_MS });
	return secrets;
}

function answer(context: IWebhookFunctions, status: number, body: IDataObject): IWebhookResponseData {
	const response = context.getResponseObject();
	response.status(status).json(body);
	return { noWebhookResponse: true };
}

function header(context: IWebhookFunctions, name: string): string | undefined {
	const value = context.getHeaderData()[name];
	if (Array.isArray(value)) return value.join(', ');
	return typeof value === 'string' ? value : undefined;
}

/** The payload as the workflow sees it. Python's json also allows NaN and Infinity, which JSON.parse does not. */
function parsePayload(rawBody: Buffer): unknown {
	try {
		return JSON.parse(rawBody.toString('utf8').replace(/^\ufeff/, '')) as unknown;
	} catch {
		return rawBody.toString('utf8');
	}
}

export async function handleDelivery(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const request = this.getRequestObject();
	const rawBody: unknown = (request as { rawBody?: unknown }).rawBody;
	if (!Buffer.isBuffer(rawBody)) {
		// Verifying a re-serialized body would be wrong for floats, big numbers and key order.
		return answer(this, 500, { error: 'n8n did not keep the raw request body, so the signature cannot be checked' });
	}

	const check = checkSignature(rawBody, header(this, SIGNATURE_HEADER), await secretsFor(this));
	if (!check.valid) {
		switch (check.reason) {
			case 'no-secret':
				// 5xx, so CatalystPay keeps the delivery and retries once the secret is in place.
				return answer(this, 500, {
					error: 'The CatalystPay credential has no webhook signing secret, so no webhook is accepted. Add the secret from your CatalystPay webhook profile.',
				});
			case 'not-json':
				return answer(this, 400, { error: 'The body is not JSON', detail: check.detail ?? null });
			case 'missing-signature':
				return answer(this, 401, { error: 'The X-CatalystPay-Signature header is missing' });
			default:
				return answer(this, 401, { error: 'The X-CatalystPay-Signature does not match the body' });
		}
	}

	const event = header(this, EVENT_HEADER)?.trim() ?? '';
	const events = selectedEvents(
		this.getNodeParameter('events', []) as string[],
		this.getNodeParameter('otherEvents', '') as string,
	);
	if (!isSelected(events, event)) {
		// 2xx: the delivery was fine, this workflow just does not want it, and CatalystPay must not retry.
		return answer(this, 200, { received: true, ignored: `this workflow does not listen to "${event}"` });
	}

	const windowMs = repeatWindowMs(this.getNodeParameter('options', {}));
	const scope = deliveryScope(this);
	const key = deliveryKey(event, check.canonical);
	const staticData = this.getWorkflowStaticData('node');
	if (windowMs > 0) {
		const seen = claim(scope, key, staticData);
		if (seen === 'duplicate') {
			return answer(this, 200, { received: true, duplicate: 'this delivery already started an execution' });
		}
		if (seen === 'in-progress') {
			// Not 2xx: if the copy being processed fails, CatalystPay must still have one to retry.
			return answer(this, 409, { error: 'The same delivery is being processed right now. Retry later.' });
		}
	}

	const payload = parsePayload(rawBody);
	// deliveryId is the same for every copy, retry and resend of one delivery: what a gate after the
	// trigger keys on where the trigger alone cannot decide (copies at two processes at one instant).
	const output: IDataObject = { event, deliveryId: key, payload: payload as IDataObject };
	if (this.getNodeParameter('confirmSessionStatus', true) as boolean) {
		const confirmation = await confirmSession(this, event, payload).catch((error: unknown) => {
			release(scope, key);
			throw error;
		});
		if ('refusal' in confirmation) {
			release(scope, key);
			return confirmation.refusal;
		}
		output.session = confirmation.session;
	}

	if (windowMs > 0) commit(scope, key, staticData, windowMs);
	return {
		workflowData: [[{ json: output }]],
		webhookResponse: { received: true },
	};
}

/** The guide's step 5: the session as CatalystPay has it must agree with what the webhook says. */
async function confirmSession(
	context: IWebhookFunctions,
	event: string,
	payload: unknown,
): Promise<{ session: IDataObject } | { refusal: IWebhookResponseData }> {
	const fields = (payload ?? {}) as IDataObject;
	const parsed = parseSessionToken(typeof fields.session_token === 'string' ? fields.session_token : '');
	if ('problem' in parsed) {
		return {
			refusal: answer(context, 422, {
				error: 'Confirm Session Status needs session_token in the payload: add it to the fields your CatalystPay webhook profile maps',
			}),
		};
	}
	let session: IDataObject;
	try {
		session = await catalystPayRequest.call(context, {
			method: 'GET',
			path: `/api/v1/payment-sessions/${parsed.token}/`,
			notFound: `No payment session has the token ${parsed.token}`,
			// Briefly: CatalystPay waits for this answer, and retries the delivery itself if it fails.
			retries: 2,
			idempotent: true,
			timeout: 10_000,
		});
	} catch (error) {
		// An unknown session means a wrong environment (Base URL) rather than a passing fault: say so.
		const unknown = error instanceof CatalystPayApiError && error.apiFailure.statusCode === 404;
		return {
			refusal: answer(context, unknown ? 422 : 503, {
				error: unknown
					? `CatalystPay has no session ${parsed.token}: check that the credential's Base URL is the environment that sends these webhooks`
					: `Could not confirm the session with CatalystPay: ${(error as Error).message}. Retry later.`,
			}),
		};
	}
	const claimed = typeof fields.status === 'string' ? fields.status : STATUS_FOR_EVENT[event];
	if (claimed !== undefined && session.status !== claimed) {
		return {
			refusal: answer(context, 409, {
				error: `CatalystPay has this session as ${String(session.status)}, the webhook says ${claimed}. Retry later.`,
			}),
		};
	}
	return { session };
}
