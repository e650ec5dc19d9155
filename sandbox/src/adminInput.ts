/**
 * What the admin API (/_sandbox/...) accepts. Every change is checked whole before any of it is
 * applied: a wrong shape is a 400 naming the field, and the sandbox's state stays as it was (a fault
 * setting of the wrong type would otherwise break every later API call).
 */
import type { FaultSettings } from './faults';
import type { Campaign } from './model';

/** Field name -> what is wrong with it, as CatalystPay's API reports field errors. */
export type Problems = Record<string, string[]>;
export type Checked<T> = { ok: true; value: T } | { ok: false; problems: Problems };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function httpUrl(value: unknown): boolean {
	if (typeof value !== 'string') return false;
	try {
		const url = new URL(value);
		return url.protocol === 'http:' || url.protocol === 'https:';
	} catch {
		return false;
	}
}

const SHARES = ['spikeRate', 'errorRate', 'dropRate'] as const;
const COUNTS = ['latencyMs', 'spikeMs', 'rateLimitPerSecond', 'rateLimitEvery', 'rateLimitBurst', 'retryAfterSeconds', 'gatherFirst', 'gatherTimeoutMs', 'seed'] as const;

/** A PATCH or PUT of /_sandbox/faults. */
export function faultChanges(body: unknown): Checked<Partial<FaultSettings>> {
	if (!isObject(body)) return { ok: false, problems: { non_field_errors: ['Send a JSON object of fault settings.'] } };
	const problems: Problems = {};
	const changes: Partial<FaultSettings> = {};
	for (const [name, value] of Object.entries(body)) {
		if ((SHARES as readonly string[]).includes(name)) {
			if (typeof value !== 'number' || !(value >= 0 && value <= 1)) problems[name] = ['A share from 0 to 1.'];
			else (changes as Record<string, number>)[name] = value;
		} else if ((COUNTS as readonly string[]).includes(name)) {
			if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) problems[name] = ['A whole number, 0 or more.'];
			else (changes as Record<string, number>)[name] = value;
		} else if (name === 'errorTiming') {
			if (value !== 'before' && value !== 'after' && value !== 'mixed') problems[name] = ['One of "before", "after", "mixed".'];
			else changes.errorTiming = value;
		} else if (name === 'errorStatuses') {
			if (!Array.isArray(value) || value.length === 0 || !value.every((s) => Number.isInteger(s) && s >= 500 && s <= 599)) {
				problems[name] = ['A non-empty list of 5xx statuses.'];
			} else changes.errorStatuses = value as number[];
		} else {
			problems[name] = ['Not a fault setting.'];
		}
	}
	return Object.keys(problems).length > 0 ? { ok: false, problems } : { ok: true, value: changes };
}

/** A PATCH of /_sandbox/campaigns/{id}: the campaign it would make, or what is wrong. */
export function patchedCampaign(campaign: Campaign, body: unknown): Checked<Campaign> {
	if (!isObject(body)) return { ok: false, problems: { non_field_errors: ['Send a JSON object of campaign fields.'] } };
	const problems: Problems = {};
	const next: Campaign = { ...campaign, offer: { ...campaign.offer }, webhook: { ...campaign.webhook, fields: [...campaign.webhook.fields] } };
	for (const [name, value] of Object.entries(body)) {
		switch (name) {
			case 'id':
				if (value !== campaign.id) problems.id = ["A campaign's id cannot change."];
				break;
			case 'name':
			case 'brandColor':
				if (typeof value !== 'string' || value.trim() === '') problems[name] = ['A non-empty string.'];
				else next[name] = value;
				break;
			case 'successRedirectUrl':
			case 'failureRedirectUrl':
				if (value !== '' && !httpUrl(value)) problems[name] = ['An http(s) URL, or "" for the sandbox\'s own page.'];
				else next[name] = value as string;
				break;
			case 'offer':
				checkOffer(value, next, problems);
				break;
			case 'webhook':
				checkWebhook(value, next, problems);
				break;
			default:
				problems[name] = ['Not a campaign field.'];
		}
	}
	return Object.keys(problems).length > 0 ? { ok: false, problems } : { ok: true, value: next };
}

function checkOffer(value: unknown, next: Campaign, problems: Problems): void {
	if (!isObject(value)) {
		problems.offer = ['An object: description, amount, currency.'];
		return;
	}
	for (const [name, field] of Object.entries(value)) {
		if (name === 'description' && typeof field === 'string') next.offer.description = field;
		else if (name === 'amount' && typeof field === 'string' && /^\d{1,9}(\.\d{1,2})?$/.test(field)) next.offer.amount = field;
		else if (name === 'currency' && typeof field === 'string' && /^[A-Z]{3}$/.test(field)) next.offer.currency = field;
		else problems[`offer.${name}`] = [name === 'amount' ? 'A decimal string such as "29.99".' : name === 'currency' ? 'Three capital letters, such as EUR.' : name === 'description' ? 'A string.' : 'Not an offer field.'];
	}
}

function checkWebhook(value: unknown, next: Campaign, problems: Problems): void {
	if (!isObject(value)) {
		problems.webhook = ['An object: url, fields.'];
		return;
	}
	for (const [name, field] of Object.entries(value)) {
		if (name === 'url' && (field === null || httpUrl(field))) next.webhook.url = field as string | null;
		else if (name === 'fields' && Array.isArray(field) && field.every((f) => typeof f === 'string' && f !== '')) next.webhook.fields = field as string[];
		else problems[`webhook.${name}`] = [name === 'url' ? 'An http(s) URL, or null for no webhooks.' : name === 'fields' ? 'A list of field names.' : 'Not a webhook field.'];
	}
}

/** Where a resend goes: the delivery's own URL, or another http(s) URL. */
export function resendTarget(body: unknown): Checked<string | undefined> {
	const to = isObject(body) ? body.to : undefined;
	if (to === undefined || to === '') return { ok: true, value: undefined };
	return httpUrl(to) ? { ok: true, value: to as string } : { ok: false, problems: { to: ['An http(s) URL.'] } };
}

/** A path segment with its % escapes decoded, or undefined when one is malformed. */
export function decodedSegment(raw: string): string | undefined {
	try {
		return decodeURIComponent(raw);
	} catch {
		return undefined;
	}
}

/** Hosts whose admin API needs no token: only this machine can reach it. */
export function isLoopbackHost(host: string): boolean {
	return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
