/**
 * Every way a CatalystPay call can fail, turned into an n8n error that says what to do. Built from
 * plain data, never from the HTTP client's error object, which carries the request headers and so
 * the API key.
 */
import type { Failure, IN8nHttpFullResponse, INode, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { neverReachedServer } from './networkCodes';
import type { ApiRequest, CatalystPayContext } from './request';

/**
 * True when the node runs as an AI agent's tool (through an AI Agent or the MCP Server Trigger), where
 * the error goes to a language model rather than to a workflow author. n8n names the tool variant of
 * a node `<name>Tool` and, from 1.9x on, also says so through `isToolExecution()`.
 */
export function isRunningAsTool(context: { getNode(): INode; isToolExecution?: () => boolean }): boolean {
	if (context.getNode().type.endsWith('Tool')) return true;
	return typeof context.isToolExecution === 'function' && context.isToolExecution() === true;
}

/** An HTTP answer CatalystPay gave, kept apart from failures to reach it at all. */
export interface ApiFailure {
	kind: 'http' | 'network';
	statusCode?: number;
	/** Seconds, from `Retry-After`, when CatalystPay sent one. */
	retryAfter?: number;
	/** For network failures: the system code (ECONNREFUSED, ETIMEDOUT, ...). */
	code?: string;
}

/** A NodeApiError that also says what kind of failure it was, so callers can decide on retries. */
export class CatalystPayApiError extends NodeApiError {
	constructor(
		context: CatalystPayContext,
		readonly apiFailure: ApiFailure,
		details: JsonObject,
		message: string,
		description: string,
		itemIndex: number | undefined,
	) {
		// Built from a plain object rather than the HTTP client's error: that one carries the request
		// headers, and with them the API key.
		super(context.getNode(), details, {
			message,
			description,
			httpCode: apiFailure.statusCode !== undefined ? String(apiFailure.statusCode) : undefined,
			itemIndex,
			failure: declaredFailure(apiFailure),
		});
		// NodeApiError swaps a message that merely contains a system error code (EPERM in a session
		// token, EACCES in a host name) for its generic sentence about that code. Ours already says
		// what happened: keep it.
		this.message = message;
	}
}

/** n8n's own vocabulary for why a call failed, which it reads without knowing this package. */
function declaredFailure({ kind, statusCode, retryAfter }: ApiFailure): Failure | undefined {
	if (statusCode === 429) {
		return { cause: 'rate-limited', retryAfterMs: retryAfter !== undefined ? retryAfter * 1000 : undefined };
	}
	if (kind === 'network' || (statusCode !== undefined && statusCode >= 500)) return { cause: 'temporarily-unavailable' };
	if (statusCode === 401) return { cause: 'credential-invalid' };
	return undefined;
}

/** DRF-style bodies: `{"field": ["msg"], "lead": {"email": ["msg"]}}` or `{"detail": "msg"}`. */
export function describeApiErrors(body: unknown, prefix = ''): string[] {
	if (typeof body === 'string') return body.trim() === '' ? [] : [prefix ? `${prefix}: ${body}` : body];
	if (Array.isArray(body)) return body.flatMap((entry) => describeApiErrors(entry, prefix));
	if (body !== null && typeof body === 'object') {
		return Object.entries(body).flatMap(([key, value]) => {
			const path = key === 'detail' || key === 'non_field_errors' ? prefix : prefix ? `${prefix}.${key}` : key;
			return describeApiErrors(value, path);
		});
	}
	return body === undefined || body === null ? [] : [String(body)];
}

function retryAfterSeconds(headers: IN8nHttpFullResponse['headers']): number | undefined {
	const raw = headers?.['retry-after'];
	const value = Array.isArray(raw) ? raw[0] : raw;
	if (value === undefined || value === null) return undefined;
	const seconds = Number(value);
	if (Number.isFinite(seconds)) return Math.max(0, seconds);
	const date = Date.parse(String(value));
	return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

export function httpFailure(
	context: CatalystPayContext,
	request: ApiRequest,
	response: IN8nHttpFullResponse,
): CatalystPayApiError {
	const status = response.statusCode;
	const body = response.body as JsonObject | string | undefined;
	const failure: ApiFailure = { kind: 'http', statusCode: status, retryAfter: retryAfterSeconds(response.headers) };
	const details: JsonObject = { statusCode: status, response: (body ?? null) as JsonObject };
	const reasons = describeApiErrors(body);
	// The same failure, told to a workflow author or to an AI agent calling the node as a tool.
	const asTool = isRunningAsTool(context);
	const fail = (message: string, forAuthor: string, forAgent: string) =>
		new CatalystPayApiError(context, failure, details, message, asTool ? forAgent : forAuthor, request.itemIndex);
	const misconfigured =
		'This is a setting of the n8n workflow, not something your arguments can fix: tell the user, and do not call this tool again until they have fixed it.';

	if (status === 400 || status === 422) {
		return fail(
			`CatalystPay refused the request: ${reasons.join('; ') || 'no reason given'}`,
			'Correct the fields CatalystPay names and run the node again.',
			'Nothing was created. Correct the values CatalystPay names (lead.email is the email address, lead.country the country code, and so on) and call this tool again.',
		);
	}
	if (status === 401) {
		return fail(
			'CatalystPay refused the API key',
			"Check the API key in the node's CatalystPay API credential (it starts with rk_), and that the Base URL is the environment the key belongs to: production keys do not work on the sandbox, nor sandbox keys in production.",
			`The CatalystPay API key stored in n8n is wrong or belongs to another environment. ${misconfigured}`,
		);
	}
	if (status === 403) {
		return fail(
			'This API key may not do that',
			reasons.join('; ') || 'Ask your CatalystPay admin for a key with access to this campaign.',
			`${reasons.length ? `${reasons.join('; ')}. ` : ''}The CatalystPay API key stored in n8n has no access to this. ${misconfigured}`,
		);
	}
	if (status === 404) {
		return fail(
			request.notFound ?? `CatalystPay has nothing at ${request.path}`,
			request.notFound
				? reasons.join('; ') || 'Check the value and that the Base URL is the right environment.'
				: "Check the Base URL in the node's CatalystPay API credential.",
			request.notFound
				? 'Use the session_token exactly as Create returned it (ps_ followed by letters and digits), or the payment_url that ends with it. Do not make one up.'
				: `The CatalystPay Base URL stored in n8n is wrong. ${misconfigured}`,
		);
	}
	if (status === 429) {
		const seconds = failure.retryAfter !== undefined ? Math.ceil(failure.retryAfter) : undefined;
		const wait = seconds !== undefined ? ` for ${seconds} s` : '';
		return fail(
			`CatalystPay is rate limiting requests${wait}`,
			'Lower the number of requests the node sends at once, or try again shortly.',
			`Nothing was done. Wait ${seconds !== undefined ? `${seconds} seconds` : 'a little'} and call this tool again with the same arguments.`,
		);
	}
	if (status >= 500) {
		return fail(
			`CatalystPay had a server error (HTTP ${status})`,
			'The problem is on CatalystPay\'s side or on the way to it. Try again shortly; if it lasts, check CatalystPay\'s status.',
			request.method === 'GET'
				? 'A temporary problem at CatalystPay. Reading is safe to repeat: call this tool again in a little while.'
				: 'A temporary problem at CatalystPay; the session may or may not have been created. Calling Create again could make a second payment page for the same purchase (no money moves until a customer pays), so tell the user rather than retrying on your own.',
		);
	}
	return fail(
		`CatalystPay answered with an unexpected HTTP ${status}`,
		reasons.join('; ') || 'Check the Base URL in the node\'s CatalystPay API credential.',
		`${reasons.length ? `${reasons.join('; ')}. ` : ''}${misconfigured}`,
	);
}

const NETWORK_CODES = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ECONNABORTED', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET'];

function networkCodeOf(error: unknown): string {
	const seen = new Set<unknown>();
	let current: unknown = error;
	while (current !== null && typeof current === 'object' && !seen.has(current)) {
		seen.add(current);
		const code = (current as { code?: unknown }).code;
		if (typeof code === 'string' && code !== '') return code;
		current = (current as { cause?: unknown }).cause;
	}
	const message = error instanceof Error ? error.message : String(error);
	return NETWORK_CODES.find((code) => message.includes(code)) ?? (/timeout/i.test(message) ? 'ETIMEDOUT' : 'UNKNOWN');
}

const NETWORK_REASONS: Record<string, string> = {
	ECONNREFUSED: 'the connection was refused: nothing is listening there',
	ECONNRESET: 'the connection was dropped before an answer came',
	UND_ERR_SOCKET: 'the connection was dropped before an answer came',
	EPIPE: 'the connection was dropped before an answer came',
	ENOTFOUND: 'the host name does not resolve',
	EAI_AGAIN: 'the host name could not be resolved right now',
	EHOSTUNREACH: 'the host cannot be reached',
	ENETUNREACH: 'the network cannot be reached',
};

export function networkFailure(context: CatalystPayContext, request: ApiRequest, baseUrl: string, error: unknown) {
	const code = networkCodeOf(error);
	const timedOut = code === 'ETIMEDOUT' || code === 'ECONNABORTED';
	// The code stays out of the message: NodeApiError would replace any message naming one with
	// its own generic sentence.
	const message = timedOut
		? `CatalystPay did not answer within ${request.timeout !== undefined ? `${request.timeout} ms` : 'the time allowed'}`
		: `Could not reach CatalystPay at ${baseUrl}: ${NETWORK_REASONS[code] ?? 'the request failed on the way'}`;
	let description = timedOut
		? `Try again, or raise the timeout in the node's options. (${code})`
		: `Check the Base URL in the node's CatalystPay API credential and that n8n can reach it. (${code})`;
	if (isRunningAsTool(context)) {
		const unsure =
			request.method === 'GET'
				? 'Reading is safe to repeat: call this tool again in a little while.'
				: 'The session may or may not have been created. Calling Create again could make a second payment page for the same purchase (no money moves until a customer pays), so tell the user rather than retrying on your own.';
		// "Nothing was sent" only where the code proves it: after a dropped connection the Create
		// may have arrived, and an agent told otherwise could make a second payment page.
		description = neverReachedServer(code)
			? `n8n cannot reach CatalystPay; nothing was sent. This is a setting or network problem of the n8n workflow, not something your arguments can fix: tell the user. (${code})`
			: `${unsure} (${code})`;
	}
	return new CatalystPayApiError(
		context,
		{ kind: 'network', code },
		// Not under "code" either, for the same reason.
		{ networkError: code },
		message,
		description,
		request.itemIndex,
	);
}
