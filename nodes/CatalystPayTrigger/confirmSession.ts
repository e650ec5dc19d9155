/**
 * Confirm Session Status: step 5 of CatalystPay's integration guide. Before a delivery starts
 * anything, the session as CatalystPay's API has it must agree with what the webhook says, so a
 * signed delivery replayed from an older state of the payment starts nothing.
 */
import type { IDataObject, IWebhookFunctions } from 'n8n-workflow';

import { getPaymentSession } from '../../lib/transport/api';
import { CatalystPayApiError } from '../../lib/transport/apiError';
import type { CatalystPayCredentials } from '../../lib/transport/credentials';
import { parseSessionToken } from '../../lib/validate';
import { STATUS_FOR_EVENT } from './events';
import type { Refusal } from './refusals';

/** The session as CatalystPay has it, or the refusal that says why it does not agree with the webhook. */
export async function confirmSession(
	context: IWebhookFunctions,
	event: string,
	payload: unknown,
	signedStatus: string | undefined,
	credentials: CatalystPayCredentials,
): Promise<{ session: IDataObject } | { refusal: Refusal }> {
	const fields = (payload ?? {}) as IDataObject;
	const parsed = parseSessionToken(typeof fields.session_token === 'string' ? fields.session_token : '');
	if ('problem' in parsed) {
		return {
			refusal: {
				reason: 'no-session-token',
				status: 422,
				error: 'Confirm Session Status needs session_token in the payload: add it to the fields your CatalystPay webhook profile maps',
				hint: "Add session_token to the fields your CatalystPay webhook profile maps, or turn off the trigger's Confirm Session Status.",
			},
		};
	}
	let session: IDataObject;
	try {
		// Briefly: CatalystPay waits for this answer, and retries the delivery itself if it fails.
		session = await getPaymentSession.call(context, parsed.token, { retries: 2, timeout: 10_000, credentials });
	} catch (error) {
		// An unknown session means a wrong environment (Base URL) rather than a passing fault: say so.
		const unknown = error instanceof CatalystPayApiError && error.apiFailure.statusCode === 404;
		return {
			refusal: unknown
				? {
						reason: 'unknown-session',
						status: 422,
						error: `CatalystPay has no session ${parsed.token}: check that the credential's Base URL is the environment that sends these webhooks`,
						hint: "The credential's Base URL points at a different CatalystPay environment (sandbox or production) than the one sending these webhooks.",
					}
				: {
						reason: 'confirmation-failed',
						status: 503,
						error: `Could not confirm the session with CatalystPay: ${(error as Error).message}. Retry later.`,
						hint: "CatalystPay retries the delivery. If this keeps happening, check the credential's API key and Base URL (the credential's Test button tells).",
					},
		};
	}
	const claimed = signedStatus ?? STATUS_FOR_EVENT.get(event);
	if (claimed !== undefined && session.status !== claimed) {
		return {
			refusal: {
				reason: 'status-mismatch',
				status: 409,
				error: `CatalystPay has this session as ${String(session.status)}, the webhook says ${claimed}. Retry later.`,
				hint: 'Usually passing: CatalystPay retries once the session has its final status. If it never does, the delivery may be replayed from an older state.',
			},
		};
	}
	return { session };
}
