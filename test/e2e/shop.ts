/**
 * The user's shop, as a workflow's HTTP Request nodes reach it over loopback: a checkpoint that can
 * hold requests open (so executions stand in the middle of the workflow, counted, when n8n is killed)
 * and a ship endpoint that counts the orders shipped per payment and fails the next N by count. What
 * the exactly-once tests assert is what this shop saw, never timing.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { QueueStack, Stack } from './stack';
import { addWorkflow } from './stack';

export interface Shop {
	url: string;
	/** While on, /checkpoint requests are held open (executions wait there); off lets the held ones and later ones through. */
	holdCheckpoints(on: boolean): void;
	/** Requests held at the checkpoint right now. */
	held(): number;
	/** The next `count` ship requests answer 500, as a shipping API that is down would. */
	failNextShips(count: number): void;
	/** Orders shipped (answered 200) for a session. */
	shipped(token: string): number;
	/** Ship requests for a session, failed ones included. */
	shipAttempts(token: string): number;
	/** The deliveryIds the shipped orders carried, per session (the idempotency key a real API would get). */
	deliveryIds(token: string): string[];
	close(): Promise<void>;
}

async function bodyOf(req: IncomingMessage): Promise<Record<string, unknown>> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	try {
		return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
	} catch {
		return {};
	}
}

export async function startShop(): Promise<Shop> {
	let holding = false;
	const held = new Map<ServerResponse, Record<string, unknown>>();
	let failing = 0;
	const shipped = new Map<string, string[]>();
	const attempts = new Map<string, number>();

	const reply = (res: ServerResponse, status: number, body: unknown) => {
		res.writeHead(status, { 'content-type': 'application/json' });
		res.end(JSON.stringify(body));
	};
	const server = createServer((req, res) => {
		void (async () => {
			const body = await bodyOf(req);
			const token = typeof body.session_token === 'string' ? body.session_token : '';
			if (req.url === '/checkpoint') {
				if (!holding) return reply(res, 200, body);
				held.set(res, body);
				res.on('close', () => held.delete(res));
				return;
			}
			if (req.url === '/ship') {
				attempts.set(token, (attempts.get(token) ?? 0) + 1);
				if (failing > 0) {
					failing--;
					return reply(res, 500, { error: 'shipping is down' });
				}
				shipped.set(token, [...(shipped.get(token) ?? []), String(body.deliveryId)]);
				return reply(res, 200, { shipped: token });
			}
			reply(res, 404, { error: 'not found' });
		})();
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		holdCheckpoints: (on) => {
			holding = on;
			if (on) return;
			// Whoever still waits (an n8n that was killed no longer does) goes on.
			for (const [res, body] of held) if (!res.destroyed) reply(res, 200, body);
			held.clear();
		},
		held: () => held.size,
		failNextShips: (count) => {
			failing = count;
		},
		shipped: (token) => shipped.get(token)?.length ?? 0,
		shipAttempts: (token) => attempts.get(token) ?? 0,
		deliveryIds: (token) => shipped.get(token) ?? [],
		close: async () => {
			for (const res of held.keys()) res.destroy();
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

export const SHIPPING_TRIGGER = 'CatalystPay webhook';

/**
 * Publishes "ship a paid order": the CatalystPay Trigger (version 2, answering when the workflow has
 * finished, confirming the session) -> HTTP Request to the shop's checkpoint -> HTTP Request that
 * ships, with the session token and deliveryId. Returns its production webhook URL.
 */
export async function addShippingWorkflow(
	stack: Stack | QueueStack,
	shop: Shop,
	{ name, idPrefix }: { name: string; idPrefix: string },
): Promise<{ id: string; url: string; path: string }> {
	const id = (n: number) => `${idPrefix}0000000-0000-4000-8000-00000000000${n}`;
	const webhookId = `${idPrefix}0000000-0000-4000-8000-0000000000a1`;
	const post = (path: string, jsonBody: string) => ({
		method: 'POST',
		url: `${shop.url}${path}`,
		sendBody: true,
		specifyBody: 'json',
		jsonBody,
		options: { timeout: 300_000 },
	});
	const { id: workflowId } = await addWorkflow(
		stack,
		{
			name,
			nodes: [
				{
					id: id(1),
					name: SHIPPING_TRIGGER,
					type: 'n8n-nodes-catalystpay.catalystPayTrigger',
					typeVersion: 2,
					position: [0, 0],
					webhookId,
					parameters: { events: ['payment_session.completed'], respond: 'whenFinished', confirmSessionStatus: true },
					credentials: { catalystPayApi: { id: stack.credential.id, name: stack.credential.name } },
				},
				{
					id: id(2),
					name: 'Checkpoint',
					type: 'n8n-nodes-base.httpRequest',
					typeVersion: 4.2,
					position: [250, 0],
					parameters: post('/checkpoint', '={{ JSON.stringify({ session_token: $json.payload.session_token, deliveryId: $json.deliveryId }) }}'),
				},
				{
					id: id(3),
					name: 'Ship the order',
					type: 'n8n-nodes-base.httpRequest',
					typeVersion: 4.2,
					position: [500, 0],
					parameters: post('/ship', '={{ JSON.stringify({ session_token: $json.session_token, deliveryId: $json.deliveryId }) }}'),
				},
			],
			connections: {
				[SHIPPING_TRIGGER]: { main: [[{ node: 'Checkpoint', type: 'main', index: 0 }]] },
				Checkpoint: { main: [[{ node: 'Ship the order', type: 'main', index: 0 }]] },
			},
		},
		[`/webhook/${webhookId}/webhook`],
	);
	const path = `/webhook/${webhookId}/webhook`;
	return { id: workflowId, url: `${stack.n8nUrl}${path}`, path };
}
