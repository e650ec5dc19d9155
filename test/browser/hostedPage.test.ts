/**
 * The sandbox's hosted payment page in a real browser: Debian's Chromium, driven by playwright-core,
 * against a sandbox started in-process on a free loopback port. Sessions are created over real HTTP
 * with the sandbox's API key, as the CatalystPay node creates them; the campaign sends the customer
 * back to a small "shop" server on loopback, which also receives the signed webhooks.
 *
 * Screenshots of every state go to $SCREENSHOT_DIR (default: <tmp>/catalystpay-hosted-page/), to be
 * looked at when the page's markup or styles change.
 *
 * Needs /usr/bin/chromium: apt-get update && apt-get install -y chromium (see test/helpers/browser.ts).
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';

import type { Delivery, Sandbox, Session } from '../../sandbox/src';
import { launchBrowser } from '../helpers/browser';
import { createSessionViaApi, eventually, payOnHostedPage, startTestSandbox } from '../helpers/sandbox';

const SCREENSHOTS = process.env.SCREENSHOT_DIR || join(tmpdir(), 'catalystpay-hosted-page');

const PAYS = 'DE89 3704 0044 0532 0130 00';
const DECLINES = 'DE62370400440532013001';
const DECLINED_ONCE = 'DE35370400440532013002';
const HOLDER = 'Jürgen Müller';

const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };
const PHONE: BrowserContextOptions = {
	viewport: { width: 390, height: 844 },
	deviceScaleFactor: 2,
	isMobile: true,
	hasTouch: true,
};

interface ReceivedWebhook {
	headers: IncomingHttpHeaders;
	body: string;
}

/** The merchant's side: the campaign's success and failure URLs, and its webhook endpoint. */
interface Shop {
	url: string;
	webhooks: ReceivedWebhook[];
	close(): Promise<void>;
}

const escapeText = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function startShop(): Promise<Shop> {
	const webhooks: ReceivedWebhook[] = [];
	const server = createServer((req, res) => {
		const url = new URL(req.url ?? '/', 'http://shop');
		if (req.method === 'POST' && url.pathname === '/webhooks/catalystpay') {
			const chunks: Buffer[] = [];
			req.on('data', (chunk: Buffer) => chunks.push(chunk));
			req.on('end', () => {
				webhooks.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
				res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
			});
			return;
		}
		const pages: Record<string, string> = { '/checkout/thanks': 'Thank you for your order', '/checkout/sorry': 'Your payment did not go through' };
		if (req.method === 'GET' && pages[url.pathname]) {
			res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
				`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Coffee shop</title></head><body>` +
					`<h1 id="shop-result">${pages[url.pathname]}</h1>` +
					`<p>Reference <span id="shop-session">${escapeText(url.searchParams.get('session_token') ?? '')}</span></p></body></html>`,
			);
			return;
		}
		res.writeHead(404).end();
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		webhooks,
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}

let shop: Shop;
let sandbox: Sandbox;
let browser: Browser;

beforeAll(async () => {
	mkdirSync(SCREENSHOTS, { recursive: true });
	// The browser first: without Chromium nothing else is started, and nothing is left running.
	browser = await launchBrowser();
	shop = await startShop();
	sandbox = await startTestSandbox((config) => {
		const campaign = config.campaigns[0];
		campaign.successRedirectUrl = `${shop.url}/checkout/thanks?from=catalystpay`;
		campaign.failureRedirectUrl = `${shop.url}/checkout/sorry`;
		campaign.webhook.url = `${shop.url}/webhooks/catalystpay`;
	});
});

afterAll(async () => {
	await Promise.all([browser?.close(), sandbox?.close(), shop?.close()]);
});

/** Per test: a fresh context (no cookies, no cache), and everything the page did that it should not. */
let context: BrowserContext;
let page: Page;
let problems: string[];

async function openContext(options: BrowserContextOptions = DESKTOP): Promise<Page> {
	await context?.close();
	context = await browser.newContext(options);
	// Everything here takes milliseconds; a step that waits this long is a failure, named by Playwright.
	context.setDefaultTimeout(5000);
	const opened = await context.newPage();
	opened.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
	opened.on('console', (message) => {
		if (message.type() !== 'error' && message.type() !== 'warning') return;
		const { pathname } = new URL(message.location().url || 'about:blank');
		// Chrome logs every 4xx document (the form's 400s, 404s, 409s) as a console error; those are
		// the page's answers, not faults. So is the /favicon.ico it asks every server for.
		const answer = pathname.startsWith('/s/') || pathname === '/favicon.ico';
		if (answer && message.text().startsWith('Failed to load resource')) return;
		problems.push(`console ${message.type()}: ${message.text()}`);
	});
	// The page has no assets of its own and must load nothing from anywhere else.
	opened.on('request', (request) => {
		const url = new URL(request.url());
		if (url.origin !== sandbox.url && url.origin !== shop.url) problems.push(`request to ${request.url()}`);
	});
	return opened;
}

beforeEach(async () => {
	problems = [];
	page = await openContext();
});

afterEach(async () => {
	await context?.close();
	expect(problems).toEqual([]);
});

async function createSession(): Promise<{ session_token: string; payment_url: string }> {
	return await createSessionViaApi(sandbox);
}

async function getSession(token: string): Promise<Session> {
	const response = await fetch(`${sandbox.url}/api/v1/payment-sessions/${token}/`, {
		headers: { authorization: `Bearer ${sandbox.config.apiKey}` },
	});
	expect(response.status).toBe(200);
	return (await response.json()) as Session;
}

const deliveriesOf = (token: string, event?: string): Delivery[] =>
	[...sandbox.store.deliveries.values()].filter((d) => d.session_token === token && (event === undefined || d.event === event));

async function screenshot(name: string, target: Page = page): Promise<void> {
	await target.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * Submits the form and waits until the answer, a page at the same URL, has replaced the form (its
 * load event): before that, selectors would still find the old page's elements.
 */
async function submit(target: Page = page): Promise<number> {
	const [response] = await Promise.all([
		target.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.startsWith('/s/')),
		target.waitForEvent('load'),
		target.click('#pay'),
	]);
	return response.status();
}

const text = async (selector: string, target: Page = page) => ((await target.textContent(selector)) ?? '').trim();

describe('hosted payment page in Chromium', () => {
	test('shows the campaign, pays with a valid IBAN and returns to the success URL', async () => {
		const { session_token: token, payment_url: paymentUrl } = await createSession();
		expect(paymentUrl).toBe(`${sandbox.url}/s/${token}`);

		const response = await page.goto(paymentUrl);
		expect(response?.status()).toBe(200);
		expect(await page.title()).toBe('Pay €29.99 to Catalyst Coffee Club · CatalystPay Sandbox');
		expect(await text('.merchant')).toBe('Catalyst Coffee Club');
		expect(await text('#amount')).toBe('€29.99');
		expect(await page.isVisible('#sandbox-badge')).toBe(true);
		expect(await text('#sandbox-badge')).toBe('Sandbox');
		expect(await text('#pay')).toBe('Pay €29.99');
		// The lead's name is the likeliest account holder.
		expect(await page.inputValue('#account_holder')).toBe(HOLDER);
		// The header's logo and badge line up with the card below them.
		const edges = await page.evaluate(() => {
			const header = (document.querySelector('.brand-inner') as HTMLElement).getBoundingClientRect();
			const card = (document.querySelector('.card') as HTMLElement).getBoundingClientRect();
			return { left: header.left - card.left, right: header.right - card.right };
		});
		expect(edges).toEqual({ left: 0, right: 0 });
		await screenshot('payment-page-desktop');

		await page.fill('#iban', PAYS);
		await page.fill('#account_holder', HOLDER);
		await Promise.all([page.waitForURL((url) => url.pathname === '/checkout/thanks'), page.click('#pay')]);

		const final = new URL(page.url());
		expect(final.origin).toBe(shop.url);
		expect(final.searchParams.get('from')).toBe('catalystpay');
		expect(final.searchParams.get('session_token')).toBe(token);
		expect(await text('#shop-result')).toBe('Thank you for your order');
		expect(await text('#shop-session')).toBe(token);

		const session = await getSession(token);
		expect(session.status).toBe('COMPLETED');
		expect(session.order_number).toMatch(/^ORD-[0-9a-f]{8}$/);

		const delivery = await eventually(() =>
			deliveriesOf(token, 'payment_session.completed').find((d) => d.state === 'delivered'),
		);
		expect(JSON.parse(delivery.body)).toMatchObject({
			session_token: token,
			status: 'COMPLETED',
			order_number: session.order_number,
			amount: '29.99',
			currency: 'EUR',
			customer_name: HOLDER,
		});
		expect(deliveriesOf(token)).toHaveLength(1);
		const received = shop.webhooks.filter((w) => w.body === delivery.body);
		expect(received).toHaveLength(1);
		expect(received[0].headers['x-catalystpay-event']).toBe('payment_session.completed');
		expect(received[0].headers['x-catalystpay-signature']).toBe(delivery.signature);

		// Back from the shop: the page is fetched again (no-store) and shows the receipt, not the form.
		await page.goBack();
		expect(page.url()).toBe(paymentUrl);
		expect(await page.isVisible('#paid')).toBe(true);
		expect(await page.locator('#payment-form').count()).toBe(0);
		expect(await text('main')).toContain(session.order_number as string);
	});

	test('fits a phone screen', async () => {
		const { payment_url: paymentUrl } = await createSession();
		const phone = await openContext(PHONE);
		await phone.goto(paymentUrl);
		const layout = () =>
			phone.evaluate(() => {
				const iban = document.getElementById('iban') as HTMLInputElement;
				return {
					sideways: document.documentElement.scrollWidth > window.innerWidth,
					payBelowFold: (document.getElementById('pay') as HTMLElement).getBoundingClientRect().bottom > window.innerHeight,
					ibanClipped: iban.scrollWidth > iban.clientWidth,
				};
			});
		// No sideways scrolling, the pay button on the first screen, the placeholder whole.
		expect(await layout()).toEqual({ sideways: false, payBelowFold: false, ibanClipped: false });
		await screenshot('payment-page-mobile', phone);

		// A German IBAN, grouped as printed, fits its field on common phones (390 and 360 CSS pixels)...
		await phone.fill('#iban', PAYS);
		expect(await layout()).toEqual({ sideways: false, payBelowFold: false, ibanClipped: false });
		await phone.setViewportSize({ width: 360, height: 740 });
		expect(await layout()).toEqual({ sideways: false, payBelowFold: false, ibanClipped: false });
		// ...and the narrowest still in use (320) does not scroll sideways (the field scrolls instead).
		await phone.setViewportSize({ width: 320, height: 568 });
		expect((await layout()).sideways).toBe(false);
		await screenshot('payment-page-320', phone);
	});

	test.each([
		['wrong check digits', 'DE88 3704 0044 0532 0130 00', "This IBAN's check digits don't match the rest of it"],
		['wrong length', 'DE89 3704 0044 0532 0130 0', 'An IBAN from Germany has 22 characters; this one has 21.'],
	])('an IBAN with %s shows its error in the page and keeps what was typed', async (kind, iban, message) => {
		const { session_token: token, payment_url: paymentUrl } = await createSession();
		await page.goto(paymentUrl);
		await page.fill('#iban', iban);
		await page.fill('#account_holder', HOLDER);

		expect(await submit()).toBe(400);
		expect(page.url()).toBe(paymentUrl);
		expect(await text('#iban-error')).toContain(message);
		expect(await page.isVisible('#iban-error')).toBe(true);
		expect(await page.inputValue('#iban')).toBe(iban);
		expect(await page.inputValue('#account_holder')).toBe(HOLDER);
		expect(await page.getAttribute('#iban', 'aria-invalid')).toBe('true');
		expect(await page.getAttribute('#iban', 'aria-describedby')).toBe('iban-error');
		expect(await page.evaluate(() => document.activeElement?.id)).toBe('iban');
		// Focused (it is, at once), the field keeps its red rather than taking the brand colour's ring.
		expect(await page.$eval('#iban', (input) => getComputedStyle(input).outlineColor)).toBe('rgb(220, 38, 38)');
		expect(await page.isEnabled('#pay')).toBe(true);
		expect(await text('#pay')).toBe('Pay €29.99');
		if (kind === 'wrong check digits') await screenshot('error-state');

		const session = await getSession(token);
		expect(session.status).toBe('PENDING');
		expect(session.order_number).toBeNull();
		expect(deliveriesOf(token)).toEqual([]);

		// Corrected in place, the same page pays.
		await page.fill('#iban', PAYS);
		await Promise.all([page.waitForURL((url) => url.pathname === '/checkout/thanks'), page.click('#pay')]);
		expect((await getSession(token)).status).toBe('COMPLETED');
	});

	test('an empty form shows both field errors in the page, not the browser own bubbles', async () => {
		const { session_token: token, payment_url: paymentUrl } = await createSession();
		await page.goto(paymentUrl);
		await page.fill('#account_holder', '');
		expect(await submit()).toBe(400);
		expect(await text('#iban-error')).toBe('Please enter your IBAN.');
		expect(await text('#account_holder-error')).toBe('Enter the name of the account holder.');
		// Next to "Please enter your IBAN." the example IBAN in the placeholder would read as an entry.
		expect(await page.$eval('#iban', (input) => getComputedStyle(input, '::placeholder').color)).toBe('rgba(0, 0, 0, 0)');
		expect((await getSession(token)).status).toBe('PENDING');
		await screenshot('error-state-empty');
	});

	test('a declined IBAN ends on the failure URL, the session FAILED', async () => {
		const { session_token: token, payment_url: paymentUrl } = await createSession();
		await page.goto(paymentUrl);
		await page.fill('#iban', DECLINES);
		await Promise.all([page.waitForURL((url) => url.pathname === '/checkout/sorry'), page.click('#pay')]);

		const final = new URL(page.url());
		expect(final.origin).toBe(shop.url);
		expect(final.searchParams.get('session_token')).toBe(token);
		expect(await text('#shop-result')).toBe('Your payment did not go through');

		const session = await getSession(token);
		expect(session.status).toBe('FAILED');
		expect(session.order_number).toBeNull();
		const delivery = await eventually(() => deliveriesOf(token, 'payment_session.failed').find((d) => d.state === 'delivered'));
		expect(JSON.parse(delivery.body)).toMatchObject({ session_token: token, status: 'FAILED', order_number: null });
		expect(deliveriesOf(token, 'payment_session.completed')).toEqual([]);

		// The payment link now explains the failure and offers no form.
		await page.goto(paymentUrl);
		expect(await page.isVisible('#failed')).toBe(true);
		expect(await text('#failure-reason')).toBe('The payment did not go through: Insufficient funds.');
		expect(await page.locator('#payment-form').count()).toBe(0);
		await screenshot('failed-page');
	});

	test('a paid session says so and takes no second payment', async () => {
		const { session_token: token, payment_url: paymentUrl } = await createSession();
		expect((await payOnHostedPage(sandbox, token, PAYS)).status).toBe(303);
		const paid = await getSession(token);
		expect(paid.order_number).toMatch(/^ORD-/);

		expect((await page.goto(paymentUrl))?.status()).toBe(200);
		expect(await page.isVisible('#paid')).toBe(true);
		expect(await text('#paid')).toBe('This payment is complete');
		expect(await text('main')).toContain(paid.order_number as string);
		expect(await text('main')).toContain('€29.99');
		for (const selector of ['#payment-form', '#iban', '#account_holder', '#pay']) {
			expect(await page.locator(selector).count()).toBe(0);
		}
		await screenshot('paid-page');
		const phone = await openContext(PHONE);
		await phone.goto(paymentUrl);
		expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
		await screenshot('paid-page-mobile', phone);

		// A direct POST (a stale tab, a replayed request) is refused and changes nothing.
		const again = await payOnHostedPage(sandbox, token, 'AT61 1904 3002 3457 3201');
		expect(again.status).toBe(409);
		expect(await again.text()).toContain('This payment is complete');
		const after = await getSession(token);
		expect(after.order_number).toBe(paid.order_number);
		expect(after.completed_at).toBe(paid.completed_at);
		await eventually(() => deliveriesOf(token).length > 0 && deliveriesOf(token).every((d) => d.state !== 'pending'));
		expect(deliveriesOf(token, 'payment_session.completed')).toHaveLength(1);
	});

	test('a fast double click submits once and pays once', async () => {
		const { session_token: token, payment_url: paymentUrl } = await createSession();
		await page.goto(paymentUrl);
		await page.fill('#iban', PAYS);
		const posts: string[] = [];
		page.on('request', (request) => {
			if (request.method() === 'POST') posts.push(request.url());
		});
		// Two clicks in the same task: nothing (no timer, no navigation) can run between them.
		await Promise.all([
			page.waitForURL((url) => url.pathname === '/checkout/thanks'),
			page.evaluate(() => {
				const pay = document.getElementById('pay') as HTMLButtonElement;
				pay.click();
				pay.click();
			}),
		]);
		expect(posts).toEqual([paymentUrl]);
		expect(await text('#shop-result')).toBe('Thank you for your order');
		const session = await getSession(token);
		expect(session.status).toBe('COMPLETED');
		await eventually(() => deliveriesOf(token).length > 0);
		expect(deliveriesOf(token)).toHaveLength(1);
	});

	test('clicking again, double clicking or pressing Enter while the payment is in flight sends nothing more', async () => {
		const { session_token: token, payment_url: paymentUrl } = await createSession();
		await page.goto(paymentUrl);
		await page.fill('#iban', DECLINED_ONCE);
		const posts: string[] = [];
		page.on('request', (request) => {
			if (request.method() === 'POST') posts.push(request.url());
		});
		// Declined once, paid on the retry: the sandbox answers after the retry delay, a slow bank.
		const delay = sandbox.config.payments.retryDelayMs;
		sandbox.config.payments.retryDelayMs = 600;
		try {
			// While a navigation is pending Playwright defers page.evaluate, screenshots and selectors
			// until it commits, so the page reports its pay button's changes itself.
			const states: string[] = [];
			page.on('console', (message) => {
				if (message.text().startsWith('pay: ')) states.push(message.text().slice(5));
			});
			await page.evaluate(() => {
				const pay = document.getElementById('pay') as HTMLButtonElement;
				new MutationObserver(() => console.log(`pay: ${pay.disabled ? 'disabled' : 'enabled'} ${pay.textContent}`)).observe(pay, {
					attributes: true,
					childList: true,
					characterData: true,
					subtree: true,
				});
			});
			// Plain mouse and keyboard input: unlike page.click, it waits for nothing, as a customer doesn't.
			const middle = async (selector: string) => {
				const box = (await page.locator(selector).boundingBox()) as { x: number; y: number; width: number; height: number };
				return [box.x + box.width / 2, box.y + box.height / 2] as const;
			};
			const [payX, payY] = await middle('#pay');
			const [ibanX, ibanY] = await middle('#iban');
			await page.mouse.click(payX, payY);
			await eventually(() => states.includes('disabled Processing…'));
			await page.mouse.click(payX, payY);
			await page.mouse.dblclick(payX, payY);
			// Enter in a field submits a form implicitly, unless its submit button is disabled.
			await page.mouse.click(ibanX, ibanY);
			await page.keyboard.press('Enter');
			// A second POST would cancel the first in the browser and end on the sandbox's 409 page.
			await page.waitForURL((url) => url.pathname === '/checkout/thanks').catch((error: Error) => {
				throw new Error(`Never reached the shop: ${posts.length} POST(s) sent, the page is at ${page.url()}\n${error.message}`);
			});
			expect(posts).toEqual([paymentUrl]);
		} finally {
			sandbox.config.payments.retryDelayMs = delay;
		}
		expect(await text('#shop-result')).toBe('Thank you for your order');
		expect((await getSession(token)).status).toBe('COMPLETED');
		expect(sandbox.store.sessions.get(token)?.attempts).toBe(2);
		await eventually(() => deliveriesOf(token).length > 0);
		expect(deliveriesOf(token)).toHaveLength(1);
	});

	test('two concurrent POSTs pay once', async () => {
		const { session_token: token } = await createSession();
		// Declined once, paid on the retry: the first payment stays in flight for the retry delay.
		const delay = sandbox.config.payments.retryDelayMs;
		sandbox.config.payments.retryDelayMs = 300;
		let answers: Response[];
		try {
			answers = await Promise.all([
				payOnHostedPage(sandbox, token, DECLINED_ONCE),
				payOnHostedPage(sandbox, token, DECLINED_ONCE),
			]);
		} finally {
			sandbox.config.payments.retryDelayMs = delay;
		}
		expect(answers.map((a) => a.status).sort()).toEqual([303, 409]);
		const refused = answers.find((a) => a.status === 409) as Response;
		expect(await refused.text()).toContain('This payment is already being processed');

		const session = await getSession(token);
		expect(session.status).toBe('COMPLETED');
		// One payment: declined once, paid on the retry. A second one would have made more attempts.
		expect(sandbox.store.sessions.get(token)?.attempts).toBe(2);
		await eventually(() => deliveriesOf(token).length > 0);
		expect(deliveriesOf(token)).toHaveLength(1);
	});

	test('the test IBAN list fills the field with one click', async () => {
		const { payment_url: paymentUrl } = await createSession();
		await page.goto(paymentUrl);
		await page.click('#test-ibans summary');
		await page.click(`#test-ibans .use[data-iban="${DECLINES}"]`);
		expect(await page.inputValue('#iban')).toBe(DECLINES);
		expect(await page.evaluate(() => document.activeElement?.id)).toBe('iban');
		await screenshot('test-ibans-open');
	});

	test('an unknown payment link shows the not-found page', async () => {
		const response = await page.goto(`${sandbox.url}/s/ps_doesnotexist`);
		expect(response?.status()).toBe(404);
		expect(await page.isVisible('#not-found')).toBe(true);
		await screenshot('not-found');
	});
});
