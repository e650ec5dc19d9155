#!/usr/bin/env node
// Screenshots for the docs, taken in n8n's own editor as a user sees it: the stack `npm run dev` runs
// (a real n8n with this package, the sandbox credential, the examples), one paid order through the
// sandbox, then headless Chromium on the credential, the trigger's settings and the finished execution.
// Writes docs/images/*.png. Needs Debian's chromium.
//
//   npm run build:sandbox && node scripts/screenshots.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { startStack, OWNER } = require('./n8n-stack.cjs');
const { chromium } = require('playwright-core');

const OUT = join(ROOT, 'docs', 'images');
const userFolder = mkdtempSync(join(tmpdir(), 'catalystpay-screenshots-'));
const stack = await startStack({ userFolder, install: 'pack', n8nPort: 25678, sandboxPort: 0, log: (line) => process.stderr.write(`${line}\n`) });
const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
	args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
	// One paid order, so there is a finished execution to show.
	const created = await fetch(`${stack.sandbox.url}/api/v1/payment-sessions/`, {
		method: 'POST',
		headers: { authorization: `Bearer ${stack.sandboxConfig.apiKey}`, 'content-type': 'application/json' },
		body: JSON.stringify({ campaign_id: stack.sandboxConfig.campaigns[0].id, lead: { first_name: 'Jürgen', last_name: 'Müller', email: 'jm@example.com', country: 'DE' } }),
	});
	const { session_token: token } = await created.json();
	await fetch(`${stack.sandbox.url}/s/${token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'iban=DE89370400440532013000&account_holder=J%C3%BCrgen+M%C3%BCller', redirect: 'manual' });
	await stack.sandbox.webhooks.idle();

	const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
	await page.goto(`${stack.n8nUrl}/signin`);
	await page.getByLabel(/email/i).fill(OWNER.email);
	await page.getByLabel(/password/i).fill(OWNER.password);
	await page.getByRole('button', { name: /sign in/i }).click();
	await page.waitForURL((url) => !url.pathname.startsWith('/signin'), { timeout: 60_000 });

	// The credential.
	await page.goto(`${stack.n8nUrl}/home/credentials/${stack.credential.id}`);
	await page.getByText('Sandbox URL', { exact: true }).waitFor({ timeout: 60_000 });
	await page.waitForTimeout(1000);
	await page.screenshot({ path: join(OUT, 'credential.png') });

	// The trigger's settings in the payment events workflow.
	const workflowId = stack.workflows.payments.id;
	await page.goto(`${stack.n8nUrl}/workflow/${workflowId}`);
	await page.locator('[data-test-id="canvas-node"]').first().waitFor({ timeout: 60_000 });
	// The canvas pane lies over the nodes for pointer events: a forced double click opens the node.
	await page.locator('[data-test-id="canvas-node"]', { hasText: 'CatalystPay webhook' }).first().dblclick({ force: true });
	await page.getByText('Answer CatalystPay', { exact: true }).waitFor({ timeout: 60_000 });
	await page.waitForTimeout(1000);
	await page.screenshot({ path: join(OUT, 'trigger.png') });

	// The finished execution.
	const executions = await (await fetch(`${stack.n8nUrl}/api/v1/executions?workflowId=${workflowId}&limit=1`, { headers: { 'x-n8n-api-key': stack.apiKey } })).json();
	await page.goto(`${stack.n8nUrl}/workflow/${workflowId}/executions/${executions.data[0].id}`);
	await page.frameLocator('iframe').first().locator('[data-test-id="canvas-node"]').first().waitFor({ timeout: 60_000 }).catch(async () => {
		await page.locator('[data-test-id="canvas-node"]').first().waitFor({ timeout: 60_000 });
	});
	await page.waitForTimeout(1500);
	await page.screenshot({ path: join(OUT, 'execution.png') });
	process.stdout.write(`screenshots in ${OUT}\n`);
} finally {
	await browser.close();
	await stack.stop();
	rmSync(userFolder, { recursive: true, force: true });
}
