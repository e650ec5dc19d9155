/**
 * Sandbox settings: the same values every start unless a flag or a JSON config file changes them,
 * so what a user pasted into n8n once keeps working.
 */
import { readFileSync } from 'node:fs';

import type { Campaign } from './model';
import type { FaultSettings } from './faults';
import { NO_FAULTS } from './faults';

export interface SandboxConfig {
	host: string;
	/** 0 picks a free port (tests). */
	port: number;
	/** Where browsers reach the sandbox; payment_url and redirects are built on it. Defaults to http://host:port. */
	publicUrl: string | null;
	apiKey: string;
	signingSecret: string;
	campaigns: Campaign[];
	/** Keep sessions and deliveries here across restarts; null keeps them in memory only. */
	dataDir: string | null;
	webhooks: {
		/** Attempts per delivery, the first included. */
		maxAttempts: number;
		/** First retry after this many ms, doubling each time (with jitter). */
		backoffMs: number;
		timeoutMs: number;
	};
	payments: {
		/** Attempts to submit a payment before a decline becomes final, as CatalystPay retries. */
		attempts: number;
		retryDelayMs: number;
	};
	faults: FaultSettings;
	/** Print one line per request and delivery. */
	verbose: boolean;
	/**
	 * What the admin API (/_sandbox/...) requires as `Authorization: Bearer <token>` when the sandbox
	 * listens beyond loopback; null there makes one up at start (printed). Never needed on loopback.
	 */
	adminToken: string | null;
}

export const DEFAULT_CAMPAIGN_ID = 'a1b2c3d4-e5f6-7890-abcd-ef1234567890';

/** The "typical payload" of CatalystPay's integration guide. */
export const DEFAULT_WEBHOOK_FIELDS = ['session_token', 'status', 'order_number', 'amount', 'currency', 'email', 'customer_name'];

export function defaultCampaign(overrides: Partial<Campaign> = {}): Campaign {
	return {
		id: DEFAULT_CAMPAIGN_ID,
		name: 'Catalyst Coffee Club',
		brandColor: '#0e5a8a',
		offer: { description: 'Monthly coffee subscription, first month', amount: '29.99', currency: 'EUR' },
		// Empty means the sandbox's own thank-you pages, which are filled in once the public URL is known.
		successRedirectUrl: '',
		failureRedirectUrl: '',
		webhook: { url: null, fields: [...DEFAULT_WEBHOOK_FIELDS] },
		...overrides,
	};
}

export function defaultConfig(): SandboxConfig {
	return {
		host: '127.0.0.1',
		port: 4010,
		publicUrl: null,
		apiKey: 'rk_sandbox_4d5e6f7a8b9c0d1e2f3a4b5c',
		signingSecret: 'whsec_sandbox_9f8e7d6c5b4a3928170615',
		campaigns: [defaultCampaign()],
		dataDir: null,
		webhooks: { maxAttempts: 5, backoffMs: 1000, timeoutMs: 10000 },
		payments: { attempts: 3, retryDelayMs: 150 },
		faults: { ...NO_FAULTS },
		verbose: false,
		adminToken: null,
	};
}

/** What a config file may hold: any top-level setting, campaigns given in part. */
export interface ConfigFile extends Partial<Omit<SandboxConfig, 'campaigns' | 'webhooks' | 'payments' | 'faults'>> {
	webhookUrl?: string;
	campaigns?: Array<Partial<Campaign> & { id: string }>;
	webhooks?: Partial<SandboxConfig['webhooks']>;
	payments?: Partial<SandboxConfig['payments']>;
	faults?: Partial<FaultSettings>;
}

export function mergeConfig(base: SandboxConfig, file: ConfigFile): SandboxConfig {
	const { webhookUrl, campaigns, webhooks, payments, faults, ...rest } = file;
	const merged: SandboxConfig = {
		...base,
		...rest,
		webhooks: { ...base.webhooks, ...webhooks },
		payments: { ...base.payments, ...payments },
		faults: { ...base.faults, ...faults },
		campaigns: campaigns
			? campaigns.map((campaign) => {
					const defaults = defaultCampaign();
					return {
						...defaults,
						...campaign,
						offer: { ...defaults.offer, ...campaign.offer },
						webhook: { ...defaults.webhook, ...campaign.webhook },
					};
				})
			: base.campaigns.map((campaign) => ({ ...campaign, webhook: { ...campaign.webhook } })),
	};
	if (webhookUrl !== undefined) {
		for (const campaign of merged.campaigns) campaign.webhook.url = webhookUrl;
	}
	return merged;
}

export function readConfigFile(path: string): ConfigFile {
	let text: string;
	try {
		text = readFileSync(path, 'utf8');
	} catch (error) {
		throw new Error(`Cannot read the config file ${path}: ${(error as Error).message}`);
	}
	try {
		return JSON.parse(text) as ConfigFile;
	} catch (error) {
		throw new Error(`The config file ${path} is not valid JSON: ${(error as Error).message}`);
	}
}

export function publicUrlOf(config: SandboxConfig, port: number): string {
	if (config.publicUrl) return config.publicUrl.replace(/\/+$/, '');
	const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
	return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
