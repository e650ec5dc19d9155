/**
 * Input checks shared by the CatalystPay node and the sandbox. Each returns a message that says what
 * is wrong and what a good value looks like, or null when the value is fine.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Pragmatic on purpose: one @, no spaces, a dot in the domain. CatalystPay has the final say.
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
const SESSION_TOKEN = /^ps_[A-Za-z0-9]{8,64}$/;
const PAYMENT_URL_TOKEN = /\/s\/(ps_[A-Za-z0-9]+)\/?(?:[?#].*)?$/;

/** ISO 3166-1 alpha-2, officially assigned codes (as in the tz database's iso3166.tab). */
const COUNTRY_CODES = new Set(
	(
		'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW ' +
		'BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI ' +
		'FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN ' +
		'IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME ' +
		'MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF ' +
		'PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV ' +
		'SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE ' +
		'YT ZA ZM ZW'
	).split(' '),
);

/** Every code, for a list to choose from. */
export function countryCodes(): string[] {
	return [...COUNTRY_CODES];
}

export function isCountryCode(value: string): boolean {
	return COUNTRY_CODES.has(value);
}

export function campaignIdProblem(value: string): string | null {
	if (value === '') return 'is empty: copy the campaign ID from CatalystPay';
	if (!UUID.test(value)) {
		return `"${value}" is not a UUID; a campaign ID looks like a1b2c3d4-e5f6-7890-abcd-ef1234567890`;
	}
	return null;
}

export function emailProblem(value: string): string | null {
	if (value === '') return 'is empty';
	if (!EMAIL.test(value)) return `"${value}" is not an email address`;
	return null;
}

export function countryProblem(value: string): string | null {
	if (value === '') return 'is empty';
	if (!isCountryCode(value)) {
		return `"${value}" is not an ISO 3166-1 alpha-2 country code; use two capital letters such as DE, AT or FR`;
	}
	return null;
}

/**
 * Accepts a session token or the payment URL that holds one (people paste whichever they have) and
 * returns the token, or the reason it is not one.
 */
export function parseSessionToken(value: string): { token: string } | { problem: string } {
	const trimmed = value.trim();
	const fromUrl = PAYMENT_URL_TOKEN.exec(trimmed);
	const token = fromUrl ? fromUrl[1] : trimmed;
	if (token === '') return { problem: 'is empty: use the session_token returned when the session was created' };
	if (!SESSION_TOKEN.test(token)) {
		return {
			problem: `"${value}" is not a payment session token; tokens start with ps_ and look like ps_abc123def456ghi789jkl012mno345`,
		};
	}
	return { token };
}
