// The deliveries the webhook benchmarks send: payloads as CatalystPay's Python sender writes them,
// signed with the package's own sign().
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { sign } = require(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'index.js'));

export const CAMPAIGN_ID = 'a1b2c3d4-e5f6-7890-abcd-ef1234567890';

const asciiEscaped = (s) => JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** json.dumps(obj) with Python's defaults (", " and ": ", \u escapes), for flat objects of strings and numbers. */
export function pythonDumps(object) {
	return `{${Object.entries(object)
		.map(([key, value]) => `${asciiEscaped(key)}: ${typeof value === 'string' ? asciiEscaped(value) : JSON.stringify(value)}`)
		.join(', ')}}`;
}

/** The canonical form CatalystPay signs (sorted keys, compact), for flat objects of strings and numbers. */
export function canonicalDumps(object) {
	return `{${Object.keys(object)
		.sort()
		.map((key) => `${asciiEscaped(key)}:${typeof object[key] === 'string' ? asciiEscaped(object[key]) : JSON.stringify(object[key])}`)
		.join(',')}}`;
}

export const UMLAUT_NAMES = [
	['Jürgen', 'Müller'],
	['Zoë', 'Lefèvre'],
	['Ólafur', 'Þórsson'],
	['Renée', 'Dvořák'],
];
export const ASCII_NAMES = [
	['Max', 'Mustermann'],
	['Erika', 'Musterfrau'],
	['John', 'Smith'],
	['Ada', 'Lovelace'],
];

const sessionToken = () => `ps_${randomBytes(20).toString('hex').slice(0, 30)}`;

/** A payment_session.completed payload as a webhook profile maps it: distinct per n, about 350 bytes. */
export function payload(n, { names = UMLAUT_NAMES, session } = {}) {
	const [first, last] = names[n % names.length];
	return {
		session_token: session?.token ?? sessionToken(),
		status: 'COMPLETED',
		order_number: session?.orderNumber ?? `ORD-${randomBytes(4).toString('hex')}`,
		amount: '29.99',
		currency: 'EUR',
		email: session?.email ?? `lead-${n}-${randomBytes(3).toString('hex')}@example.com`,
		first_name: first,
		last_name: last,
		customer_name: `${first} ${last}`,
		country: 'DE',
		campaign_id: CAMPAIGN_ID,
		completed_at: new Date(Date.UTC(2026, 10, 24, 12, 0, n % 60)).toISOString(),
	};
}

/** A delivery as CatalystPay sends it: the body, its headers, and a signature made with `secret`. */
export function delivery(body, secret) {
	return {
		body,
		headers: {
			'content-type': 'application/json',
			'user-agent': 'CatalystPay-Webhooks/1.0',
			'x-catalystpay-event': 'payment_session.completed',
			'x-catalystpay-signature': sign(body, secret),
			'x-catalystpay-delivery': `dlv_${randomBytes(12).toString('hex')}`,
		},
	};
}
