/**
 * The sandbox: CatalystPay's payment-session API, its hosted payment page and its signed webhooks,
 * on one loopback port, plus a small admin API under /_sandbox/ for the CLI and tests.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { decodedSegment, faultChanges, isLoopbackHost, patchedCampaign, resendTarget } from './adminInput';
import type { SandboxConfig } from './config';
import { publicUrlOf } from './config';
import { FaultInjector } from './faults';
import { renderFailedPage, renderNotFoundPage, renderPaidPage, renderPaymentPage } from './hostedPage';
import { BodyTooLarge, parseJsonBody, readBody, redirect, sendHtml, sendJson, withQuery } from './http';
import { checkIban, maskIban, TEST_IBANS } from './iban';
import type { Campaign, Session } from './model';
import { newOrderNumber, newSession, publicSession, validateCreate } from './sessions';
import { Store } from './store';
import { WebhookSender } from './webhooks';
import { renderDonePage } from './donePage';

const API_BODY_LIMIT = 1024 * 1024;
const SESSIONS_PATH = /^\/api\/v1\/payment-sessions\/?$/;
const SESSION_PATH = /^\/api\/v1\/payment-sessions\/([^/]+)\/?$/;
const PAGE_PATH = /^\/s\/([^/]+)\/?$/;

/** What the API saw, for tests and benchmarks to compare with what the client did. */
export interface ApiStats {
	requests: number;
	creates: number;
	inFlight: number;
	maxInFlight: number;
}

export interface Sandbox {
	url: string;
	stats: ApiStats;
	config: SandboxConfig;
	store: Store;
	webhooks: WebhookSender;
	faults: FaultInjector;
	campaigns: Map<string, Campaign>;
	close(): Promise<void>;
}

export async function startSandbox(config: SandboxConfig, log: (line: string) => void = () => {}): Promise<Sandbox> {
	const store = new Store(config.dataDir);
	const faults = new FaultInjector(config.faults);
	const webhooks = new WebhookSender(config, store, log);
	const campaigns = new Map(config.campaigns.map((campaign) => [campaign.id.toLowerCase(), campaign]));
	/** Sessions whose payment is being processed: a second submit must not pay twice. */
	const paying = new Set<string>();
	const stats: ApiStats = { requests: 0, creates: 0, inFlight: 0, maxInFlight: 0 };
	let publicUrl = '';
	// Anyone who reaches the port could otherwise change faults or make the sandbox sign whatever it is
	// asked to: beyond loopback, the admin API wants a token.
	if (!isLoopbackHost(config.host) && !config.adminToken) config.adminToken = randomBytes(18).toString('base64url');
	const adminToken = isLoopbackHost(config.host) ? null : config.adminToken;

	const server = createServer((req, res) => {
		const started = Date.now();
		res.on('finish', () => {
			// Method, path and status only: headers carry the API key.
			if (config.verbose) log(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`);
		});
		handle(req, res).catch((error: unknown) => {
			if (error instanceof BodyTooLarge) return sendJson(res, 413, { detail: error.message });
			log(`internal error on ${req.method} ${req.url}: ${(error as Error).stack ?? String(error)}`);
			if (!res.headersSent) sendJson(res, 500, { detail: 'Sandbox internal error.' });
			else res.destroy();
		});
	});

	async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', 'http://sandbox');
		const path = url.pathname;
		if (path.startsWith('/api/')) {
			stats.requests++;
			stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
			try {
				return await api(req, res, path);
			} finally {
				stats.inFlight--;
			}
		}

		const page = PAGE_PATH.exec(path);
		if (page) {
			const token = decodedSegment(page[1]);
			if (token === undefined) return sendJson(res, 400, { detail: `The URL has a malformed % escape: ${page[1]}` });
			if (req.method === 'GET') return showPage(res, token);
			if (req.method === 'POST') return await pay(req, res, token);
			return sendJson(res, 405, { detail: `Method "${req.method}" not allowed.` });
		}
		if (req.method === 'GET' && (path === '/done/success' || path === '/done/failure')) {
			const session = store.sessions.get(url.searchParams.get('session_token') ?? '');
			return sendHtml(res, 200, renderDonePage(path.endsWith('success'), session));
		}
		if (path === '/_sandbox' || path.startsWith('/_sandbox/')) return await admin(req, res, path);
		if (path === '/favicon.ico') {
			// Browsers ask every page for one; "none" without a 404 in their console.
			res.writeHead(204);
			res.end();
			return;
		}
		if (path === '/' && req.method === 'GET') {
			return sendJson(res, 200, {
				sandbox: 'CatalystPay sandbox',
				api: `${publicUrl}/api/v1/payment-sessions/`,
				campaigns: [...campaigns.values()].map((campaign) => campaign.id),
				deliveries: `${publicUrl}/_sandbox/deliveries`,
			});
		}
		return sendJson(res, 404, { detail: 'Not found.' });
	}

	function authError(req: IncomingMessage, required: boolean): { status: number; detail: string } | null {
		const header = req.headers.authorization;
		if (header === undefined) {
			return required ? { status: 401, detail: 'Authentication credentials were not provided.' } : null;
		}
		const match = /^Bearer\s+(.+)$/i.exec(header.trim());
		if (!match || match[1] !== config.apiKey) return { status: 401, detail: 'Invalid API key.' };
		return null;
	}

	async function api(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
		await faults.gather();
		const fault = faults.decide();
		if (fault.delayMs > 0) await sleep(fault.delayMs);
		if (fault.kind === 'drop') {
			req.socket.destroy();
			return;
		}
		if (fault.kind === 'rate-limit') {
			return sendJson(
				res,
				429,
				{ detail: `Request was throttled. Expected available in ${fault.retryAfterSeconds} seconds.` },
				{ 'retry-after': String(fault.retryAfterSeconds) },
			);
		}
		const injected = fault.kind === 'error' ? fault : null;
		if (injected && !injected.after) {
			return sendJson(res, injected.status, { detail: 'Server error (injected by the sandbox).' });
		}
		// With an error injected "after", the request is carried out and only its answer is lost.
		const respond = (status: number, body: unknown) =>
			injected
				? sendJson(res, injected.status, { detail: 'Server error (injected by the sandbox).' })
				: sendJson(res, status, body);

		if (SESSIONS_PATH.test(path)) {
			if (req.method !== 'POST') return respond(405, { detail: `Method "${req.method}" not allowed.` });
			const denied = authError(req, true);
			if (denied) return respond(denied.status, { detail: denied.detail });
			const raw = await readBody(req, API_BODY_LIMIT);
			// As in Django REST framework: an empty body is empty data (and fails validation), not a parse error.
			let body: unknown = {};
			if (raw.length > 0) {
				const type = req.headers['content-type'] ?? '';
				if (!/^application\/json\b/i.test(type)) {
					return respond(415, { detail: `Unsupported media type "${type}" in request.` });
				}
				try {
					body = parseJsonBody(raw);
				} catch (error) {
					return respond(400, { detail: `JSON parse error - ${(error as Error).message}` });
				}
			}
			const checked = validateCreate(body, campaigns);
			if ('errors' in checked) return respond(400, checked.errors);
			const session = newSession(checked.campaign, checked.lead, checked.extra, publicUrl);
			stats.creates++;
			store.save({ sessions: [session] });
			return respond(201, {
				session_token: session.session_token,
				status: session.status,
				payment_url: session.payment_url,
			});
		}
		const one = SESSION_PATH.exec(path);
		if (one) {
			if (req.method !== 'GET') return respond(405, { detail: `Method "${req.method}" not allowed.` });
			// CatalystPay's integration guide reads sessions without a key; a key that is sent must still be the right one.
			const denied = authError(req, false);
			if (denied) return respond(denied.status, { detail: denied.detail });
			const token = decodedSegment(one[1]);
			if (token === undefined) return respond(400, { detail: `The URL has a malformed % escape: ${one[1]}` });
			const session = store.sessions.get(token);
			if (!session) return respond(404, { detail: 'Not found.' });
			return respond(200, publicSession(session));
		}
		return respond(404, { detail: 'Not found.' });
	}

	function campaignOf(session: Session): Campaign {
		return campaigns.get(session.campaign_id.toLowerCase()) as Campaign;
	}

	function showPage(res: ServerResponse, token: string): void {
		const session = store.sessions.get(token);
		if (!session) return sendHtml(res, 404, renderNotFoundPage(token));
		const campaign = campaignOf(session);
		if (session.status === 'COMPLETED') return sendHtml(res, 200, renderPaidPage({ session, campaign }));
		if (session.status === 'FAILED') return sendHtml(res, 200, renderFailedPage({ session, campaign }));
		return sendHtml(res, 200, renderPaymentPage({ session, campaign }));
	}

	async function pay(req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
		const session = store.sessions.get(token);
		if (!session) return sendHtml(res, 404, renderNotFoundPage(token));
		const campaign = campaignOf(session);
		const form = new URLSearchParams((await readBody(req, 64 * 1024)).toString('utf8'));
		if (session.status === 'COMPLETED') return sendHtml(res, 409, renderPaidPage({ session, campaign }));
		if (session.status === 'FAILED') return sendHtml(res, 409, renderFailedPage({ session, campaign }));

		const values = { iban: form.get('iban') ?? '', account_holder: form.get('account_holder') ?? '' };
		const errors: { iban?: string; account_holder?: string; form?: string } = {};
		if (values.account_holder.trim() === '') errors.account_holder = 'Enter the name of the account holder.';
		const iban = checkIban(values.iban);
		if (!iban.ok) errors.iban = iban.problem;
		if (paying.has(token)) errors.form = 'This payment is already being processed. Please wait.';
		if (errors.iban || errors.account_holder || errors.form || !iban.ok) {
			return sendHtml(res, errors.form ? 409 : 400, renderPaymentPage({ session, campaign, values, errors }));
		}

		paying.add(token);
		try {
			const outcome = TEST_IBANS[iban.iban]?.outcome ?? 'pay';
			let paid = false;
			for (let attempt = 1; attempt <= config.payments.attempts; attempt++) {
				session.attempts++;
				paid = outcome === 'pay' || (outcome === 'decline-once' && attempt > 1);
				if (paid) break;
				if (attempt < config.payments.attempts) await sleep(config.payments.retryDelayMs);
			}
			// The new status and its webhook are decided together: the delivery is made (and signed) from the
			// session as it will be before the session changes, so an error in between changes nothing.
			const changes: Partial<Session> = {
				account_holder: values.account_holder.trim(),
				iban_last4: maskIban(iban.iban),
				completed_at: new Date().toISOString(),
				...(paid
					? { status: 'COMPLETED' as const, order_number: newOrderNumber() }
					: { status: 'FAILED' as const, failure_reason: TEST_IBANS[iban.iban]?.reason ?? 'Payment declined' }),
			};
			const delivery = webhooks.prepareForSession(paid ? 'payment_session.completed' : 'payment_session.failed', { ...session, ...changes }, campaign);
			Object.assign(session, changes);
			// One journal line for both, written before the customer's answer: a kill can never leave a
			// paid session without the webhook that announces it.
			store.save({ sessions: [session], deliveries: delivery ? [delivery] : [] });
			if (delivery) webhooks.dispatch(delivery);
			const target = paid
				? campaign.successRedirectUrl || `${publicUrl}/done/success`
				: campaign.failureRedirectUrl || `${publicUrl}/done/failure`;
			return redirect(res, withQuery(target, 'session_token', session.session_token));
		} finally {
			paying.delete(token);
		}
	}

	function adminAllowed(req: IncomingMessage): boolean {
		if (adminToken === null) return true;
		const sent = Buffer.from(String(req.headers.authorization ?? ''));
		const expected = Buffer.from(`Bearer ${adminToken}`);
		return sent.length === expected.length && timingSafeEqual(sent, expected);
	}

	async function admin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
		if (!adminAllowed(req)) {
			return sendJson(res, 401, {
				detail: 'The sandbox listens beyond loopback, so its admin API needs Authorization: Bearer <admin token> (printed at start, or set with --admin-token).',
			});
		}
		const parts = path.split('/').filter(Boolean).slice(1);
		const json = async (): Promise<Record<string, unknown>> => {
			const raw = await readBody(req, API_BODY_LIMIT);
			return raw.toString('latin1').trim() === '' ? {} : (parseJsonBody(raw) as Record<string, unknown>);
		};
		const [section, id, action] = parts;
		try {
			if (section === 'deliveries' && req.method === 'GET' && id === undefined) {
				return sendJson(res, 200, [...store.deliveries.values()].reverse());
			}
			if (section === 'deliveries' && id !== undefined && req.method === 'GET' && action === undefined) {
				const delivery = store.deliveries.get(id);
				return delivery ? sendJson(res, 200, delivery) : sendJson(res, 404, { detail: `No delivery ${id}.` });
			}
			if (section === 'deliveries' && id !== undefined && action === 'resend' && req.method === 'POST') {
				const target = resendTarget(await json());
				if (!target.ok) return sendJson(res, 400, target.problems);
				const delivery = webhooks.resend(id, target.value);
				return delivery ? sendJson(res, 202, delivery) : sendJson(res, 404, { detail: `No delivery ${id}.` });
			}
			if (section === 'trigger' && req.method === 'POST') {
				const body = await json();
				return trigger(res, body);
			}
			if (section === 'faults') {
				if (req.method === 'PUT' || req.method === 'PATCH') {
					const changes = faultChanges(await json());
					return changes.ok ? sendJson(res, 200, faults.update(changes.value)) : sendJson(res, 400, changes.problems);
				}
				return sendJson(res, 200, { settings: faults.current, injected: faults.counts });
			}
			if (section === 'campaigns' && req.method === 'GET') return sendJson(res, 200, [...campaigns.values()]);
			if (section === 'campaigns' && id !== undefined && req.method === 'PATCH') {
				const campaign = campaigns.get(id.toLowerCase());
				if (!campaign) return sendJson(res, 404, { detail: `No campaign ${id}.` });
				const patched = patchedCampaign(campaign, await json());
				if (!patched.ok) return sendJson(res, 400, patched.problems);
				Object.assign(campaign, patched.value);
				return sendJson(res, 200, campaign);
			}
			if (section === 'sessions' && req.method === 'GET') {
				return sendJson(res, 200, [...store.sessions.values()].map(publicSession).reverse());
			}
		} catch (error) {
			if (error instanceof SyntaxError) return sendJson(res, 400, { detail: `JSON parse error - ${error.message}` });
			throw error;
		}
		return sendJson(res, 404, { detail: 'Not found.' });
	}

	function trigger(res: ServerResponse, body: Record<string, unknown>): void {
		const event = typeof body.event === 'string' ? body.event : '';
		if (event === '') return sendJson(res, 400, { event: ['This field is required.'] });
		const campaign = campaigns.values().next().value as Campaign;
		const to = typeof body.to === 'string' && body.to !== '' ? body.to : campaign.webhook.url;
		if (!to) return sendJson(res, 400, { to: ['No URL given and the campaign has no webhook URL.'] });
		const token = typeof body.session_token === 'string' ? body.session_token : null;
		const session = token ? store.sessions.get(token) : undefined;
		const payload = body.data !== undefined ? body.data : examplePayload(event, session, campaign);
		const sessionToken = (payload as { session_token?: unknown } | null)?.session_token;
		const delivery = webhooks.send(event, to, payload, typeof sessionToken === 'string' ? sessionToken : null);
		return sendJson(res, 202, delivery);
	}

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(config.port, config.host, () => {
			server.off('error', reject);
			resolve();
		});
	});
	publicUrl = publicUrlOf(config, (server.address() as AddressInfo).port);
	webhooks.resumePending();

	return {
		url: publicUrl,
		stats,
		config,
		store,
		webhooks,
		faults,
		campaigns,
		async close() {
			await new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			});
			await webhooks.close();
			store.compact();
		},
	};
}

/** A believable payload for `trigger`, from a real session when one is named. */
export function examplePayload(event: string, session: Session | undefined, campaign: Campaign): Record<string, unknown> {
	const failed = event.endsWith('.failed');
	return {
		session_token: session?.session_token ?? 'ps_abc123def456ghi789jkl012mno345',
		status: session?.status ?? (failed ? 'FAILED' : 'COMPLETED'),
		order_number: session ? session.order_number : failed ? null : 'ORD-a1b2c3d4',
		amount: session?.amount ?? campaign.offer.amount,
		currency: session?.currency ?? campaign.offer.currency,
		email: session?.lead.email ?? 'max@example.com',
		customer_name: session ? `${session.lead.first_name} ${session.lead.last_name}` : 'Jürgen Müller',
	};
}
