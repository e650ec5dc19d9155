/**
 * Input checks (lib/validate.ts), by value, with the exact messages. The node and the sandbox both
 * use these, so a value one accepts and the other refuses would make the sandbox lie about
 * CatalystPay; and the messages are what a user (or an agent calling the node as a tool) reads to fix
 * their input, so their wording is behaviour too. Session tokens get the most cases because people
 * paste either the token or the payment URL that ends in it, with whatever came along in the copy.
 */
import { campaignIdProblem, countryProblem, emailProblem, isCountryCode, parseSessionToken } from '../../lib/validate';

const TOKEN = 'ps_abc123def456ghi789jkl012mno345';
const notAToken = (value: string) => ({
	problem: `"${value}" is not a payment session token; tokens start with ps_ and look like ps_abc123def456ghi789jkl012mno345`,
});

describe('parseSessionToken', () => {
	it.each([
		['a bare token', TOKEN],
		['a token with surrounding spaces and a newline', `  ${TOKEN}\n`],
		['the shortest token (8 characters after ps_)', 'ps_abcd1234'],
		['the longest token (64 characters after ps_)', `ps_${'a'.repeat(64)}`],
		['mixed case', 'ps_AbCdEfGh12'],
	])('accepts %s', (_, value) => {
		expect(parseSessionToken(value)).toEqual({ token: value.trim() });
	});

	it.each([
		['a payment URL', `https://pay.catalystpay.example/s/${TOKEN}`],
		['with a trailing slash', `https://pay.catalystpay.example/s/${TOKEN}/`],
		['with a query', `https://pay.catalystpay.example/s/${TOKEN}?lang=de`],
		['with a fragment', `https://pay.catalystpay.example/s/${TOKEN}#top`],
		['with a slash, a query and spaces around', `  https://pay.catalystpay.example/s/${TOKEN}/?utm_source=mail  `],
		['on the sandbox', `http://localhost:8080/s/${TOKEN}`],
		['a path without a host', `/s/${TOKEN}`],
	])('takes the token out of %s', (_, value) => {
		expect(parseSessionToken(value)).toEqual({ token: TOKEN });
	});

	it.each([
		['nothing', ''],
		['spaces', '   '],
		['a newline and a tab', '\n\t'],
	])('calls %s empty, and says where a token comes from', (_, value) => {
		expect(parseSessionToken(value)).toEqual({ problem: 'is empty: use the session_token returned when the session was created' });
	});

	it.each([
		['a token too short', 'ps_abc1234'],
		['a token too long', `ps_${'a'.repeat(65)}`],
		['a wrong prefix', 'pi_abc123def456'],
		['an upper-case prefix', 'PS_abc123def456'],
		['no prefix', 'abc123def456ghi789'],
		['a token with a dash', 'ps_abc123-def456'],
		['a token with an underscore after the prefix', 'ps_abc123_def456'],
		['a token with a space inside', 'ps_abc123 def456'],
		['a quoted token', `"${TOKEN}"`],
		['a session ID', 'a1b2c3d4-e5f6-7890-abcd-ef1234567890'],
		['a URL with something after the token', `https://pay.catalystpay.example/s/${TOKEN}/receipt`],
		['a URL without /s/', `https://pay.catalystpay.example/${TOKEN}`],
		['a URL with a too-short token', 'https://pay.catalystpay.example/s/ps_abc'],
		['a URL without a token', 'https://pay.catalystpay.example/s/'],
	])('refuses %s, quoting the value as given', (_, value) => {
		expect(parseSessionToken(value)).toEqual(notAToken(value));
	});

	it('quotes the value untrimmed, as the user typed it', () => {
		expect(parseSessionToken(' ps_short ')).toEqual(notAToken(' ps_short '));
	});
});

describe('emailProblem', () => {
	it.each(['ada@example.com', 'first.last+tag@mail.example.co.uk', 'x@y.de', 'jürgen@müller.example', "o'brien@example.ie"])(
		'accepts %s',
		(value) => {
			expect(emailProblem(value)).toBeNull();
		},
	);

	it('calls an empty value empty', () => {
		expect(emailProblem('')).toBe('is empty');
	});

	it.each([
		'ada',
		'ada@',
		'@example.com',
		'ada@example',
		'ada@@example.com',
		'ada@exa@mple.com',
		'ada lovelace@example.com',
		'ada@example .com',
		'ada@.example.com',
		'ada@example..com',
		'ada@example.com.',
		' ada@example.com',
		'ada@example.com ',
	])('refuses %p, quoting it', (value) => {
		expect(emailProblem(value)).toBe(`"${value}" is not an email address`);
	});
});

describe('countryProblem and isCountryCode', () => {
	it.each(['DE', 'AT', 'FR', 'GB', 'US', 'CH', 'AX', 'BQ', 'SS', 'CW'])('accepts %s', (value) => {
		expect(isCountryCode(value)).toBe(true);
		expect(countryProblem(value)).toBeNull();
	});

	it('calls an empty value empty', () => {
		expect(countryProblem('')).toBe('is empty');
		expect(isCountryCode('')).toBe(false);
	});

	it.each([
		['lower case', 'de'],
		['mixed case', 'De'],
		['the United Kingdom as people say it (ISO has GB)', 'UK'],
		['the European Union (reserved, not a country)', 'EU'],
		['Kosovo (user-assigned, not officially assigned)', 'XK'],
		['a withdrawn code', 'AN'],
		['alpha-3', 'DEU'],
		['a name', 'Germany'],
		['with a space', 'DE '],
		['digits', '49'],
	])('refuses %s (%p), naming the format', (_, value) => {
		expect(isCountryCode(value)).toBe(false);
		expect(countryProblem(value)).toBe(`"${value}" is not an ISO 3166-1 alpha-2 country code; use two capital letters such as DE, AT or FR`);
	});

	it('knows the 249 officially assigned codes of ISO 3166-1', () => {
		const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('');
		const assigned = letters.flatMap((a) => letters.map((b) => a + b)).filter(isCountryCode);
		expect(assigned).toHaveLength(249);
	});
});

describe('campaignIdProblem', () => {
	it.each(['a1b2c3d4-e5f6-7890-abcd-ef1234567890', 'A1B2C3D4-E5F6-7890-ABCD-EF1234567890', '00000000-0000-0000-0000-000000000000'])(
		'accepts %s',
		(value) => {
			expect(campaignIdProblem(value)).toBeNull();
		},
	);

	it('calls an empty value empty, and says where to find one', () => {
		expect(campaignIdProblem('')).toBe('is empty: copy the campaign ID from CatalystPay');
	});

	it.each([
		'a1b2c3d4e5f67890abcdef1234567890',
		'{a1b2c3d4-e5f6-7890-abcd-ef1234567890}',
		'a1b2c3d4-e5f6-7890-abcd-ef123456789',
		'a1b2c3d4-e5f6-7890-abcd-ef12345678901',
		'g1b2c3d4-e5f6-7890-abcd-ef1234567890',
		' a1b2c3d4-e5f6-7890-abcd-ef1234567890',
		'summer-sale',
	])('refuses %p, showing what a campaign ID looks like', (value) => {
		expect(campaignIdProblem(value)).toBe(`"${value}" is not a UUID; a campaign ID looks like a1b2c3d4-e5f6-7890-abcd-ef1234567890`);
	});
});
