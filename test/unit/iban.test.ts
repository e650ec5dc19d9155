import { IBAN_COUNTRIES, TEST_IBANS, checkIban, formatIban, maskIban } from '../../sandbox/src/iban';

/** IBANs published as examples in SWIFT's IBAN registry, one per country, check digits included. */
const VALID: Array<[string, string]> = [
	['DE', 'DE89 3704 0044 0532 0130 00'],
	['AT', 'AT61 1904 3002 3457 3201'],
	['NL', 'NL91 ABNA 0417 1643 00'],
	['FR', 'FR14 2004 1010 0505 0001 3M02 606'],
	['GB', 'GB29 NWBK 6016 1331 9268 19'],
	['CH', 'CH93 0076 2011 6238 5295 7'],
	['BE', 'BE68 5390 0754 7034'],
	['ES', 'ES91 2100 0418 4502 0005 1332'],
	['IT', 'IT60 X054 2811 1010 0000 0123 456'],
	['NO', 'NO93 8601 1117 947'],
	['MT', 'MT84 MALT 0110 0001 2345 MTLC AST0 01S'],
	['LC', 'LC55 HEMM 0001 0001 0012 0012 0002 3015'],
	['PL', 'PL61 1090 1014 0000 0712 1981 2874'],
	['BR', 'BR18 0036 0305 0000 1000 9795 493C 1'],
];

function problemOf(input: string): string {
	const result = checkIban(input);
	if (result.ok) throw new Error(`expected ${input} to be refused, got ${result.iban}`);
	return result.problem;
}

describe('checkIban', () => {
	test.each(VALID)('accepts a valid %s IBAN, printed with spaces', (_country, printed) => {
		expect(checkIban(printed)).toEqual({ ok: true, iban: printed.replace(/ /g, '') });
	});

	test.each(VALID)('accepts a valid %s IBAN typed in lowercase without spaces', (_country, printed) => {
		const typed = printed.replace(/ /g, '').toLowerCase();
		expect(checkIban(typed)).toEqual({ ok: true, iban: printed.replace(/ /g, '') });
	});

	test('normalizes stray whitespace, non-breaking spaces from copy-paste included', () => {
		expect(checkIban('  de89\u00a03704 0044\t0532 0130 00 ')).toEqual({ ok: true, iban: 'DE89370400440532013000' });
	});

	test('every documented test IBAN is itself valid', () => {
		for (const iban of Object.keys(TEST_IBANS)) {
			expect(checkIban(iban)).toEqual({ ok: true, iban });
		}
	});

	test('refuses an empty entry', () => {
		expect(problemOf('')).toBe('Please enter your IBAN.');
		expect(problemOf('   ')).toBe('Please enter your IBAN.');
	});

	test.each(['DE89-3704-0044-0532-0130-00', 'DE89.3704.0044.0532.0130.00', 'DE89<script>', 'DE89 3704 0044 0532 0130 0Ä'])(
		'refuses characters other than letters, digits and spaces: %s',
		(input) => {
			expect(problemOf(input)).toMatch(/^An IBAN has only letters, digits and spaces; ".+" is not allowed\.$/);
		},
	);

	test('names the first character it refuses', () => {
		expect(problemOf('DE89-3704')).toContain('"-"');
		// Not uppercased into "SS" first, which would slip past the character check.
		expect(problemOf('DE89 straße')).toContain('"ß"');
	});

	test('refuses an IBAN that does not start with two letters', () => {
		expect(problemOf('1289370400440532013000')).toBe(
			'An IBAN starts with a two-letter country code, such as DE for Germany.',
		);
		expect(problemOf('D')).toMatch(/two-letter country code/);
	});

	test.each(['US64SVBKUS6S3300958879', 'XX89370400440532013000', 'GG29NWBK60161331926819'])(
		'refuses a country that does not use IBANs: %s',
		(input) => {
			expect(problemOf(input)).toBe(
				`This IBAN starts with "${input.slice(0, 2)}", which is not the code of a country that uses IBANs.`,
			);
		},
	);

	test('tells the customer the expected length for the country', () => {
		expect(problemOf('DE89 3704 0044 0532 0130 0')).toBe('An IBAN from Germany has 22 characters; this one has 21.');
		expect(problemOf('DE89 3704 0044 0532 0130 000')).toBe('An IBAN from Germany has 22 characters; this one has 23.');
		expect(problemOf('NL91ABNA04171643')).toBe('An IBAN from the Netherlands has 18 characters; this one has 16.');
		expect(problemOf('AT61')).toBe('An IBAN from Austria has 20 characters; this one has 4.');
	});

	test.each(VALID)('refuses a %s IBAN with one digit changed', (_country, printed) => {
		const iban = printed.replace(/ /g, '');
		// Change the last digit of the BBAN: mod 97 catches every single-character change.
		const index = iban.search(/\d(?=\D*$)/);
		const changed = iban.slice(0, index) + ((Number(iban[index]) + 1) % 10) + iban.slice(index + 1);
		expect(problemOf(changed)).toMatch(/check digits don't match/);
	});

	test('refuses swapped neighbouring digits', () => {
		expect(problemOf('DE89370400440532010300')).toMatch(/check digits don't match/);
	});

	test('refuses the check digits 00, 01 and 99 even where mod 97 would pass them', () => {
		// Check digits run 02-98; 00, 01 and 99 are 97, 98 and 02 modulo 97, so only a range check sees them.
		for (const digits of ['00', '01', '99']) {
			expect(problemOf(`DE${digits}370400440532013000`)).toMatch(/check digits \(its 3rd and 4th characters\)/);
		}
		expect(problemOf('DEAB370400440532013000')).toMatch(/check digits \(its 3rd and 4th characters\)/);
	});

	test('refuses an alias that passes mod 97 alone', () => {
		// A BBAN whose correct check digits are 98 also satisfies mod 97 with 01.
		const bban = findBbanWithCheckDigits('98');
		expect(checkIban(`DE98${bban}`)).toEqual({ ok: true, iban: `DE98${bban}` });
		expect(problemOf(`DE01${bban}`)).toMatch(/check digits \(its 3rd and 4th characters\)/);
	});
});

describe('the country registry', () => {
	test('holds all 89 countries of the SWIFT registry', () => {
		expect(Object.keys(IBAN_COUNTRIES)).toHaveLength(89);
	});

	test.each([
		['DE', 22],
		['AT', 20],
		['NL', 18],
		['FR', 27],
		['GB', 22],
		['CH', 21],
		['BE', 16],
		['ES', 24],
		['IT', 27],
		['NO', 15],
		['LC', 32],
		['RU', 33],
		['YE', 30],
		['HN', 28],
	])('%s IBANs have %i characters', (code, length) => {
		expect(IBAN_COUNTRIES[code]?.length).toBe(length);
	});

	test('every length is within ISO 13616 limits', () => {
		for (const [code, country] of Object.entries(IBAN_COUNTRIES)) {
			expect(code).toMatch(/^[A-Z]{2}$/);
			expect(country.length).toBeGreaterThanOrEqual(15);
			expect(country.length).toBeLessThanOrEqual(34);
		}
	});
});

describe('TEST_IBANS', () => {
	test('documents what each test account does', () => {
		expect(TEST_IBANS).toMatchObject({
			DE89370400440532013000: { outcome: 'pay' },
			AT611904300234573201: { outcome: 'pay' },
			DE62370400440532013001: { outcome: 'decline', reason: 'Insufficient funds' },
			DE35370400440532013002: { outcome: 'decline-once' },
			DE08370400440532013003: { outcome: 'decline', reason: 'Account closed' },
		});
		for (const test of Object.values(TEST_IBANS)) {
			expect(test.note.length).toBeGreaterThan(0);
			if (test.outcome !== 'pay') expect(test.reason).toBeTruthy();
		}
	});
});

describe('formatIban and maskIban', () => {
	test('formatIban groups by four, whatever the input looked like', () => {
		expect(formatIban('de89370400440532013000')).toBe('DE89 3704 0044 0532 0130 00');
		expect(formatIban('AT61 19043002 34573201')).toBe('AT61 1904 3002 3457 3201');
		expect(formatIban('BE68539007547034')).toBe('BE68 5390 0754 7034');
	});

	test('maskIban keeps only the last four characters, grouped the same way', () => {
		expect(maskIban('DE89370400440532013000')).toBe('**** **** **** **** **30 00');
		expect(maskIban('at61 1904 3002 3457 3201')).toBe('**** **** **** **** 3201');
		expect(maskIban('DE89370400440532013000').replace(/[ *]/g, '')).toBe('3000');
	});

	test('maskIban of something shorter than four characters shows nothing more than it was given', () => {
		expect(maskIban('')).toBe('');
		expect(maskIban('AB1')).toBe('AB1');
	});
});

/** A German BBAN whose correct check digits are the given ones, so alias handling can be tested. */
function findBbanWithCheckDigits(digits: string): string {
	for (let n = 0; n < 100000; n++) {
		const bban = `37040044${String(n).padStart(10, '0')}`;
		const numeric = `${bban}131400`; // "DE00" moved to the end: D=13, E=14
		let remainder = 0;
		for (const char of numeric) remainder = (remainder * 10 + Number(char)) % 97;
		if (String(98 - remainder).padStart(2, '0') === digits) return bban;
	}
	throw new Error(`no BBAN found for check digits ${digits}`);
}
