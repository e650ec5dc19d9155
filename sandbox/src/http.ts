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
