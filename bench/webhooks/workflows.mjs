// The workflows the webhook benchmarks put under load: the CatalystPay Trigger, and what users build
// instead (a plain Webhook, with a Crypto node or a Code node checking the signature).
import { randomUUID } from 'node:crypto';

const CREDENTIAL = { catalystPayApi: { id: 'catalystpaySandbox01', name: 'CatalystPay Sandbox' } };


const node = (name, type, typeVersion, x, parameters, extra = {}) => ({ id: randomUUID(), name, type, typeVersion, position: [x, 0], parameters, ...extra });
const NO_OP = (x) => node('No Operation', 'n8n-nodes-base.noOp', 1, x, {});
const to = (target) => ({ main: [[{ node: target, type: 'main', index: 0 }]] });

/**
 * The CatalystPay Trigger -> No Operation, at version 1.1 unless told otherwise (the figures before
 * version 2 were taken there); `parameters` adds version 2's, such as `respond`.
 */
export function catalystPayTrigger(name, confirmSessionStatus, typeVersion = 1.1, options = {}, parameters = {}) {
	const webhookId = randomUUID();
	return {
		name,
		path: `/webhook/${webhookId}/webhook`,
		nodes: [
			node('CatalystPay Trigger', 'n8n-nodes-catalystpay.catalystPayTrigger', typeVersion, 0, {
				events: ['payment_session.completed'],
				otherEvents: '',
				confirmSessionStatus,
				options,
				...parameters,
			}, { webhookId, credentials: CREDENTIAL }),
			NO_OP(240),
		],
		connections: { 'CatalystPay Trigger': to('No Operation') },
	};
}

function webhookNode(typeVersion, options = {}) {
	const webhookId = randomUUID();
	const path = `bench-v${typeVersion}-${webhookId.slice(0, 8)}`;
	return {
		path: `/webhook/${path}`,
		node: node('Webhook', 'n8n-nodes-base.webhook', typeVersion, 0, { httpMethod: 'POST', path, responseMode: 'onReceived', options }, { webhookId }),
	};
}

/** The Webhook node's version a user drops into a workflow today (n8n 2.41.1). */
export const WEBHOOK_VERSION = 2.1;

/** n8n's Webhook node (POST, answers at once) -> No Operation: no verification at all. */
export function plainWebhook(name, typeVersion = WEBHOOK_VERSION) {
	const { path, node: webhook } = webhookNode(typeVersion);
	return { name, path, nodes: [webhook, NO_OP(240)], connections: { Webhook: to('No Operation') } };
}

/** An IF (v2) that passes an item when `left` equals `right`; what a user puts after the signature check. */
function signatureIf(x, left, right) {
	return node('Signature OK?', 'n8n-nodes-base.if', 2.3, x, {
		conditions: {
			options: { caseSensitive: true, leftValue: '', typeValidation: 'strict', version: 2 },
			conditions: [{ id: randomUUID(), leftValue: left, rightValue: right, operator: { type: 'string', operation: 'equals' } }],
			combinator: 'and',
		},
		options: {},
	});
}

/**
 * Do it yourself, no code: Webhook (raw body on) -> Crypto v2 HMAC-SHA256 of the raw body with the
 * signing secret in a Crypto credential -> IF it equals the header -> No Operation. It accepts a
 * delivery only when the body on the wire is already the canonical form byte for byte (real
 * CatalystPay bodies are not). `credential` is what addCryptoCredential returned.
 */
export function diyCrypto(name, credential) {
	const { path, node: webhook } = webhookNode(WEBHOOK_VERSION, { rawBody: true });
	return {
		name,
		path,
		nodes: [
			webhook,
			node(
				'Crypto',
				'n8n-nodes-base.crypto',
				2,
				240,
				{ action: 'hmac', type: 'SHA256', binaryData: true, binaryPropertyName: 'data', dataPropertyName: 'expected', encoding: 'hex' },
				{ credentials: { crypto: credential } },
			),
			signatureIf(480, '={{ $json.expected }}', "={{ $json.headers['x-catalystpay-signature'] }}"),
			NO_OP(720),
		],
		connections: { Webhook: to('Crypto'), Crypto: to('Signature OK?'), 'Signature OK?': to('No Operation') },
	};
}

/**
 * Do it yourself in code: Webhook -> Code node running the integration guide's JavaScript sample
 * (sort keys, JSON.stringify, HMAC) -> IF valid -> No Operation. The Code node needs n8n's
 * NODE_FUNCTION_ALLOW_BUILTIN=crypto, as a user doing this sets.
 */
export function diyCode(name, secret) {
	const { path, node: webhook } = webhookNode(WEBHOOK_VERSION);
	const code = [
		"const crypto = require('crypto');",
		'function sortKeys(obj) {',
		"  if (typeof obj !== 'object' || obj === null) return obj;",
		'  if (Array.isArray(obj)) return obj.map(sortKeys);',
		'  return Object.keys(obj).sort().reduce((acc, key) => { acc[key] = sortKeys(obj[key]); return acc; }, {});',
		'}',
		'const canonical = JSON.stringify(sortKeys($json.body));',
		`const expected = crypto.createHmac('sha256', ${JSON.stringify(secret)}).update(canonical).digest('hex');`,
		"const signature = String($json.headers['x-catalystpay-signature'] ?? '');",
		'const valid = signature.length === expected.length && crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(signature));',
		'return { json: { ...$json, valid: String(valid) } };',
	].join('\n');
	return {
		name,
		path,
		nodes: [
			webhook,
			node('Code', 'n8n-nodes-base.code', 2, 240, { mode: 'runOnceForEachItem', jsCode: code }),
			signatureIf(480, '={{ $json.valid }}', 'true'),
			NO_OP(720),
		],
		connections: { Webhook: to('Code'), Code: to('Signature OK?'), 'Signature OK?': to('No Operation') },
	};
}
