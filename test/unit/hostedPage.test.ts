import {
	escapeHtml,
	formatAmount,
	renderFailedPage,
	renderNotFoundPage,
	renderPaidPage,
	renderPaymentPage,
} from '../../sandbox/src/hostedPage';
import { TEST_IBANS, formatIban } from '../../sandbox/src/iban';
import type { Campaign, Session } from '../../sandbox/src/model';

const HOSTILE = '<script>alert("pwned")</script>';

function campaign(overrides: Partial<Campaign> = {}): Campaign {
	return {
		id: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890',
		name: 'Catalyst Coffee Club',
		brandColor: '#0e5a8a',
		offer: { description: 'Monthly coffee subscription, first month', amount: '29.99', currency: 'EUR' },
		successRedirectUrl: 'https://shop.example/thanks?order=1',
		failureRedirectUrl: 'https://shop.example/sorry',
		webhook: { url: null, fields: ['session_token', 'status'] },
		...overrides,
	};
}

function session(overrides: Partial<Session> = {}): Session {
	return {
		session_token: 'ps_abc123def456ghi789jkl012mno345',
		campaign_id: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890',
		status: 'PENDING',
		amount: '29.99',
		currency: 'EUR',
		order_number: null,
		payment_url: 'http://127.0.0.1:4010/s/ps_abc123def456ghi789jkl012mno345',
		lead: { first_name: 'Max', last_name: 'Mustermann', email: 'max@example.com', country: 'DE' },
		extra: {},
		created_at: '2025-01-15T10:00:00.000Z',
		completed_at: null,
		failure_reason: null,
		attempts: 0,
		account_holder: null,
		iban_last4: null,
		...overrides,
	};
}

const paidSession = (overrides: Partial<Session> = {}): Session =>
	session({
		status: 'COMPLETED',
		order_number: 'ORD-a1b2c3d4',
		completed_at: '2025-01-15T10:02:03.000Z',
		attempts: 1,
		account_holder: 'Max Mustermann',
		iban_last4: '**** **** **** **** **30 00',
		...overrides,
	});

const failedSession = (overrides: Partial<Session> = {}): Session =>
	session({ status: 'FAILED', failure_reason: 'Insufficient funds', attempts: 3, ...overrides });

/** The opening tag of the element with this id; attribute values are escaped, so ">" ends the tag. */
function tagWithId(html: string, id: string): string {
	const match = new RegExp(`<[a-z]+\\b[^>]*\\bid="${id}"[^>]*>`).exec(html);
	if (!match) throw new Error(`no element with id="${id}"`);
	return match[0];
}

function attribute(tag: string, name: string): string | null {
	const match = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
	return match ? match[1] : null;
}

function textOfId(html: string, id: string): string {
	const match = new RegExp(`<([a-z0-9]+)\\b[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</\\1>`).exec(html);
	if (!match) throw new Error(`no element with id="${id}"`);
	return match[2];
}

const VOID = new Set(['meta', 'input', 'br', 'hr', 'img', 'link']);

/** Every non-void element closed, in order; style and script bodies are raw text, so skipped. */
function expectWellNested(html: string): void {
	const stripped = html.replace(/<(style|script)\b[^>]*>[\s\S]*?<\/\1>/g, '<$1></$1>');
	const stack: string[] = [];
	for (const [, closing, name] of stripped.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>/g)) {
		const tag = name.toLowerCase();
		if (VOID.has(tag)) continue;
		if (closing) expect(`</${stack.pop() ?? '(nothing open)'}>`).toBe(`</${tag}>`);
		else stack.push(tag);
	}
	expect(stack).toEqual([]);
}

function expectCompleteDocument(html: string): void {
	expect(html.startsWith('<!doctype html>')).toBe(true);
	expect(html.trimEnd().endsWith('</html>')).toBe(true);
	expect(html).toContain('<meta charset="utf-8">');
	expect(html).toContain('name="viewport"');
	// No external assets: nothing to fetch, no stylesheet or script from elsewhere.
	expect(html).not.toMatch(/<link\b/);
	expect(html).not.toMatch(/<[a-z][^>]*\ssrc=/);
	expect(html).not.toMatch(/url\(|@import/);
	expectWellNested(html);
}

describe('escapeHtml', () => {
	test('escapes the five characters that matter in text and quoted attributes', () => {
		expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe(
			'&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
		);
	});

	test('turns non-strings into text rather than throwing', () => {
		expect(escapeHtml(null)).toBe('');
		expect(escapeHtml(undefined)).toBe('');
		expect(escapeHtml(42)).toBe('42');
		expect(escapeHtml({ toString: () => '<x>' })).toBe('');
	});
});

describe('formatAmount', () => {
	test.each([
		['29.99', 'EUR', '€29.99'],
		['29.9', 'EUR', '€29.90'],
		['1234.5', 'USD', '$1,234.50'],
		['2999', 'JPY', '¥2,999'],
		['10', 'chf', 'CHF 10.00'],
	])('%s %s reads %s', (amount, currency, expected) => {
		expect(formatAmount(amount, currency).replace(/\u00a0/g, ' ')).toBe(expected);
	});

	test('keeps a decimal string exact rather than rounding it through a float', () => {
		expect(formatAmount('12345678901234567.89', 'EUR')).toBe('€12,345,678,901,234,567.89');
	});

	test('falls back to the plain amount for an unknown currency or a malformed amount', () => {
		expect(formatAmount('29.99', 'EURO')).toBe('29.99 EURO');
		expect(formatAmount('29,99', 'EUR')).toBe('29,99 EUR');
	});
});

describe('renderPaymentPage', () => {
	const page = renderPaymentPage({ session: session(), campaign: campaign() });

	test('is a complete, self-contained document', () => {
		expectCompleteDocument(page);
	});

	test('shows the brand, offer, amount, customer and a sandbox badge', () => {
		expect(page).toContain('--brand:#0e5a8a');
		expect(page).toContain('Catalyst Coffee Club');
		expect(page).toContain('Monthly coffee subscription, first month');
		expect(textOfId(page, 'amount')).toBe('€29.99');
		expect(page).toContain('Max Mustermann');
		expect(textOfId(page, 'sandbox-badge')).toBe('Sandbox');
		expect(page).toMatch(/<title>[^<]*Sandbox[^<]*<\/title>/);
	});

	test('posts the form to the session URL, so it works without JavaScript', () => {
		const form = tagWithId(page, 'payment-form');
		expect(form.startsWith('<form')).toBe(true);
		expect(attribute(form, 'method')).toBe('post');
		expect(attribute(form, 'action')).toBe('/s/ps_abc123def456ghi789jkl012mno345');
		const pay = tagWithId(page, 'pay');
		expect(pay.startsWith('<button')).toBe(true);
		expect(attribute(pay, 'type')).toBe('submit');
		expect(textOfId(page, 'pay')).toBe('Pay €29.99');
	});

	test('has the IBAN and account holder fields, labelled', () => {
		const iban = tagWithId(page, 'iban');
		expect(attribute(iban, 'name')).toBe('iban');
		expect(attribute(iban, 'autocomplete')).toBe('off');
		expect(attribute(iban, 'inputmode')).toBe('text');
		expect(attribute(iban, 'spellcheck')).toBe('false');
		expect(page).toContain('<label for="iban">IBAN</label>');

		const holder = tagWithId(page, 'account_holder');
		expect(attribute(holder, 'name')).toBe('account_holder');
		expect(page).toContain('<label for="account_holder">Account holder name</label>');
	});

	test('suggests the lead as account holder on the first visit', () => {
		expect(attribute(tagWithId(page, 'account_holder'), 'value')).toBe('Max Mustermann');
		expect(attribute(tagWithId(page, 'iban'), 'value')).toBe('');
	});

	test('without errors, marks nothing invalid', () => {
		expect(tagWithId(page, 'iban')).not.toContain('aria-invalid');
		expect(tagWithId(page, 'account_holder')).not.toContain('aria-invalid');
		expect(page).not.toContain('aria-describedby');
		expect(page).not.toMatch(/id="(iban|account_holder|form)-error"/);
	});

	test('lists every test IBAN in a collapsible section', () => {
		const details = /<details id="test-ibans">[\s\S]*?<\/details>/.exec(page)?.[0] ?? '';
		expect(details).toContain('<summary>');
		for (const [iban, test] of Object.entries(TEST_IBANS)) {
			expect(details).toContain(formatIban(iban));
			expect(details).toContain(escapeHtml(test.note));
		}
		expect(details).toContain('Any other valid IBAN pays.');
	});

	test('renders field and form errors with stable ids, tied to their inputs', () => {
		const html = renderPaymentPage({
			session: session(),
			campaign: campaign(),
			values: { iban: 'DE89 3704 0044 0532 0130 0', account_holder: '' },
			errors: {
				iban: 'An IBAN from Germany has 22 characters; this one has 21.',
				account_holder: 'Please enter the account holder name.',
				form: 'Your bank declined the payment.',
			},
		});
		expectCompleteDocument(html);
		expect(textOfId(html, 'iban-error')).toBe('An IBAN from Germany has 22 characters; this one has 21.');
		expect(textOfId(html, 'account_holder-error')).toBe('Please enter the account holder name.');
		expect(textOfId(html, 'form-error')).toBe('Your bank declined the payment.');
		expect(attribute(tagWithId(html, 'form-error'), 'role')).toBe('alert');

		const iban = tagWithId(html, 'iban');
		expect(attribute(iban, 'aria-invalid')).toBe('true');
		expect(attribute(iban, 'aria-describedby')).toBe('iban-error');
		expect(iban).toContain(' autofocus');
		const holder = tagWithId(html, 'account_holder');
		expect(attribute(holder, 'aria-invalid')).toBe('true');
		expect(attribute(holder, 'aria-describedby')).toBe('account_holder-error');
		expect(holder).not.toContain('autofocus');
	});

	test('marks only the field that has an error', () => {
		const html = renderPaymentPage({
			session: session(),
			campaign: campaign(),
			values: { iban: '', account_holder: 'Max Mustermann' },
			errors: { iban: 'Please enter your IBAN.' },
		});
		expect(attribute(tagWithId(html, 'iban'), 'aria-invalid')).toBe('true');
		expect(tagWithId(html, 'account_holder')).not.toContain('aria-invalid');
		expect(html).not.toContain('id="account_holder-error"');
		expect(html).not.toContain('id="form-error"');
	});

	test('keeps what the customer typed when it shows errors, blanks included', () => {
		const html = renderPaymentPage({
			session: session(),
			campaign: campaign(),
			values: { iban: 'de89 3704 0044 0532 0130 0', account_holder: '' },
			errors: { iban: 'An IBAN from Germany has 22 characters; this one has 21.' },
		});
		expect(attribute(tagWithId(html, 'iban'), 'value')).toBe('de89 3704 0044 0532 0130 0');
		expect(attribute(tagWithId(html, 'account_holder'), 'value')).toBe('');
	});

	test('escapes a hostile campaign, lead, values and errors', () => {
		const html = renderPaymentPage({
			session: session({
				session_token: 'ps_"><script>x</script>',
				lead: { first_name: HOSTILE, last_name: '<img src=x onerror=alert(1)>', email: 'a@b.c', country: 'DE' },
			}),
			campaign: campaign({
				name: HOSTILE,
				brandColor: 'red;}</style><script>alert(1)</script><style>',
				offer: { description: `<b onclick="x">${HOSTILE}</b>`, amount: '29.99', currency: 'EUR' },
			}),
			values: { iban: `"><script>alert(2)</script>`, account_holder: `' onfocus='alert(3)` },
			errors: { iban: HOSTILE, account_holder: HOSTILE, form: HOSTILE },
		});
		expectCompleteDocument(html);
		// The page's own progressive-enhancement script is the only one.
		expect(html.match(/<script/g)).toHaveLength(1);
		expect(html).not.toContain('alert(1)</script>');
		// Escaped, the markup is inert text; only a raw "<" would make it an element.
		expect(html).not.toMatch(/<img|<b onclick/);
		expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
		expect(html).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;');
		expect(attribute(tagWithId(html, 'iban'), 'value')).toBe('&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
		expect(attribute(tagWithId(html, 'account_holder'), 'value')).toBe('&#39; onfocus=&#39;alert(3)');
		expect(attribute(tagWithId(html, 'payment-form'), 'action')).toBe(
			'/s/ps_%22%3E%3Cscript%3Ex%3C%2Fscript%3E',
		);
		// A brand colour that is not plain colour syntax never reaches the stylesheet.
		expect(html).not.toContain('red;}');
		expect(html).toContain('--brand:#334155');
	});

	test.each(['#fff', '#0e5a8a', '#0E5A8A80', 'rgb(14, 90, 138)', 'hsl(200 80% 30%)', 'rebeccapurple'])(
		'uses the brand colour %s as given',
		(brandColor) => {
			const html = renderPaymentPage({ session: session(), campaign: campaign({ brandColor }) });
			expect(html).toContain(`--brand:${brandColor};`);
		},
	);

	test('puts dark text on a light brand colour and white on a dark one', () => {
		const light = renderPaymentPage({ session: session(), campaign: campaign({ brandColor: '#fde047' }) });
		const dark = renderPaymentPage({ session: session(), campaign: campaign({ brandColor: '#0e5a8a' }) });
		expect(light).toContain('--on-brand:#111827');
		expect(dark).toContain('--on-brand:#ffffff');
	});

	test("formats the session's own amount and currency", () => {
		const html = renderPaymentPage({ session: session({ amount: '1500', currency: 'USD' }), campaign: campaign() });
		expect(textOfId(html, 'pay')).toBe('Pay $1,500.00');
	});
});

describe('renderPaidPage', () => {
	const page = renderPaidPage({ session: paidSession(), campaign: campaign() });

	test('confirms the payment with its order number and amount', () => {
		expectCompleteDocument(page);
		expect(textOfId(page, 'paid')).toBe('This payment is complete');
		expect(page).toContain('ORD-a1b2c3d4');
		expect(page).toContain('€29.99');
		expect(page).toContain('**** **** **** **** **30 00');
		expect(page).toContain('Jan 15, 2025');
		expect(textOfId(page, 'sandbox-badge')).toBe('Sandbox');
	});

	test('takes no second payment: no form, no inputs, no pay button', () => {
		expect(page).not.toMatch(/<form|<input|id="pay"|id="payment-form"/);
	});

	test('links back to the merchant only through an http(s) URL', () => {
		expect(attribute(tagWithId(page, 'return'), 'href')).toBe('https://shop.example/thanks?order=1');
		const hostile = renderPaidPage({
			session: paidSession(),
			campaign: campaign({ successRedirectUrl: 'javascript:alert(1)' }),
		});
		expect(hostile).not.toContain('javascript:');
		expect(hostile).not.toContain('id="return"');
		const none = renderPaidPage({ session: paidSession(), campaign: campaign({ successRedirectUrl: '' }) });
		expect(none).not.toContain('id="return"');
	});

	test('escapes a hostile campaign name, lead name and order number', () => {
		const html = renderPaidPage({
			session: paidSession({
				order_number: HOSTILE,
				lead: { first_name: HOSTILE, last_name: 'X', email: 'a@b.c', country: 'DE' },
			}),
			campaign: campaign({ name: HOSTILE }),
		});
		expectCompleteDocument(html);
		expect(html).not.toMatch(/<script/);
		expect(html).toContain('&lt;script&gt;');
	});
});

describe('renderFailedPage', () => {
	const page = renderFailedPage({ session: failedSession(), campaign: campaign() });

	test('says the payment failed and why', () => {
		expectCompleteDocument(page);
		expect(textOfId(page, 'failed')).toBe('This payment failed');
		expect(textOfId(page, 'failure-reason')).toContain('Insufficient funds');
		expect(attribute(tagWithId(page, 'return'), 'href')).toBe('https://shop.example/sorry');
	});

	test('has no form', () => {
		expect(page).not.toMatch(/<form|<input|id="pay"/);
	});

	test('copes with a missing reason and escapes a hostile one', () => {
		const none = renderFailedPage({ session: failedSession({ failure_reason: null }), campaign: campaign() });
		expect(textOfId(none, 'failure-reason')).toBe('The payment did not go through.');
		const dotted = renderFailedPage({ session: failedSession({ failure_reason: 'Account closed.' }), campaign: campaign() });
		expect(textOfId(dotted, 'failure-reason')).toBe('The payment did not go through: Account closed.');
		const hostile = renderFailedPage({ session: failedSession({ failure_reason: HOSTILE }), campaign: campaign() });
		expect(hostile).not.toMatch(/<script/);
		expect(textOfId(hostile, 'failure-reason')).toContain('&lt;script&gt;');
	});
});

describe('renderNotFoundPage', () => {
	test('says the session is unknown, escaping the token from the URL', () => {
		const page = renderNotFoundPage(`ps_${HOSTILE}`);
		expectCompleteDocument(page);
		expect(textOfId(page, 'not-found')).toBe('Payment page not found');
		expect(page).not.toMatch(/<script|<form/);
		expect(page).toContain('ps_&lt;script&gt;');
		expect(textOfId(page, 'sandbox-badge')).toBe('Sandbox');
	});

	test('shortens an absurdly long token', () => {
		const page = renderNotFoundPage('x'.repeat(5000));
		expect(page).not.toContain('x'.repeat(81));
	});
});
