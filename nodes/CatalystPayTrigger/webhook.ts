/**
 * What happens to one delivery: verify -> filter -> (confirm) -> emit. Anything refused is answered
 * here through the response object and returns `noWebhookResponse`, so n8n starts no execution on
 * the main output (only, when the user turned it on, one on the Refused output: see refusals.ts).
 */
import type { IDataObject, IExecuteFunctions, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import { type CatalystPayCredentials, CREDENTIAL_TYPE, readCredentials, signingSecrets } from '../../lib/transport/credentials';
import { checkSignature, EVENT_HEADER, SIGNATURE_HEADER, type SignatureFailure } from '../../lib/signature';
import { diagnoseMismatch, reencodingHint } from '../../lib/signature/diagnosis';
import { hintedDone, markStarting, seenHere } from './completedDeliveries';
import { confirmSession } from './confirmSession';
import { claim, commit, deliveryKey, legacyDeliveryKey, release } from './deliveryMemory';
import { eventAgreement, isSelected, selectedEvents } from './events';
import { type DeliveryFacts, logRefusal, type Refusal, refusedItem, wouldReport } from './refusals';

/** CatalystPay's id of a delivery attempt, when it sends one: logged with a refusal, never trusted for anything. */
const DELIVERY_HEADER = 'x-catalystpay-delivery';

export const DEFAULT_REPEAT_WINDOW_MINUTES = 1440;
/** CatalystPay's payloads are a few hundred bytes: anything far larger is refused before it is read as JSON. */
export const DEFAULT_MAX_BODY_KB = 32;

interface TriggerOptions {
	ignoreRepeatsMinutes?: number;
	maxBodyKb?: number;
}

/** The largest body the trigger verifies, from its options. */
export function maxBodyBytes(options: unknown): number {
	const kb = (options as TriggerOptions | undefined)?.maxBodyKb ?? DEFAULT_MAX_BODY_KB;
	return Math.max(1, kb) * 1024;
}

/** How long a delivery is remembered, from the trigger's options (0: repeats are not detected). */
export function repeatWindowMs(options: unknown): number {
	const minutes = (options as TriggerOptions | undefined)?.ignoreRepeatsMinutes ?? DEFAULT_REPEAT_WINDOW_MINUTES;
	return Math.max(0, minutes) * 60_000;
}

/**
 * Whose deliveries: one trigger node (by its id, which a rename keeps) of one workflow, in production
 * or in the editor's test runs, which never share a memory: a delivery sent to the Test URL must not
 * make the same delivery at the Production URL a repeat. The same in the webhook process and the worker.
 */
export function deliveryScope(context: IWebhookFunctions | IExecuteFunctions): string {
	const test = context.getMode() === 'manual' ? 'test:' : '';
	return `${test}${context.getWorkflow().id ?? ''}:${context.getNode().id}`;
}

/**
 * n8n reads and decrypts a credential on every call, and n8n 2.x (and 1.123.66 on) builds a fresh
 * expression isolate for each read: that costs a delivery more than the whole verification. A burst
 * of deliveries therefore reuses the credential for a few seconds, for the signature and for the
 * session check alike: a changed credential takes effect within CREDENTIAL_CACHE_MS (rotation is
 * covered by the previous-secret field). One without a signing secret is never cached, so adding
 * the secret takes effect at once.
 */
const CREDENTIAL_CACHE_MS = 5_000;
const MAX_CACHED = 1_000;
const credentialCache = new Map<string, { credentials: CatalystPayCredentials; until: number }>();

async function credentialsFor(context: IWebhookFunctions): Promise<CatalystPayCredentials> {
	const node = context.getNode();
	const key = `${context.getWorkflow().id ?? ''}:${node.id}:${node.credentials?.[CREDENTIAL_TYPE]?.id ?? ''}`;
	const now = Date.now();
	const cached = credentialCache.get(key);
	if (cached && cached.until > now) return cached.credentials;
	const credentials = readCredentials(await context.getCredentials(CREDENTIAL_TYPE));
	if (signingSecrets(credentials).length === 0) {
		credentialCache.delete(key);
		return credentials;
	}
	if (credentialCache.size >= MAX_CACHED) credentialCache.clear();
	credentialCache.set(key, { credentials, until: now + CREDENTIAL_CACHE_MS });
	return credentials;
}

/**
 * The body exactly as it arrived. n8n keeps it for the content types it parses (JSON among them); for
 * any other type the trigger reads it itself (node versions above 1: n8n no longer reads every body).
 */
async function rawBodyOf(context: IWebhookFunctions): Promise<Buffer | undefined> {
	const request = context.getRequestObject() as { rawBody?: unknown; readRawBody?: () => Promise<void> };
	if (!Buffer.isBuffer(request.rawBody) && typeof request.readRawBody === 'function') {
		try {
			await request.readRawBody();
		} catch {
			// Unreadable (aborted, or consumed by n8n's form parser): refused below like a missing body.
		}
	}
	return Buffer.isBuffer(request.rawBody) ? request.rawBody : undefined;
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

/** Why a signature check failed, as a refusal: the answer, and the likely cause for the owner. */
function signatureRefusal(
	context: IWebhookFunctions,
	failure: { reason: SignatureFailure; detail?: string },
	rawBody: Buffer,
	secrets: string[],
): Refusal {
	switch (failure.reason) {
		case 'no-secret':
			// 5xx, so CatalystPay keeps the delivery and retries once the secret is in place.
			return {
				reason: 'no-secret',
				status: 500,
				error: 'The CatalystPay credential has no webhook signing secret, so no webhook is accepted. Add the secret from your CatalystPay webhook profile.',
				hint: "Open the trigger's CatalystPay credential and paste the signing secret from your CatalystPay webhook profile.",
			};
		case 'not-json':
			return {
				reason: 'not-json',
				status: 400,
				error: 'The body is not JSON',
				// Where the parser stopped; in the answer only (it may quote the body, which is never logged).
				detail: failure.detail ?? null,
				hint:
					reencodingHint(rawBody, header(context, 'content-type'), header(context, 'content-encoding')) ??
					'CatalystPay sends JSON. The sender is not CatalystPay, or something on the way (a proxy, a form encoder) changed the body.',
			};
		case 'missing-signature':
			return {
				reason: 'missing-signature',
				status: 401,
				error: 'The X-CatalystPay-Signature header is missing',
				hint: 'CatalystPay signs every delivery. The sender is not CatalystPay, or a proxy on the way dropped the header. To send one by hand, sign the body as the README shows.',
			};
		case 'malformed-signature':
			return {
				reason: 'malformed-signature',
				status: 401,
				error: 'The X-CatalystPay-Signature is not 64 hexadecimal digits (an HMAC-SHA256)',
				hint: 'CatalystPay sends a bare hex HMAC-SHA256. The sender is not CatalystPay, or a proxy on the way changed the header.',
			};
		default: {
			const refusal: Refusal = {
				reason: 'signature-mismatch',
				status: 401,
				error: 'The X-CatalystPay-Signature does not match the body',
				hint: "The credential's signing secret is not the one CatalystPay signs with, or the request is not from CatalystPay.",
			};
			// The diagnosis hashes the body a few more times: only for a refusal someone will read.
			const withOutput = context.getNodeParameter('refusedOutput', false) as boolean;
			if (!wouldReport(deliveryScope(context), refusal.reason, withOutput)) return refusal;
			const diagnosis = diagnoseMismatch({
				body: rawBody,
				signature: header(context, SIGNATURE_HEADER) ?? '',
				secrets,
				contentEncoding: header(context, 'content-encoding'),
				contentType: header(context, 'content-type'),
				hasPreviousSecret: secrets.length > 1,
			});
			return { ...refusal, hint: diagnosis.hint, answerable: diagnosis.answerable };
		}
	}
}

/**
 * Answers a refused delivery, logs it (bounded per node), and with the Refused output on starts an
 * execution there (also bounded). The hint goes into the answer only where it tells a forger nothing.
 */
function refuse(context: IWebhookFunctions, refusal: Refusal, rawBody: Buffer | undefined): IWebhookResponseData {
	const scope = deliveryScope(context);
	const facts: DeliveryFacts = {
		event: header(context, EVENT_HEADER)?.trim() ?? '',
		bodyBytes: rawBody?.byteLength ?? 0,
		deliveryHeader: header(context, DELIVERY_HEADER),
		headers: context.getHeaderData() as IDataObject,
		receivedAt: new Date().toISOString(),
	};
	logRefusal(context, scope, refusal, facts);
	const body: IDataObject = { error: refusal.error };
	if (refusal.detail !== undefined) body.detail = refusal.detail;
	if (refusal.answerable !== false) body.hint = refusal.hint;
	answer(context, refusal.status, body);
	if (!(context.getNodeParameter('refusedOutput', false) as boolean)) return { noWebhookResponse: true };
	const item = refusedItem(scope, refusal, facts);
	return item ? { noWebhookResponse: true, workflowData: [[], [item]] } : { noWebhookResponse: true };
}

export async function handleDelivery(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const rawBody = await rawBodyOf(this);
	if (rawBody === undefined) {
		// Verifying a re-serialized body would be wrong for floats, big numbers and key order.
		return refuse(
			this,
			{
				reason: 'no-raw-body',
				status: 500,
				error: 'n8n did not keep the raw request body, so the signature cannot be checked',
				hint: 'This n8n did not hand the trigger the request body as received. Report it with your n8n version.',
			},
			undefined,
		);
	}

	// Before any parsing or hashing: a forged body costs what a genuine one does.
	const maxBytes = maxBodyBytes(this.getNodeParameter('options', {}));
	if (rawBody.byteLength > maxBytes) return refuse(this, tooLarge(rawBody.byteLength, maxBytes), rawBody);

	const credentials = await credentialsFor(this);
	const secrets = signingSecrets(credentials);
	const check = checkSignature(rawBody, header(this, SIGNATURE_HEADER), secrets);
	if (!check.valid) return refuse(this, signatureRefusal(this, check, rawBody, secrets), rawBody);

	const event = header(this, EVENT_HEADER)?.trim() ?? '';
	const payload = parsePayload(rawBody);
	const signedStatus = statusOf(payload);
	if (eventAgreement(event, signedStatus) === 'contradicted') {
		return refuse(this, eventMismatch(event, signedStatus ?? ''), rawBody);
	}
	const events = selectedEvents(
		this.getNodeParameter('events', []) as string[],
		this.getNodeParameter('otherEvents', '') as string,
	);
	if (!isSelected(events, event)) {
		// 2xx: the delivery was fine, this workflow just does not want it, and CatalystPay must not retry.
		return answer(this, 200, { received: true, ignored: `this workflow does not listen to "${event}"` });
	}

	const scope = deliveryScope(this);
	// Signed bytes only: the event header is the sender's word, so a copy renamed to another event is the same delivery.
	const key = deliveryKey(check.canonical);
	const claimed = answersAtEnd(this.getNode().typeVersion)
		? claimUntilAnswered(this, scope, key)
		: claimInWindow(this, scope, key, legacyDeliveryKey(event, check.canonical));
	if ('answered' in claimed) return claimed.answered;

	// deliveryId is the same for every copy, retry and resend of one delivery: what a gate after the
	// trigger keys on where the trigger alone cannot decide (copies at two processes at one instant).
	let session: IDataObject | undefined;
	if (this.getNodeParameter('confirmSessionStatus', true) as boolean) {
		const confirmation = await confirmSession(this, event, payload, signedStatus, credentials).catch((error: unknown) => {
			claimed.release();
			throw error;
		});
		if ('refusal' in confirmation) {
			claimed.release();
			return refuse(this, confirmation.refusal, rawBody);
		}
		session = confirmation.session;
	}

	claimed.accept();
	const workflowData = [[{ json: deliveryItem(event, key, payload, signedStatus, session) }]];
	if (answersAtEnd(this.getNode().typeVersion) && this.getNodeParameter('respond', RESPOND_AT_END) === RESPOND_AT_ONCE) {
		answer(this, 200, { received: true });
		return { noWebhookResponse: true, workflowData };
	}
	// Version 1 answers now ({"received":true}); version 2 when the workflow has ended (n8n answers).
	return { workflowData, webhookResponse: { received: true } };
}

/** Version 2 answers CatalystPay when the workflow has ended, so only then is a delivery done. */
export function answersAtEnd(typeVersion: number): boolean {
	return typeVersion >= 2;
}

/** The trigger's "Answer CatalystPay" choices (version 2). */
export const RESPOND_AT_END = 'whenFinished';
export const RESPOND_AT_ONCE = 'immediately';

/** A delivery held while webhook() works on it: given up (refused) or accepted (it starts an execution). */
type Claimed = { answered: IWebhookResponseData } | { release: () => void; accept: () => void };

/** Version 1: a delivery that started an execution is a repeat for the repeat window, whatever became of it. */
function claimInWindow(context: IWebhookFunctions, scope: string, key: string, legacyKey: string): Claimed {
	const windowMs = repeatWindowMs(context.getNodeParameter('options', {}));
	if (windowMs <= 0) return { release: () => undefined, accept: () => undefined };
	const staticData = context.getWorkflowStaticData('node');
	const seen = claim(scope, key, staticData, legacyKey);
	if (seen === 'duplicate') {
		return { answered: answer(context, 200, { received: true, duplicate: 'this delivery already started an execution' }) };
	}
	if (seen === 'in-progress') {
		// Not 2xx: if the copy being processed fails, CatalystPay must still have one to retry.
		return { answered: answer(context, 409, { error: 'The same delivery is being processed right now. Retry later.' }) };
	}
	return { release: () => release(scope, key), accept: () => commit(scope, key, staticData, windowMs) };
}

/**
 * Version 2: what this process knows (a delivery it saw succeed, or one it is handling) and what the
 * workflow's static data says succeeded are answered here; anything else starts an execution, whose
 * first step asks n8n's store (execute.ts). A copy that arrives while this one is being started is
 * told to retry until this answer has been given.
 */
function claimUntilAnswered(context: IWebhookFunctions, scope: string, key: string): Claimed {
	const seen = seenHere(scope, key);
	if (seen === 'done' || hintedDone(context.getWorkflowStaticData('node'), key)) {
		return { answered: answer(context, 200, { received: true, duplicate: 'this delivery has already been handled successfully' }) };
	}
	if (seen === 'in-flight') {
		return { answered: answer(context, 409, { error: 'The same delivery is being processed right now. Retry later.' }) };
	}
	const starting = markStarting(scope, key);
	// The answer (or CatalystPay giving up on it) ends this process's hold; an execution of this
	// process that took the delivery over keeps it until it ends.
	context.getResponseObject().once('close', starting.release);
	return { release: starting.release, accept: () => undefined };
}

/** The payload's status, when the webhook profile maps it: signed, so it may vouch for the event. */
function statusOf(payload: unknown): string | undefined {
	if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
	const status = (payload as IDataObject).status;
	return typeof status === 'string' ? status : undefined;
}

function tooLarge(bytes: number, maxBytes: number): Refusal {
	return {
		reason: 'too-large',
		status: 413,
		error: `The body is ${bytes} bytes, more than this trigger accepts (${maxBytes})`,
		hint: "CatalystPay's deliveries are a few hundred bytes. If yours carry more fields, raise the trigger's Largest Delivery (KB) option.",
	};
}

function eventMismatch(event: string, signedStatus: string): Refusal {
	return {
		reason: 'event-mismatch',
		status: 400,
		error: `The X-CatalystPay-Event header says ${event}, but the signed payload's status is ${signedStatus}`,
		hint: 'CatalystPay sends an event with the status it names. This delivery was sent again under another event name (a replay of a genuine delivery), or a proxy changed the header.',
	};
}

/**
 * What the workflow gets. `status` is what CatalystPay vouches for (the session's status when it was
 * confirmed, else the signed payload's), null when neither says; `eventConfirmed` says whether the
 * unsigned event header agrees with it. Route on `status`, never on `event` alone.
 */
function deliveryItem(
	event: string,
	deliveryId: string,
	payload: unknown,
	signedStatus: string | undefined,
	session: IDataObject | undefined,
): IDataObject {
	const vouched = typeof session?.status === 'string' ? session.status : signedStatus;
	const item: IDataObject = {
		event,
		eventConfirmed: eventAgreement(event, vouched) === 'confirmed',
		status: vouched ?? null,
		deliveryId,
		payload: payload as IDataObject,
	};
	if (session !== undefined) item.session = session;
	return item;
}
