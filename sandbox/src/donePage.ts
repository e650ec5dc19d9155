/** Where the sandbox sends customers back to when a campaign has no redirect URLs of its own. */
import { escapeHtml } from './hostedPage';
import type { Session } from './model';

export function renderDonePage(success: boolean, session: Session | undefined): string {
	const title = success ? 'Thank you, your payment went through' : 'Your payment did not go through';
	const detail = session
		? success
			? `Order ${escapeHtml(session.order_number ?? '')} · ${escapeHtml(session.amount)} ${escapeHtml(session.currency)}`
			: escapeHtml(session.failure_reason ?? 'The payment was declined.')
		: '';
	return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>body{font-family:system-ui,sans-serif;background:#f4f6f8;color:#1b2733;display:grid;place-items:center;min-height:100vh;margin:0}
main{background:#fff;padding:2rem 2.5rem;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08);max-width:28rem;text-align:center}
p{color:#4a5866}</style></head>
<body><main id="${success ? 'done-success' : 'done-failure'}"><h1>${title}</h1><p>${detail}</p>
<p><small>CatalystPay sandbox: this page stands in for the campaign's ${success ? 'success' : 'failure'} redirect URL.</small></p></main></body></html>`;
}
