/** Small helpers over Node's http module: bodies with a size limit, JSON and HTML answers. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export class BodyTooLarge extends Error {}

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of req) {
		size += (chunk as Buffer).length;
		if (size > limit) throw new BodyTooLarge(`The body is larger than ${limit} bytes`);
		chunks.push(chunk as Buffer);
	}
	return Buffer.concat(chunks);
}

/**
 * A JSON body as CatalystPay's API reads it (Python's json.loads on the bytes): strictly UTF-8. A
 * byte that is not UTF-8 is an error, not a U+FFFD in the customer's name. Throws a SyntaxError with
 * the message Python gives, as the JSON parse errors do.
 */
export function parseJsonBody(raw: Buffer): unknown {
	if (raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf) throw new SyntaxError('Unexpected UTF-8 BOM (decode using utf-8-sig)');
	let text: string;
	try {
		text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
	} catch {
		const at = firstNonUtf8Byte(raw);
		const lead = raw[at];
		const width = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
		const why = lead < 0xc2 || lead > 0xf4 ? 'invalid start byte' : at + width > raw.length ? 'unexpected end of data' : 'invalid continuation byte';
		throw new SyntaxError(`'utf-8' codec can't decode byte 0x${lead.toString(16).padStart(2, '0')} in position ${at}: ${why}`);
	}
	return JSON.parse(text) as unknown;
}

/** Where a byte sequence stops being UTF-8 (for the error message only). */
function firstNonUtf8Byte(raw: Buffer): number {
	const decoder = new TextDecoder('utf-8', { fatal: true });
	let good = 0;
	while (good < raw.length) {
		const width = raw[good] < 0x80 ? 1 : raw[good] >= 0xf0 ? 4 : raw[good] >= 0xe0 ? 3 : 2;
		try {
			decoder.decode(raw.subarray(good, good + width));
		} catch {
			return good;
		}
		good += width;
	}
	return Math.max(0, raw.length - 1);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	const text = JSON.stringify(body);
	res.writeHead(status, {
		'content-type': 'application/json',
		'content-length': Buffer.byteLength(text),
		...headers,
	});
	res.end(text);
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
	res.writeHead(status, {
		'content-type': 'text/html; charset=utf-8',
		'content-length': Buffer.byteLength(html),
		// The hosted page is a payment form: never cached, never framed.
		'cache-control': 'no-store',
		'x-frame-options': 'DENY',
	});
	res.end(html);
}

export function redirect(res: ServerResponse, location: string): void {
	res.writeHead(303, { location, 'content-length': 0 });
	res.end();
}

export function withQuery(url: string, name: string, value: string): string {
	const hash = url.indexOf('#');
	const base = hash >= 0 ? url.slice(0, hash) : url;
	const fragment = hash >= 0 ? url.slice(hash) : '';
	return `${base}${base.includes('?') ? '&' : '?'}${encodeURIComponent(name)}=${encodeURIComponent(value)}${fragment}`;
}
