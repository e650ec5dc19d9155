/**
 * The sandbox as a user without this repository gets it: its own package, packed from sandbox/ into a
 * tarball, installed with npm into an empty folder, started through its `catalystpay-sandbox` command.
 * A customer pays on its hosted page in headless Chromium, and the webhook it signs is accepted by
 * the CatalystPay Trigger (run by n8n's own engine), which confirms the session through the
 * package's API. Nothing of the repository is on the package's path.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { IDataObject } from 'n8n-workflow';

import { CatalystPayTrigger } from '../../nodes/CatalystPayTrigger/CatalystPayTrigger.node';
import { launchBrowser } from '../helpers/browser';
import { startWebhookServer, type WebhookServer } from '../helpers/n8nEngine';
import { credentialTypes, eventually } from '../helpers/sandbox';

const ROOT = join(__dirname, '..', '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let folder: string;
let sandbox: ChildProcess | undefined;
let trigger: WebhookServer | undefined;

afterAll(async () => {
	sandbox?.kill('SIGINT');
	await trigger?.close();
	if (folder) rmSync(folder, { recursive: true, force: true });
});

test('npm install of the packed sandbox, its command, a payment in the browser, a webhook the trigger accepts', async () => {
	folder = mkdtempSync(join(tmpdir(), 'catalystpay-sandbox-package-'));
	// The sandbox's package as npm publishes it (the repository's build made dist/ and core/).
	const packed = JSON.parse(execFileSync(NPM, ['pack', '-w', 'sandbox', '--json', '--pack-destination', folder], { cwd: ROOT, encoding: 'utf8' })) as Array<{ filename: string; files: Array<{ path: string }> }>;
	const files = packed[0].files.map((file) => file.path);
	expect(files).toEqual(expect.arrayContaining(['bin/catalystpay-sandbox.js', 'dist/cli.js', 'core/signature/index.js', 'core/validate.js']));
	expect(files.filter((path) => path.startsWith('src/'))).toEqual([]);

	const user = join(folder, 'user');
	execFileSync('mkdir', ['-p', user]);
	writeFileSync(join(user, 'package.json'), JSON.stringify({ name: 'a-user', private: true }));
	execFileSync(NPM, ['install', '--no-audit', '--no-fund', join(folder, packed[0].filename)], { cwd: user, stdio: 'pipe' });
	expect(readdirSync(join(user, 'node_modules', '.bin'))).toContain('catalystpay-sandbox');

	// The trigger first (its URL goes into the sandbox's campaign), confirming sessions through the sandbox.
	let sandboxUrl = '';
	const secret = 'whsec_package_test_0123456789';
	const apiKey = 'rk_package_test_0123456789';
	trigger = await startWebhookServer({
		nodeType: new CatalystPayTrigger(),
		parameters: { events: ['payment_session.completed'], confirmSessionStatus: true },
		credentials: { catalystPayApi: { apiKey, signingSecret: secret, environment: 'custom', get customBaseUrl() { return sandboxUrl; } } },
		credentialTypes,
	});

	let output = '';
	sandbox = spawn(join(user, 'node_modules', '.bin', 'catalystpay-sandbox'), ['--port', '0', '--api-key', apiKey, '--signing-secret', secret, '--webhook-url', trigger.url], {
		cwd: user,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	sandbox.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
	sandbox.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
	sandboxUrl = await eventually(() => /ready on (http:\/\/\S+)/.exec(output)?.[1], 20_000);

	const created = await fetch(`${sandboxUrl}/api/v1/payment-sessions/`, {
		method: 'POST',
		headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
		body: JSON.stringify({ campaign_id: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890', lead: { first_name: 'Jürgen', last_name: 'Müller', email: 'jm@example.com', country: 'DE' } }),
	});
	const session = (await created.json()) as { session_token: string; payment_url: string };
	expect(created.status).toBe(201);

	const browser = await launchBrowser();
	try {
		const page = await browser.newPage();
		await page.goto(session.payment_url);
		await page.fill('#iban', 'DE89 3704 0044 0532 0130 00');
		await page.fill('#account_holder', 'Jürgen Müller');
		await Promise.all([page.waitForURL(/\/done\/success/), page.click('#pay')]);
	} finally {
		await browser.close();
	}

	const accepted = await eventually(() => trigger?.calls.find((call) => call.workflowData), 30_000);
	const item = accepted.workflowData?.[0][0].json as IDataObject;
	expect(item).toMatchObject({ event: 'payment_session.completed', eventConfirmed: true, status: 'COMPLETED' });
	expect((item.payload as IDataObject).customer_name).toBe('Jürgen Müller');
}, 5 * 60 * 1000);
