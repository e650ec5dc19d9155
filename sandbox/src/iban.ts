/**
 * IBAN checks for the sandbox's hosted page: the same checks a real payment page makes before it
 * submits anything, with answers a customer can act on rather than "invalid input".
 */

export type IbanCheck = { ok: true; iban: string } | { ok: false; problem: string };

interface IbanCountry {
	/** As it reads after "an IBAN from": articles included, so messages read naturally. */
	name: string;
	length: number;
}

/**
 * Every country in SWIFT's IBAN registry (release 99/100, 2024-2025) with its IBAN length.
 * Territories that bank under another country's code (Jersey under GB, Réunion under FR, Åland
 * under FI, ...) are not listed, because their IBANs start with that country's code.
 */
export const IBAN_COUNTRIES: Readonly<Record<string, IbanCountry>> = {
	AD: { name: 'Andorra', length: 24 },
	AE: { name: 'the United Arab Emirates', length: 23 },
	AL: { name: 'Albania', length: 28 },
	AT: { name: 'Austria', length: 20 },
	AZ: { name: 'Azerbaijan', length: 28 },
	BA: { name: 'Bosnia and Herzegovina', length: 20 },
	BE: { name: 'Belgium', length: 16 },
	BG: { name: 'Bulgaria', length: 22 },
	BH: { name: 'Bahrain', length: 22 },
	BI: { name: 'Burundi', length: 27 },
	BR: { name: 'Brazil', length: 29 },
	BY: { name: 'Belarus', length: 28 },
	CH: { name: 'Switzerland', length: 21 },
	CR: { name: 'Costa Rica', length: 22 },
	CY: { name: 'Cyprus', length: 28 },
	CZ: { name: 'the Czech Republic', length: 24 },
	DE: { name: 'Germany', length: 22 },
	DJ: { name: 'Djibouti', length: 27 },
	DK: { name: 'Denmark', length: 18 },
	DO: { name: 'the Dominican Republic', length: 28 },
	EE: { name: 'Estonia', length: 20 },
	EG: { name: 'Egypt', length: 29 },
	ES: { name: 'Spain', length: 24 },
	FI: { name: 'Finland', length: 18 },
	FK: { name: 'the Falkland Islands', length: 18 },
	FO: { name: 'the Faroe Islands', length: 18 },
	FR: { name: 'France', length: 27 },
	GB: { name: 'the United Kingdom', length: 22 },
	GE: { name: 'Georgia', length: 22 },
	GI: { name: 'Gibraltar', length: 23 },
	GL: { name: 'Greenland', length: 18 },
	GR: { name: 'Greece', length: 27 },
	GT: { name: 'Guatemala', length: 28 },
	HN: { name: 'Honduras', length: 28 },
	HR: { name: 'Croatia', length: 21 },
	HU: { name: 'Hungary', length: 28 },
	IE: { name: 'Ireland', length: 22 },
	IL: { name: 'Israel', length: 23 },
	IQ: { name: 'Iraq', length: 23 },
	IS: { name: 'Iceland', length: 26 },
	IT: { name: 'Italy', length: 27 },
	JO: { name: 'Jordan', length: 30 },
	KW: { name: 'Kuwait', length: 30 },
	KZ: { name: 'Kazakhstan', length: 20 },
	LB: { name: 'Lebanon', length: 28 },
	LC: { name: 'Saint Lucia', length: 32 },
	LI: { name: 'Liechtenstein', length: 21 },
	LT: { name: 'Lithuania', length: 20 },
	LU: { name: 'Luxembourg', length: 20 },
	LV: { name: 'Latvia', length: 21 },
	LY: { name: 'Libya', length: 25 },
	MC: { name: 'Monaco', length: 27 },
	MD: { name: 'Moldova', length: 24 },
	ME: { name: 'Montenegro', length: 22 },
	MK: { name: 'North Macedonia', length: 19 },
	MN: { name: 'Mongolia', length: 20 },
	MR: { name: 'Mauritania', length: 27 },
	MT: { name: 'Malta', length: 31 },
	MU: { name: 'Mauritius', length: 30 },
	NI: { name: 'Nicaragua', length: 28 },
	NL: { name: 'the Netherlands', length: 18 },
	NO: { name: 'Norway', length: 15 },
	OM: { name: 'Oman', length: 23 },
	PK: { name: 'Pakistan', length: 24 },
	PL: { name: 'Poland', length: 28 },
	PS: { name: 'Palestine', length: 29 },
	PT: { name: 'Portugal', length: 25 },
	QA: { name: 'Qatar', length: 29 },
	RO: { name: 'Romania', length: 24 },
	RS: { name: 'Serbia', length: 22 },
	RU: { name: 'Russia', length: 33 },
	SA: { name: 'Saudi Arabia', length: 24 },
	SC: { name: 'Seychelles', length: 31 },
	SD: { name: 'Sudan', length: 18 },
	SE: { name: 'Sweden', length: 24 },
	SI: { name: 'Slovenia', length: 19 },
	SK: { name: 'Slovakia', length: 24 },
	SM: { name: 'San Marino', length: 27 },
	SO: { name: 'Somalia', length: 23 },
	ST: { name: 'São Tomé and Príncipe', length: 25 },
	SV: { name: 'El Salvador', length: 28 },
	TL: { name: 'Timor-Leste', length: 23 },
	TN: { name: 'Tunisia', length: 24 },
	TR: { name: 'Türkiye', length: 26 },
	UA: { name: 'Ukraine', length: 29 },
	VA: { name: 'Vatican City', length: 22 },
	VG: { name: 'the British Virgin Islands', length: 24 },
	XK: { name: 'Kosovo', length: 20 },
	YE: { name: 'Yemen', length: 30 },
};

export type TestIbanOutcome = 'pay' | 'decline' | 'decline-once';

export interface TestIban {
	outcome: TestIbanOutcome;
	/** What the bank says when it declines; becomes the session's failure_reason. */
	reason?: string;
	note: string;
}

/** The sandbox's documented test accounts, keyed by normalized IBAN. Any other valid IBAN pays. */
export const TEST_IBANS: Readonly<Record<string, TestIban>> = {
	DE89370400440532013000: { outcome: 'pay', note: 'Pays.' },
	AT611904300234573201: { outcome: 'pay', note: 'Pays (an Austrian account).' },
	DE62370400440532013001: {
		outcome: 'decline',
		reason: 'Insufficient funds',
		note: 'Declined on every attempt (insufficient funds); the session fails once the retries run out.',
	},
	DE35370400440532013002: {
		outcome: 'decline-once',
		reason: 'Insufficient funds',
		note: 'Declined on the first attempt, paid on the retry.',
	},
	DE08370400440532013003: {
		outcome: 'decline',
		reason: 'Account closed',
		note: 'Declined on every attempt (account closed); the session fails.',
	},
};

/** Uppercase with every kind of whitespace removed: what was typed, as a bank would read it. */
export function normalizeIban(input: string): string {
	return input.replace(/\s+/g, '').toUpperCase();
}

export function checkIban(input: string): IbanCheck {
	// Copy-paste from PDFs and banking apps brings non-breaking and other Unicode spaces along;
	// those are as harmless as plain spaces, so they are all accepted and dropped.
	const compact = (typeof input === 'string' ? input : '').replace(/\s+/g, '');
	if (compact === '') return { ok: false, problem: 'Please enter your IBAN.' };

	// Checked before uppercasing, which would turn "ß" into "SS" and let it through.
	const bad = /[^A-Za-z0-9]/u.exec(compact);
	if (bad) {
		return {
			ok: false,
			problem: `An IBAN has only letters, digits and spaces; "${bad[0]}" is not allowed.`,
		};
	}

	const iban = compact.toUpperCase();
	const code = iban.slice(0, 2);
	if (!/^[A-Z]{2}$/.test(code)) {
		return {
			ok: false,
			problem: 'An IBAN starts with a two-letter country code, such as DE for Germany.',
		};
	}
	const country = IBAN_COUNTRIES[code];
	if (!country) {
		return {
			ok: false,
			problem: `This IBAN starts with "${code}", which is not the code of a country that uses IBANs.`,
		};
	}

	if (iban.length !== country.length) {
		return {
			ok: false,
			problem: `An IBAN from ${country.name} has ${country.length} characters; this one has ${iban.length}.`,
		};
	}

	// Check digits run 02-98; 00, 01 and 99 would pass mod 97 in place of 97, 98 and 02, so the
	// range is checked on its own to refuse them as the standard does.
	const checkDigits = iban.slice(2, 4);
	if (!/^\d\d$/.test(checkDigits) || Number(checkDigits) < 2 || Number(checkDigits) > 98) {
		return {
			ok: false,
			problem: "This IBAN's check digits (its 3rd and 4th characters) are not valid; please check it for a typing mistake.",
		};
	}
	if (mod97(iban.slice(4) + iban.slice(0, 4)) !== 1) {
		return {
			ok: false,
			problem: "This IBAN's check digits don't match the rest of it, so a character is probably mistyped; please check it against your bank details.",
		};
	}
	return { ok: true, iban };
}

/**
 * ISO 7064 MOD 97-10 over the letters-as-numbers expansion (A=10 ... Z=35), folded one character at
 * a time so the running value stays below 97 * 100 and never leaves exact integer range.
 */
function mod97(rearranged: string): number {
	let remainder = 0;
	for (const char of rearranged) {
		const code = char.charCodeAt(0);
		if (code >= 48 && code <= 57) remainder = (remainder * 10 + (code - 48)) % 97;
		else remainder = (remainder * 100 + (code - 55)) % 97;
	}
	return remainder;
}

/** Groups of four, as IBANs are printed on statements and cards. */
export function formatIban(iban: string): string {
	return normalizeIban(iban).replace(/(.{4})(?=.)/g, '$1 ');
}

/**
 * All but the last four characters replaced by "*", grouped like formatIban: the length still
 * shows, so a customer recognizes their account, but nothing usable is stored or shown.
 */
export function maskIban(iban: string): string {
	const normalized = normalizeIban(iban);
	const visible = Math.min(4, normalized.length);
	const masked = '*'.repeat(normalized.length - visible) + normalized.slice(normalized.length - visible);
	return masked.replace(/(.{4})(?=.)/g, '$1 ');
}
