/**
 * A real Chromium for browser tests: Debian's `chromium` package driven by playwright-core. No
 * browser is ever downloaded (playwright-core has no download step, and none is asked for here).
 *
 *   const browser = await launchBrowser();
 *   try { const page = await browser.newPage(); ... } finally { await browser.close(); }
 *
 * Launch once per test file (beforeAll / afterAll) and open a new context or page per test: a launch
 * costs a few hundred milliseconds, a context a few.
 */
import { accessSync, constants } from 'node:fs';

import { chromium } from 'playwright-core';
import type { Browser, LaunchOptions } from 'playwright-core';

/** Debian's launcher script; CHROMIUM_PATH overrides it (another distribution, a local build). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** What CI (and a developer machine) has to run once, as root, before the browser tests. */
export const CHROMIUM_INSTALL_COMMAND = 'apt-get update && apt-get install -y chromium';

/**
 * The flags every launch gets. Without the background-networking ones Chromium keeps calling
 * Google's services (component updates, sync, field trials, QUIC probes); on a machine with a
 * closed network those connections are refused and slow or break the run, and on any machine they
 * have nothing to do with a test.
 */
export const CHROMIUM_ARGS: readonly string[] = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];

function assertChromiumInstalled(path: string): void {
	try {
		accessSync(path, constants.X_OK);
	} catch {
		throw new Error(
			`Chromium is not installed: ${path} does not exist or is not executable. ` +
				`The browser tests use the distribution's Chromium, never a downloaded one. ` +
				`Install it (as root) with:\n\n    ${CHROMIUM_INSTALL_COMMAND}\n\n` +
				`or point CHROMIUM_PATH at another Chromium binary.`,
		);
	}
}

/**
 * Starts a headless Chromium. Each launch gets a fresh, empty profile: Playwright creates a new
 * temporary --user-data-dir for every launch (it refuses the flag in `args`) and deletes it on
 * close, so no cookies, cache or crash reports carry over between runs or files.
 */
export async function launchBrowser(options: Omit<LaunchOptions, 'executablePath'> = {}): Promise<Browser> {
	assertChromiumInstalled(CHROMIUM_PATH);
	const { args = [], ...rest } = options;
	try {
		return await chromium.launch({
			headless: true,
			timeout: 30_000,
			...rest,
			executablePath: CHROMIUM_PATH,
			args: [...CHROMIUM_ARGS, ...args],
		});
	} catch (error) {
		throw new Error(
			`Chromium at ${CHROMIUM_PATH} did not start: ${(error as Error).message}\n` +
				`If the package is broken or missing, (re)install it with: ${CHROMIUM_INSTALL_COMMAND}`,
		);
	}
}
