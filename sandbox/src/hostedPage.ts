/**
 * The sandbox's hosted payment page, as complete HTML documents. Pure functions, no assets to
 * serve: the server sends these strings as they are. Everything that came from a campaign, a
 * session or a customer goes through escapeHtml, and the brand colour through a CSS allow-list,
 * because all of them are set by whoever calls the sandbox's API.
 */
import type { Campaign, Session } from './model';
import { TEST_IBANS, formatIban } from './iban';

export interface PaymentFormValues {
	iban?: string;
	account_holder?: string;
}

export interface PaymentFormErrors {
	iban?: string;
	account_holder?: string;
	/** Not about one field: a decline, a session that changed meanwhile. */
	form?: string;
}

export interface PaymentPageArgs {
	session: Session;
	campaign: Campaign;
	values?: PaymentFormValues;
	errors?: PaymentFormErrors;
}

export interface ResultPageArgs {
	session: Session;
	campaign: Campaign;
}

const HTML_ESCAPES: Record<string, string> = {
	'&': '&amp;',
	'<': '&lt;',
	'>': '&gt;',
	'"': '&quot;',
	"'": '&#39;',
};

/** Safe in text and in quoted attribute values alike, so one function serves every interpolation. */
export function escapeHtml(value: unknown): string {
	return textOf(value).replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/** Session JSON comes from API callers, so a "string" field may hold anything. */
function textOf(value: unknown): string {
	if (typeof value === 'string') return value;
	if (value === null || value === undefined) return '';
	if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
	return '';
}

/** "€29.99"; the decimal string goes to Intl as it is, so no float rounding creeps in. */
export function formatAmount(amount: string, currency: string): string {
	const decimal = textOf(amount).trim();
	const code = textOf(currency).trim().toUpperCase();
	if (/^-?\d+(\.\d+)?$/.test(decimal)) {
		try {
			// Node 20's Intl takes decimal strings exactly (Intl.NumberFormat v3); lib es2021 only types numbers.
			const format: (value: number | bigint | string) => string = new Intl.NumberFormat('en', {
				style: 'currency',
				currency: code,
			}).format as unknown as (value: number | bigint | string) => string;
			return format(decimal);
		} catch {
			// An unknown currency code: fall through to the plain form rather than break the page.
		}
	}
	return `${decimal} ${code}`.trim();
}

const DEFAULT_BRAND = '#334155';

/**
 * The brand colour lands inside <style>, where HTML escaping means nothing; only plain colour
 * syntax gets through, anything else becomes the default.
 */
function safeColor(color: unknown): string {
	const value = textOf(color).trim();
	if (/^#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i.test(value)) return value;
	if (/^(?:rgba?|hsla?)\([0-9.,%\s/+-]+\)$/i.test(value)) return value;
	if (/^[a-z]{3,30}$/i.test(value)) return value;
	return DEFAULT_BRAND;
}

/** Dark text on light brand colours, white otherwise; only hex colours can be judged here. */
function textColorOn(color: string): string {
	const hex = /^#([0-9a-f]{3,8})$/i.exec(color)?.[1];
	if (!hex) return '#ffffff';
	const full = hex.length <= 4 ? [...hex.slice(0, 3)].map((c) => c + c).join('') : hex.slice(0, 6);
	const channel = (offset: number): number => {
		const srgb = parseInt(full.slice(offset, offset + 2), 16) / 255;
		return srgb <= 0.03928 ? srgb / 12.92 : ((srgb + 0.055) / 1.055) ** 2.4;
	};
	const luminance = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
	// Where black and white text have equal contrast (WCAG relative luminance).
	return luminance > 0.179 ? '#111827' : '#ffffff';
}

/** Only http(s) redirect targets become links; a "javascript:" URL from a campaign must not. */
function safeHttpUrl(url: unknown): string | null {
	const value = textOf(url).trim();
	if (!value) return null;
	try {
		const parsed = new URL(value);
		return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
	} catch {
		return null;
	}
}

function customerName(session: Session): string {
	const lead: Partial<Session['lead']> = session.lead ?? {};
	return [textOf(lead.first_name).trim(), textOf(lead.last_name).trim()].filter(Boolean).join(' ');
}

function formatTimestamp(iso: string | null): string | null {
	if (!iso) return null;
	const date = new Date(iso);
	if (Number.isNaN(date.getTime())) return iso;
	const text = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(date);
	return `${text} UTC`;
}

const STYLES = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;min-height:100vh;background:#f1f5f9;color:#0f172a;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
.sandbox-bar{background:#fef3c7;color:#78350f;border-bottom:1px solid #fcd34d;font-size:13px;text-align:center;padding:6px 12px}
.brand{background:var(--brand);color:var(--on-brand);padding:20px 16px 64px}
.brand-inner{max-width:480px;margin:0 auto;display:flex;align-items:center;gap:12px}
.logo{flex:none;width:40px;height:40px;border-radius:10px;display:grid;place-items:center;font-weight:700;font-size:18px;background:rgba(255,255,255,.18);border:1px solid rgba(255,255,255,.35)}
.merchant{font-weight:600;font-size:18px;overflow-wrap:anywhere;flex:1}
.badge{flex:none;font-size:11px;font-weight:700;letter-spacing:.06em;text-transform:uppercase;background:#fbbf24;color:#451a03;border-radius:999px;padding:3px 10px}
main{max-width:512px;margin:-48px auto 0;padding:0 16px 24px}
.card{background:#fff;border-radius:14px;box-shadow:0 1px 3px rgba(15,23,42,.08),0 8px 24px rgba(15,23,42,.08);padding:24px}
.summary{border-bottom:1px solid #e2e8f0;padding-bottom:16px;margin-bottom:20px}
.offer{margin:0;color:#475569;overflow-wrap:anywhere}
.amount{margin:4px 0 0;font-size:32px;font-weight:700;letter-spacing:-.01em}
.customer{margin:8px 0 0;font-size:14px;color:#64748b;overflow-wrap:anywhere}
.field{margin-bottom:16px}
label{display:block;font-weight:600;font-size:14px;margin-bottom:6px}
input{width:100%;font:inherit;padding:12px;border:1px solid #cbd5e1;border-radius:8px;background:#fff;color:inherit}
input#iban{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;letter-spacing:.04em;text-transform:uppercase}
input:focus{outline:3px solid var(--brand);outline-offset:1px;border-color:var(--brand)}
input[aria-invalid="true"]{border-color:#dc2626;background:#fef2f2}
input[aria-invalid="true"]:focus{outline-color:#dc2626;border-color:#dc2626}
input[aria-invalid="true"]::placeholder{color:transparent}
.field-error{margin:6px 0 0;color:#b91c1c;font-size:14px}
.form-error{margin:0 0 16px;padding:12px;border-radius:8px;background:#fef2f2;border:1px solid #fecaca;color:#991b1b;font-size:14px}
button{width:100%;font:inherit;font-weight:600;font-size:17px;padding:14px;border:0;border-radius:8px;background:var(--brand);color:var(--on-brand);cursor:pointer}
button:hover{filter:brightness(1.07)}
button:focus-visible{outline:3px solid #0f172a;outline-offset:2px}
button[disabled]{opacity:.7;cursor:progress}
.fine{margin:12px 0 0;font-size:13px;color:#64748b;text-align:center}
details{margin-top:20px;border:1px dashed #f59e0b;border-radius:10px;background:#fffbeb;padding:10px 14px;font-size:14px}
summary{cursor:pointer;font-weight:600;color:#92400e}
.test-ibans{list-style:none;margin:10px 0 0;padding:0}
.test-ibans li{padding:8px 0;border-top:1px solid #fde68a}
.test-ibans li:first-child{border-top:0}
.test-ibans code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;font-weight:600;user-select:all}
.test-ibans .use[hidden]{display:none}
.test-ibans .use{display:inline;width:auto;margin-left:8px;padding:1px 8px;font-size:12px;border-radius:6px;background:#fff;color:#92400e;border:1px solid #f59e0b}
.test-ibans span{display:block;color:#78350f}
.result{text-align:center}
.icon{width:56px;height:56px;margin:0 auto 12px;border-radius:50%;display:grid;place-items:center;font-size:28px;font-weight:700}
.icon.ok{background:#dcfce7;color:#15803d}
.icon.fail{background:#fee2e2;color:#b91c1c}
.icon.unknown{background:#e2e8f0;color:#475569}
h1{font-size:22px;margin:0 0 8px}
.result p{color:#475569;margin:0 0 8px}
dl{text-align:left;margin:20px 0 0;border-top:1px solid #e2e8f0}
dl div{display:flex;justify-content:space-between;column-gap:16px;row-gap:2px;padding:10px 0;border-bottom:1px solid #e2e8f0}
dl div.code{flex-wrap:wrap}
dt{color:#64748b}
dd{margin:0 0 0 auto;font-weight:600;text-align:right;overflow-wrap:anywhere}
dd.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:14px}
.link-button{display:block;margin-top:20px;padding:14px;border-radius:8px;background:var(--brand);color:var(--on-brand);text-decoration:none;font-weight:600}
footer{text-align:center;font-size:12px;color:#94a3b8;padding:8px 12px 24px}
@media (max-width:420px){.card{padding:18px}.amount{font-size:28px}input#iban{letter-spacing:0}}
@media (max-width:360px){.brand{padding-left:12px;padding-right:12px}main{padding:0 12px 20px}.card{padding:16px}}
`;

/*
 * Progressive enhancement only; the form posts the same without it. It stops a double click from
 * submitting twice, undoes that when the browser restores the page from its back/forward cache,
 * and lets a tester put a test IBAN into the field with one click.
 */
const PAYMENT_SCRIPT = `
(function(){
var form=document.getElementById('payment-form');var pay=document.getElementById('pay');var iban=document.getElementById('iban');
if(!form||!pay)return;var label=pay.textContent;
form.addEventListener('submit',function(){setTimeout(function(){pay.disabled=true;pay.textContent='Processing\\u2026';},0);});
window.addEventListener('pageshow',function(){pay.disabled=false;pay.textContent=label;});
var uses=document.querySelectorAll('.test-ibans .use');
for(var i=0;i<uses.length;i++){uses[i].hidden=false;uses[i].addEventListener('click',function(e){if(iban){iban.value=e.currentTarget.getAttribute('data-iban');iban.focus();}});}
})();
`;

interface LayoutArgs {
	title: string;
	brandColor: unknown;
	/** Shown in the header; null for pages that belong to no known merchant. */
	merchant: string | null;
	body: string;
	script?: string;
}

function layout({ title, brandColor, merchant, body, script }: LayoutArgs): string {
	const brand = safeColor(brandColor);
	const name = merchant || 'CatalystPay';
	const initial = [...name.trim()][0]?.toUpperCase() ?? 'C';
	return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>:root{--brand:${brand};--on-brand:${textColorOn(brand)}}${STYLES}</style>
</head>
<body>
<div class="sandbox-bar" role="note">CatalystPay <strong>Sandbox</strong>: test payments only, no real money moves.</div>
<header class="brand">
<div class="brand-inner">
<div class="logo" aria-hidden="true">${escapeHtml(initial)}</div>
<div class="merchant">${escapeHtml(name)}</div>
<span class="badge" id="sandbox-badge">Sandbox</span>
</div>
</header>
<main>
${body}
</main>
<footer>Payments by CatalystPay &middot; Sandbox environment</footer>
${script ? `<script>${script}</script>\n` : ''}</body>
</html>
`;
}

function testIbanList(): string {
	const items = Object.entries(TEST_IBANS)
		.map(
			([iban, test]) =>
				`<li><code>${escapeHtml(formatIban(iban))}</code><button type="button" class="use" data-iban="${escapeHtml(iban)}" hidden>Use</button><span>${escapeHtml(test.note)}</span></li>`,
		)
		.join('\n');
	return `<details id="test-ibans">
<summary>Sandbox test IBANs</summary>
<ul class="test-ibans">
${items}
</ul>
<p>Any other valid IBAN pays.</p>
</details>`;
}

function orderSummary(session: Session, campaign: Campaign): string {
	const name = customerName(session);
	return `<section class="summary" aria-label="Order summary">
<p class="offer">${escapeHtml(campaign.offer?.description)}</p>
<p class="amount" id="amount">${escapeHtml(formatAmount(session.amount, session.currency))}</p>
${name ? `<p class="customer" id="customer">Billed to ${escapeHtml(name)}</p>` : ''}
</section>`;
}

type FieldName = 'iban' | 'account_holder';

interface FieldArgs {
	name: FieldName;
	label: string;
	value: string;
	error: string | undefined;
	autofocus: boolean;
	attributes: string;
}

function field({ name, label, value, error, autofocus, attributes }: FieldArgs): string {
	const errorId = `${name}-error`;
	const invalid = error ? ` aria-invalid="true" aria-describedby="${errorId}"` : '';
	return `<div class="field">
<label for="${name}">${escapeHtml(label)}</label>
<input id="${name}" name="${name}" type="text" value="${escapeHtml(value)}" required ${attributes}${invalid}${autofocus ? ' autofocus' : ''}>
${error ? `<p class="field-error" id="${errorId}">${escapeHtml(error)}</p>` : ''}
</div>`;
}

export function renderPaymentPage({ session, campaign, values, errors = {} }: PaymentPageArgs): string {
	const amount = formatAmount(session.amount, session.currency);
	// First visit: the lead's name is the likeliest account holder. After a submit, exactly what
	// the customer sent comes back, blanks included.
	const holder = values ? textOf(values.account_holder) : customerName(session);
	const firstInvalid: FieldName | null = errors.iban ? 'iban' : errors.account_holder ? 'account_holder' : null;
	const action = `/s/${encodeURIComponent(textOf(session.session_token))}`;

	// novalidate: the server's messages, not each browser's own, so every error looks the same.
	const body = `<div class="card">
${orderSummary(session, campaign)}
<form id="payment-form" method="post" action="${escapeHtml(action)}" novalidate>
${errors.form ? `<div class="form-error" id="form-error" role="alert">${escapeHtml(errors.form)}</div>` : ''}
${field({
	name: 'iban',
	label: 'IBAN',
	value: textOf(values?.iban),
	error: errors.iban,
	autofocus: firstInvalid === 'iban',
	attributes:
		'inputmode="text" autocomplete="off" spellcheck="false" autocapitalize="characters" autocorrect="off" placeholder="DE89 3704 0044 0532 0130 00"',
})}
${field({
	name: 'account_holder',
	label: 'Account holder name',
	value: holder,
	error: errors.account_holder,
	autofocus: firstInvalid === 'account_holder',
	attributes: 'autocomplete="name" maxlength="70" spellcheck="false"',
})}
<button id="pay" type="submit">Pay ${escapeHtml(amount)}</button>
<p class="fine">Sandbox: nothing is debited. Real CatalystPay pages take a SEPA payment here.</p>
</form>
${testIbanList()}
</div>`;

	return layout({
		title: `Pay ${amount} to ${textOf(campaign.name)} · CatalystPay Sandbox`,
		brandColor: campaign.brandColor,
		merchant: textOf(campaign.name),
		body,
		script: PAYMENT_SCRIPT,
	});
}

/**
 * A row's third element marks codes (tokens, masked IBANs): set in monospace, and moved under their
 * label when the row is too narrow, rather than broken in the middle of a word like prose.
 */
type DetailRow = [term: string, detail: string | null, style?: 'mono'];

function detailRows(rows: DetailRow[]): string {
	const present = rows.filter((row): row is [string, string, 'mono'?] => row[1] !== null && row[1] !== '');
	if (present.length === 0) return '';
	return `<dl>
${present
	.map(([term, detail, style]) =>
		style
			? `<div class="code"><dt>${escapeHtml(term)}</dt><dd class="${style}">${escapeHtml(detail)}</dd></div>`
			: `<div><dt>${escapeHtml(term)}</dt><dd>${escapeHtml(detail)}</dd></div>`,
	)
	.join('\n')}
</dl>`;
}

function returnLink(url: unknown, text: string, id: string): string {
	const href = safeHttpUrl(url);
	return href ? `<a class="link-button" id="${id}" href="${escapeHtml(href)}">${escapeHtml(text)}</a>` : '';
}

/** A paid session shows its receipt and no form: it takes no second payment. */
export function renderPaidPage({ session, campaign }: ResultPageArgs): string {
	const name = customerName(session);
	const merchant = textOf(campaign.name);
	const body = `<div class="card result">
<div class="icon ok" aria-hidden="true">&#10003;</div>
<h1 id="paid">This payment is complete</h1>
<p>${name ? `Thank you, ${escapeHtml(name)}. ` : 'Thank you. '}${escapeHtml(merchant)} has received your payment.</p>
${detailRows([
	['Order number', textOf(session.order_number)],
	['Amount', formatAmount(session.amount, session.currency)],
	['For', textOf(campaign.offer?.description)],
	['Paid on', formatTimestamp(session.completed_at)],
	['From account', textOf(session.iban_last4), 'mono'],
])}
${returnLink(campaign.successRedirectUrl, `Back to ${merchant}`, 'return')}
</div>`;
	return layout({
		title: `Payment complete · ${merchant} · CatalystPay Sandbox`,
		brandColor: campaign.brandColor,
		merchant,
		body,
	});
}

export function renderFailedPage({ session, campaign }: ResultPageArgs): string {
	const merchant = textOf(campaign.name);
	// Reasons arrive as the bank or the server phrased them, with or without a closing full stop.
	const reason = textOf(session.failure_reason).trim().replace(/[.\s]+$/, '');
	const body = `<div class="card result">
<div class="icon fail" aria-hidden="true">&#10005;</div>
<h1 id="failed">This payment failed</h1>
<p id="failure-reason">${reason ? `The payment did not go through: ${escapeHtml(reason)}.` : 'The payment did not go through.'}</p>
<p>Your account was not charged. To try again, please start a new payment at ${escapeHtml(merchant)}.</p>
${detailRows([
	['Amount', formatAmount(session.amount, session.currency)],
	['For', textOf(campaign.offer?.description)],
	['Reference', textOf(session.session_token), 'mono'],
])}
${returnLink(campaign.failureRedirectUrl, `Back to ${merchant}`, 'return')}
</div>`;
	return layout({
		title: `Payment failed · ${merchant} · CatalystPay Sandbox`,
		brandColor: campaign.brandColor,
		merchant,
		body,
	});
}

export function renderNotFoundPage(token: string): string {
	// The token is whatever was in the URL; a shortened echo still helps someone debugging a link.
	const shown = [...textOf(token)].slice(0, 80).join('');
	const body = `<div class="card result">
<div class="icon unknown" aria-hidden="true">?</div>
<h1 id="not-found">Payment page not found</h1>
<p>This payment link is unknown to the sandbox. Please go back to the shop and start the payment again.</p>
${detailRows([['Link reference', shown, 'mono']])}
</div>`;
	return layout({ title: 'Payment page not found · CatalystPay Sandbox', brandColor: null, merchant: null, body });
}
