/**
 * How each way a CatalystPay call can fail reaches the user (lib/transport/apiError.ts), by value:
 * the message and description a workflow author reads, the variant an AI agent reads when the node
 * runs as a tool, the HTTP code, and the `failure` cause n8n reads without knowing this package.
 * These sentences are the product's whole answer to "what do I do now", and the agent variants keep an
 * agent from repeating a Create that may already have happened, so each is pinned here rather than
 * only seen in end-to-end runs. Last, no produced error may carry the API key: the HTTP client's own
 * error holds the request headers, and an error is shown, logged and stored with the execution.
 */
import type { IN8nHttpFullResponse, INode } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { CatalystPayApiError, describeApiErrors, httpFailure, isRunningAsTool, networkFailure } from '../../lib/transport/apiError';
import type { ApiRequest, CatalystPayContext } from '../../lib/transport/request';

const API_KEY = 'rk_test_SECRET0123456789abcdef';
const BASE_URL = 'https://api.catalystpay.example';

const node = (type = 'n8n-nodes-catalystpay.catalystPay'): INode => ({
	id: 'c0000000-0000-4000-8000-00000000f00d',
	name: 'CatalystPay',
	type,
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
	credentials: { catalystPayApi: { id: '1', name: 'CatalystPay account' } },
});
// apiError reads only getNode() (and isToolExecution() when n8n has it) from n8n's context.
const authorContext = { getNode: () => node() } as unknown as CatalystPayContext;
const toolByType = { getNode: () => node('n8n-nodes-catalystpay.catalystPayTool') } as unknown as CatalystPayContext;
const toolByFlag = { getNode: () => node(), isToolExecution: () => true } as unknown as CatalystPayContext;

const create: ApiRequest = { method: 'POST', path: '/api/v1/payment-sessions/', itemIndex: 2, timeout: 5000 };
const get: ApiRequest = {
	method: 'GET',
	path: '/api/v1/payment-sessions/ps_abc12345/',
	notFound: 'No payment session has the token ps_abc12345',
	itemIndex: 0,
};

const response = (statusCode: number, body?: unknown, headers: Record<string, string | string[]> = {}): IN8nHttpFullResponse => ({
	statusCode,
	body: body as IN8nHttpFullResponse['body'],
	headers: { 'content-type': 'application/json', ...headers },
});

/** What a user (or agent) sees, and what n8n reads. */
const seen = (error: CatalystPayApiError) => ({
	message: error.message,
	description: error.description,
	httpCode: error.httpCode,
	failure: error.failure,
});

/** An error as the HTTP client throws it: the request, with its Authorization header, rides along. */
function clientError(message: string, code?: string, extra: Record<string, unknown> = {}) {
	return Object.assign(new Error(message), {
		code,
		config: { headers: { Authorization: `Bearer ${API_KEY}`, 'X-Api-Key': API_KEY } },
		request: { _header: `POST /api/v1/payment-sessions/ HTTP/1.1\r\nAuthorization: Bearer ${API_KEY}\r\n` },
		...extra,
	});
}

describe('describeApiErrors', () => {
	it('names each field, nested with dots, in the order CatalystPay sent them', () => {
		const body = { lead: { email: ['Enter a valid email address.'], country: ['"XX" is not a valid choice.'] }, amount: ['Must be positive.'] };
		expect(describeApiErrors(body)).toEqual([
			'lead.email: Enter a valid email address.',
			'lead.country: "XX" is not a valid choice.',
			'amount: Must be positive.',
		]);
	});

	it('gives detail and non_field_errors without a field name', () => {
		expect(describeApiErrors({ detail: 'Not found.' })).toEqual(['Not found.']);
		expect(describeApiErrors({ non_field_errors: ['Campaign is closed.'] })).toEqual(['Campaign is closed.']);
		expect(describeApiErrors({ lead: { non_field_errors: ['Incomplete.'] } })).toEqual(['lead: Incomplete.']);
	});

	it('keeps a plain-text body and drops empty ones', () => {
		expect(describeApiErrors('Bad Gateway')).toEqual(['Bad Gateway']);
		expect(describeApiErrors('  ')).toEqual([]);
		expect(describeApiErrors(undefined)).toEqual([]);
		expect(describeApiErrors(null)).toEqual([]);
		expect(describeApiErrors({})).toEqual([]);
		expect(describeApiErrors(42)).toEqual(['42']);
	});
});

describe('isRunningAsTool', () => {
	it('knows a tool by its type name or by n8n saying so', () => {
		expect(isRunningAsTool({ getNode: () => node() })).toBe(false);
		expect(isRunningAsTool({ getNode: () => node('n8n-nodes-catalystpay.catalystPayTool') })).toBe(true);
		expect(isRunningAsTool({ getNode: () => node(), isToolExecution: () => true })).toBe(true);
		expect(isRunningAsTool({ getNode: () => node(), isToolExecution: () => false })).toBe(false);
	});
});

describe('httpFailure', () => {
	it('is a NodeApiError for the node, with the item index and the kind of failure', () => {
		const error = httpFailure(authorContext, create, response(400, { amount: ['Required.'] }));
		expect(error).toBeInstanceOf(CatalystPayApiError);
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.node.name).toBe('CatalystPay');
		expect(error.context.itemIndex).toBe(2);
		expect(error.apiFailure).toEqual({ kind: 'http', statusCode: 400, retryAfter: undefined });
	});

	it('400: names every field CatalystPay refused', () => {
		const body = { lead: { email: ['Enter a valid email address.'] }, campaign_id: ['Unknown campaign.'] };
		expect(seen(httpFailure(authorContext, create, response(400, body)))).toEqual({
			message: 'CatalystPay refused the request: lead.email: Enter a valid email address.; campaign_id: Unknown campaign.',
			description: 'Correct the fields CatalystPay names and run the node again.',
			httpCode: '400',
			failure: undefined,
		});
		expect(httpFailure(toolByType, create, response(400, body)).description).toBe(
			'Nothing was created. Correct the values CatalystPay names (lead.email is the email address, lead.country the country code, and so on) and call this tool again.',
		);
	});

	it('400 and 422 without a body still say something', () => {
		expect(httpFailure(authorContext, create, response(400)).message).toBe('CatalystPay refused the request: no reason given');
		expect(httpFailure(authorContext, create, response(422, '')).message).toBe('CatalystPay refused the request: no reason given');
	});

	it('401: the API key, and a credential-invalid cause', () => {
		expect(seen(httpFailure(authorContext, get, response(401, { detail: 'Invalid API key.' })))).toEqual({
			message: 'CatalystPay refused the API key',
			description:
				"Check the API key in the node's CatalystPay API credential (it starts with rk_), and that the Base URL is the environment the key belongs to: production keys do not work on the sandbox, nor sandbox keys in production.",
			httpCode: '401',
			failure: { cause: 'credential-invalid' },
		});
		expect(httpFailure(toolByFlag, get, response(401)).description).toBe(
			'The CatalystPay API key stored in n8n is wrong or belongs to another environment. This is a setting of the n8n workflow, not something your arguments can fix: tell the user, and do not call this tool again until they have fixed it.',
		);
	});

	it("403: CatalystPay's reason when it gives one, else where to get access", () => {
		expect(seen(httpFailure(authorContext, create, response(403, { detail: 'Key is restricted to campaign X.' })))).toEqual({
			message: 'This API key may not do that',
			description: 'Key is restricted to campaign X.',
			httpCode: '403',
			failure: undefined,
		});
		expect(httpFailure(authorContext, create, response(403)).description).toBe('Ask your CatalystPay admin for a key with access to this campaign.');
		expect(httpFailure(toolByType, create, response(403, { detail: 'Restricted.' })).description).toBe(
			'Restricted.. The CatalystPay API key stored in n8n has no access to this. This is a setting of the n8n workflow, not something your arguments can fix: tell the user, and do not call this tool again until they have fixed it.',
		);
	});

	it('404 with notFound: the caller\'s words, and what to check', () => {
		expect(seen(httpFailure(authorContext, get, response(404, { detail: 'Not found.' })))).toEqual({
			message: 'No payment session has the token ps_abc12345',
			description: 'Not found.',
			httpCode: '404',
			failure: undefined,
		});
		expect(httpFailure(authorContext, get, response(404)).description).toBe('Check the value and that the Base URL is the right environment.');
		expect(httpFailure(toolByType, get, response(404)).description).toBe(
			'Use the session_token exactly as Create returned it (ps_ followed by letters and digits), or the payment_url that ends with it. Do not make one up.',
		);
	});

	it('404 without notFound: the path is wrong, so the Base URL is', () => {
		expect(seen(httpFailure(authorContext, create, response(404, '<html>nginx</html>')))).toEqual({
			message: 'CatalystPay has nothing at /api/v1/payment-sessions/',
			description: "Check the Base URL in the node's CatalystPay API credential.",
			httpCode: '404',
			failure: undefined,
		});
		expect(httpFailure(toolByType, create, response(404)).description).toBe(
			'The CatalystPay Base URL stored in n8n is wrong. This is a setting of the n8n workflow, not something your arguments can fix: tell the user, and do not call this tool again until they have fixed it.',
		);
	});

	it('409 and other unexpected statuses: the status, and CatalystPay\'s reason or the Base URL', () => {
		expect(seen(httpFailure(authorContext, create, response(409, { detail: 'Duplicate reference.' })))).toEqual({
			message: 'CatalystPay answered with an unexpected HTTP 409',
			description: 'Duplicate reference.',
			httpCode: '409',
			failure: undefined,
		});
		expect(httpFailure(authorContext, create, response(418)).description).toBe("Check the Base URL in the node's CatalystPay API credential.");
		expect(httpFailure(toolByType, create, response(409, { detail: 'Duplicate reference.' })).description).toBe(
			'Duplicate reference.. This is a setting of the n8n workflow, not something your arguments can fix: tell the user, and do not call this tool again until they have fixed it.',
		);
	});

	it('429 with Retry-After in seconds: how long, and a rate-limited cause with the wait in ms', () => {
		const error = httpFailure(authorContext, create, response(429, { detail: 'Throttled.' }, { 'retry-after': '7' }));
		expect(seen(error)).toEqual({
			message: 'CatalystPay is rate limiting requests for 7 s',
			description: 'Lower the number of requests the node sends at once, or try again shortly.',
			httpCode: '429',
			failure: { cause: 'rate-limited', retryAfterMs: 7000 },
		});
		expect(error.apiFailure).toEqual({ kind: 'http', statusCode: 429, retryAfter: 7 });
		expect(httpFailure(toolByType, create, response(429, undefined, { 'retry-after': '7' })).description).toBe(
			'Nothing was done. Wait 7 seconds and call this tool again with the same arguments.',
		);
	});

	it('429: Retry-After rounded up, taken from a repeated header, or absent', () => {
		expect(httpFailure(authorContext, create, response(429, undefined, { 'retry-after': '1.2' })).message).toBe(
			'CatalystPay is rate limiting requests for 2 s',
		);
		expect(httpFailure(authorContext, create, response(429, undefined, { 'retry-after': ['3', '9'] })).apiFailure.retryAfter).toBe(3);
		const none = httpFailure(authorContext, create, response(429));
		expect(none.message).toBe('CatalystPay is rate limiting requests');
		expect(none.failure).toEqual({ cause: 'rate-limited', retryAfterMs: undefined });
		expect(httpFailure(toolByType, create, response(429)).description).toBe(
			'Nothing was done. Wait a little and call this tool again with the same arguments.',
		);
	});

	it('429: a Retry-After date in the past is no wait; one that is not a date is ignored', () => {
		const past = httpFailure(authorContext, create, response(429, undefined, { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' }));
		expect(past.apiFailure.retryAfter).toBe(0);
		expect(past.message).toBe('CatalystPay is rate limiting requests for 0 s');
		const negative = httpFailure(authorContext, create, response(429, undefined, { 'retry-after': '-5' }));
		expect(negative.apiFailure.retryAfter).toBe(0);
		const junk = httpFailure(authorContext, create, response(429, undefined, { 'retry-after': 'soon' }));
		expect(junk.apiFailure.retryAfter).toBeUndefined();
	});

	it.each([500, 502, 503, 504])('%i: a server error, and a temporarily-unavailable cause', (status) => {
		expect(seen(httpFailure(authorContext, create, response(status, 'Bad Gateway')))).toEqual({
			message: `CatalystPay had a server error (HTTP ${status})`,
			description: "The problem is on CatalystPay's side or on the way to it. Try again shortly; if it lasts, check CatalystPay's status.",
			httpCode: String(status),
			failure: { cause: 'temporarily-unavailable' },
		});
	});

	it('5xx as a tool: a read may be repeated, a Create must not be repeated blindly', () => {
		expect(httpFailure(toolByType, get, response(503)).description).toBe(
			'A temporary problem at CatalystPay. Reading is safe to repeat: call this tool again in a little while.',
		);
		expect(httpFailure(toolByType, create, response(503)).description).toBe(
			'A temporary problem at CatalystPay; the session may or may not have been created. Calling Create again could make a second payment page for the same purchase (no money moves until a customer pays), so tell the user rather than retrying on your own.',
		);
	});
});

describe('networkFailure', () => {
	it('ECONNREFUSED: where it tried, why it failed, a temporarily-unavailable cause, no HTTP code', () => {
		const error = networkFailure(authorContext, create, BASE_URL, clientError('connect ECONNREFUSED 127.0.0.1:443', 'ECONNREFUSED'));
		expect(seen(error)).toEqual({
			message: `Could not reach CatalystPay at ${BASE_URL}: the connection was refused: nothing is listening there`,
			description: "Check the Base URL in the node's CatalystPay API credential and that n8n can reach it. (ECONNREFUSED)",
			httpCode: null,
			failure: { cause: 'temporarily-unavailable' },
		});
		expect(error.apiFailure).toEqual({ kind: 'network', code: 'ECONNREFUSED' });
		expect(error.context.itemIndex).toBe(2);
	});

	it.each([
		['ENOTFOUND', 'the host name does not resolve'],
		['EAI_AGAIN', 'the host name could not be resolved right now'],
		['EHOSTUNREACH', 'the host cannot be reached'],
		['ENETUNREACH', 'the network cannot be reached'],
		['ECONNRESET', 'the connection was dropped before an answer came'],
		['EPIPE', 'the connection was dropped before an answer came'],
		['UND_ERR_SOCKET', 'the connection was dropped before an answer came'],
		['EPROTO', 'the request failed on the way'],
	])('%s: %s', (code, reason) => {
		const error = networkFailure(authorContext, create, BASE_URL, clientError('request failed', code));
		expect(error.message).toBe(`Could not reach CatalystPay at ${BASE_URL}: ${reason}`);
		expect(error.description).toBe(`Check the Base URL in the node's CatalystPay API credential and that n8n can reach it. (${code})`);
	});

	it.each(['ETIMEDOUT', 'ECONNABORTED'])('%s: a timeout, naming the time allowed', (code) => {
		expect(seen(networkFailure(authorContext, create, BASE_URL, clientError('timeout of 5000ms exceeded', code)))).toEqual({
			message: 'CatalystPay did not answer within 5000 ms',
			description: `Try again, or raise the timeout in the node's options. (${code})`,
			httpCode: null,
			failure: { cause: 'temporarily-unavailable' },
		});
		expect(networkFailure(authorContext, get, BASE_URL, clientError('timeout', code)).message).toBe(
			'CatalystPay did not answer within the time allowed',
		);
	});

	it('finds the code on a cause, in the message, or from the word timeout', () => {
		const nested = new Error('fetch failed', { cause: Object.assign(new Error('socket'), { code: 'ECONNREFUSED' }) });
		expect(networkFailure(authorContext, create, BASE_URL, nested).apiFailure.code).toBe('ECONNREFUSED');
		expect(networkFailure(authorContext, create, BASE_URL, new Error('getaddrinfo ENOTFOUND api.example')).apiFailure.code).toBe('ENOTFOUND');
		expect(networkFailure(authorContext, create, BASE_URL, new Error('Request Timeout')).apiFailure.code).toBe('ETIMEDOUT');
		expect(networkFailure(authorContext, create, BASE_URL, 'something odd').apiFailure.code).toBe('UNKNOWN');
	});

	it("keeps the code out of the message, so n8n's generic sentence for it does not replace ours", () => {
		for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH']) {
			const error = networkFailure(authorContext, create, BASE_URL, clientError(`connect ${code}`, code));
			expect(error.message).not.toContain(code);
			expect(error.message).toMatch(/^(Could not reach CatalystPay|CatalystPay did not answer)/);
		}
	});

	it('as a tool: a timed-out read may be repeated, a timed-out Create must not be repeated blindly', () => {
		expect(networkFailure(toolByType, get, BASE_URL, clientError('timeout', 'ETIMEDOUT')).description).toBe(
			'Reading is safe to repeat: call this tool again in a little while. (ETIMEDOUT)',
		);
		expect(networkFailure(toolByFlag, create, BASE_URL, clientError('timeout', 'ETIMEDOUT')).description).toBe(
			'The session may or may not have been created. Calling Create again could make a second payment page for the same purchase (no money moves until a customer pays), so tell the user rather than retrying on your own. (ETIMEDOUT)',
		);
	});

	it('as a tool: a dropped connection is never "nothing was sent": a Create may have arrived', () => {
		for (const code of ['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UNKNOWN']) {
			const description = networkFailure(toolByType, create, BASE_URL, clientError('dropped', code)).description as string;
			expect(description).not.toMatch(/nothing was sent/);
			expect(description).toMatch(/may or may not have been created/);
		}
	});

	it('as a tool: an unreachable CatalystPay is a setting for the user, not a retry for the agent', () => {
		expect(networkFailure(toolByType, create, BASE_URL, clientError('refused', 'ECONNREFUSED')).description).toBe(
			'n8n cannot reach CatalystPay; nothing was sent. This is a setting or network problem of the n8n workflow, not something your arguments can fix: tell the user. (ECONNREFUSED)',
		);
	});
});

test("a message that merely contains a system error code (EPERM in a token, EACCES in a host) stays ours, not n8n's generic sentence", () => {
	const notFound = httpFailure(authorContext, { ...get, notFound: 'No payment session has the token ps_abcEPERMxyz1' }, response(404, { detail: 'Not found.' }));
	expect(notFound.message).toContain('ps_abcEPERMxyz1');
	expect(notFound.message).not.toMatch(/permitted/i);
	const unreachable = networkFailure(authorContext, create, 'https://eacces.example', clientError('refused', 'ECONNREFUSED'));
	expect(unreachable.message).toContain('https://eacces.example');
	expect(unreachable.message).not.toMatch(/Forbidden by access permissions/i);
});

describe('no produced error carries the API key', () => {
	const secretHeaders = { authorization: `Bearer ${API_KEY}`, 'x-api-key': API_KEY };
	const errors: Array<[string, () => CatalystPayApiError]> = [
		...[400, 401, 403, 404, 409, 429, 500, 503].map((status): [string, () => CatalystPayApiError] => [
			`HTTP ${status}`,
			() => httpFailure(authorContext, create, response(status, { detail: 'refused' }, secretHeaders)),
		]),
		['ECONNREFUSED', () => networkFailure(authorContext, create, BASE_URL, clientError('connect ECONNREFUSED', 'ECONNREFUSED'))],
		['ETIMEDOUT as a tool', () => networkFailure(toolByType, create, BASE_URL, clientError('timeout', 'ETIMEDOUT'))],
		[
			'a nested cause',
			() =>
				networkFailure(
					authorContext,
					get,
					BASE_URL,
					new Error('fetch failed', { cause: clientError(`socket hang up (Authorization: Bearer ${API_KEY})`, 'ECONNRESET') }),
				),
		],
		['a code-less error', () => networkFailure(authorContext, get, BASE_URL, clientError(`failed with key ${API_KEY}`))],
	];

	it.each(errors)('%s', (_, make) => {
		const error = make();
		const everything = JSON.stringify({ ...error, message: error.message, description: error.description, stack: error.stack });
		expect(everything).not.toContain(API_KEY);
		expect(everything).not.toMatch(/authorization/i);
		expect(JSON.stringify(error)).not.toContain(API_KEY);
		expect(error.messages.join('\n')).not.toContain(API_KEY);
	});
});
