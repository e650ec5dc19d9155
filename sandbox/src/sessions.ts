/**
 * The payment-session API's rules: what makes a create request valid, what a session looks like, and
 * what paying it does. Field errors come back the way CatalystPay (a Django REST API) words them.
 */
import { randomBytes } from 'node:crypto';

import { campaignIdProblem, countryProblem, emailProblem } from '../core/validate';
import type { Campaign, Lead, Session } from './model';

export type FieldErrors = Record<string, string[] | Record<string, string[]>>;

const REQUIRED = 'This field is required.';
const LEAD_STRING_FIELDS = ['first_name', 'last_name', 'email', 'country', 'address', 'city', 'postal_code'];

const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `ps_` and 30 characters, as in CatalystPay's integration guide. */
export function newSessionToken(): string {
	const bytes = randomBytes(30);
	let token = 'ps_';
	for (const byte of bytes) token += TOKEN_ALPHABET[byte % TOKEN_ALPHABET.length];
	return token;
}

export function newOrderNumber(): string {
	return `ORD-${randomBytes(4).toString('hex')}`;
}

/** Checks a create request; returns the field errors, or the campaign and lead when it is valid. */
export function validateCreate(
	body: unknown,
	campaigns: Map<string, Campaign>,
): { errors: FieldErrors } | { campaign: Campaign; lead: Lead; extra: Record<string, unknown> } {
	const errors: FieldErrors = {};
	if (body === null || typeof body !== 'object' || Array.isArray(body)) {
		return { errors: { non_field_errors: ['Invalid data. Expected a dictionary, but got ' + typeName(body) + '.'] } };
	}
	const { campaign_id: campaignId, lead: rawLead, ...extra } = body as Record<string, unknown>;

	let campaign: Campaign | undefined;
	if (campaignId === undefined || campaignId === null || campaignId === '') {
		errors.campaign_id = [REQUIRED];
	} else if (typeof campaignId !== 'string' || campaignIdProblem(campaignId) !== null) {
		errors.campaign_id = [`“${String(campaignId)}” is not a valid UUID.`];
	} else {
		campaign = campaigns.get(campaignId.toLowerCase());
		if (!campaign) errors.campaign_id = ['Unknown campaign.'];
	}

	let lead: Lead | undefined;
	if (rawLead === undefined || rawLead === null) {
		errors.lead = [REQUIRED];
	} else if (typeof rawLead !== 'object' || Array.isArray(rawLead)) {
		errors.lead = { non_field_errors: ['Invalid data. Expected a dictionary, but got ' + typeName(rawLead) + '.'] };
	} else {
		const fields = rawLead as Record<string, unknown>;
		const leadErrors: Record<string, string[]> = {};
		for (const name of LEAD_STRING_FIELDS) {
			const value = fields[name];
			if (value !== undefined && value !== null && typeof value !== 'string') leadErrors[name] = ['Not a valid string.'];
		}
		for (const name of ['first_name', 'last_name', 'email', 'country']) {
			const value = fields[name];
			if (!leadErrors[name] && (typeof value !== 'string' || value.trim() === '')) leadErrors[name] = [REQUIRED];
		}
		if (!leadErrors.email && emailProblem(String(fields.email).trim()) !== null) {
			leadErrors.email = ['Enter a valid email address.'];
		}
		if (!leadErrors.country && countryProblem(String(fields.country)) !== null) {
			leadErrors.country = [`“${String(fields.country)}” is not a valid ISO 3166-1 alpha-2 country code.`];
		}
		if (Object.keys(leadErrors).length > 0) errors.lead = leadErrors;
		else {
			lead = { ...fields } as Lead;
			lead.email = lead.email.trim();
		}
	}

	if (Object.keys(errors).length > 0 || !campaign || !lead) return { errors };
	return { campaign, lead, extra };
}

function typeName(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'list';
	return typeof value === 'string' ? 'str' : typeof value;
}

export function newSession(campaign: Campaign, lead: Lead, extra: Record<string, unknown>, publicUrl: string): Session {
	const token = newSessionToken();
	return {
		session_token: token,
		campaign_id: campaign.id,
		status: 'PENDING',
		amount: campaign.offer.amount,
		currency: campaign.offer.currency,
		order_number: null,
		payment_url: `${publicUrl}/s/${token}`,
		lead,
		extra,
		created_at: new Date().toISOString(),
		completed_at: null,
		failure_reason: null,
		attempts: 0,
		account_holder: null,
		iban_last4: null,
	};
}

/** The session as the API returns it: internal bookkeeping left out, caller's extra fields kept. */
export function publicSession(session: Session): Record<string, unknown> {
	return {
		...session.extra,
		session_token: session.session_token,
		status: session.status,
		campaign_id: session.campaign_id,
		amount: session.amount,
		currency: session.currency,
		order_number: session.order_number,
		payment_url: session.payment_url,
		lead: session.lead,
		created_at: session.created_at,
		completed_at: session.completed_at,
		failure_reason: session.failure_reason,
	};
}
