/**
 * Differential test against CPython itself: thousands of generated bodies, each canonicalized by our
 * code and by `python3`, which must agree on every byte and on every refusal.
 */
import { canonicalize } from '../../lib/signature/canonicalJson';
import { pythonCanonical, seededRandom } from '../helpers/pythonOracle';

const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
const random = seededRandom(SEED);
const pick = <T>(options: readonly T[]): T => options[Math.floor(random() * options.length)];
const int = (max: number) => Math.floor(random() * max);

const CHARS = [
	'a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u0000', '\u001f', '\u007f', 'ä', 'ß', '€', '\u00a0',
	'\u2028', '\ufeff', '\uff21', '\ud7ff', '\ue000', '\uffff', '😀', '💶', '中', '\ud83d', '\ude00',
];
const ESCAPES = ['\\n', '\\"', '\\\\', '\\/', '\\u00e9', '\\u00E9', '\\ud83d\\ude00', '\\ud83d', '\\ude00', '\\u0041', '\\b', '\\u001F'];

function stringToken(): string {
	let text = '';
	for (let i = int(8); i > 0; i--) {
		if (random() < 0.3) text += pick(ESCAPES);
		else {
			const c = pick(CHARS);
			text += c === '"' || c === '\\' ? '\\' + c : c < ' ' ? '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0') : c;
		}
	}
	return `"${text}"`;
}

function doubleFromBits(): number {
	const view = new DataView(new ArrayBuffer(8));
	view.setUint32(0, int(2 ** 32));
	view.setUint32(4, int(2 ** 32));
	return view.getFloat64(0);
}

function numberToken(): string {
	switch (int(7)) {
		case 0:
			return String(int(2e9) - 1e9);
		case 1:
			return (random() < 0.5 ? '-' : '') + (1 + int(9)) + '9876543210'.repeat(1 + int(4));
		case 2: {
			const x = doubleFromBits();
			if (!Number.isFinite(x)) return '1.5';
			const s = String(x);
			return /[.e]/.test(s) ? s : s + '.0';
		}
		case 3:
			return `${int(10)}.${int(1e6)}e${pick(['', '+', '-'])}${int(330)}`;
		case 4:
			return `${1 + int(9)}${'0123456789'.slice(int(10))}.${'5'.repeat(1 + int(25))}E-${int(30)}`;
		case 5:
			return pick(['0', '-0', '0.0', '-0.0', '1e16', '1e15', '1E-4', '1e-5', '9007199254740993', '2.5e-7', '1e400', '-1e400', '1e-400']);
		default:
			return String(random() * 10 ** (int(40) - 20));
	}
}

function valueToken(depth: number): string {
	const kind = int(depth < 4 ? 10 : 6);
	if (kind <= 2) return stringToken();
	if (kind <= 4) return numberToken();
	if (kind === 5) return pick(['true', 'false', 'null', 'NaN', 'Infinity', '-Infinity']);
	const ws = () => pick(['', ' ', '\n  ', '\t', '\r\n']);
	if (kind <= 8) {
		const members: string[] = [];
		const keys: string[] = [];
		for (let i = int(6); i > 0; i--) {
			const key = keys.length && random() < 0.15 ? pick(keys) : stringToken();
			keys.push(key);
			members.push(`${ws()}${key}${ws()}:${ws()}${valueToken(depth + 1)}${ws()}`);
		}
		return '{' + members.join(',') + '}';
	}
	const items: string[] = [];
	for (let i = int(5); i > 0; i--) items.push(ws() + valueToken(depth + 1) + ws());
	return '[' + items.join(',') + ']';
}

/** Small damage that often turns a body into something Python refuses, to test the refusals too. */
function damage(body: string): string {
	const at = int(body.length + 1);
	switch (int(4)) {
		case 0:
			return body.slice(0, at) + pick([',', ']', '}', '"', '\\', '\u0001', ':', '-', '.', 'e', '0']) + body.slice(at);
		case 1:
			return body.slice(0, at) + body.slice(at + 1);
		case 2:
			return body.slice(0, at);
		default:
			return body + pick([' ', 'x', '\u0000', ',']);
	}
}

function codec(body: string): Buffer {
	const roll = random();
	if (roll < 0.8) return Buffer.from(body, 'utf8');
	if (roll < 0.9) return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body, 'utf8')]);
	return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(body, 'utf16le')]);
}

test(`agrees with CPython on generated bodies (seed ${SEED})`, () => {
	const bodies: Buffer[] = [];
	for (let i = 0; i < 4000; i++) {
		let body = valueToken(0);
		if (random() < 0.25) body = damage(body);
		bodies.push(codec(body));
	}
	const expected = pythonCanonical(bodies);
	const disagreements: string[] = [];
	bodies.forEach((body, i) => {
		let actual: string | null;
		try {
			actual = canonicalize(body);
		} catch {
			actual = null;
		}
		if (actual !== expected[i] && disagreements.length < 5) {
			disagreements.push(`body ${body.toString('base64')}\n  python: ${expected[i]}\n  ours:   ${actual}`);
		}
	});
	expect(disagreements).toEqual([]);
	// The generator must exercise both sides, or the comparison proves little.
	expect(expected.filter((c) => c === null).length).toBeGreaterThan(300);
	expect(expected.filter((c) => c !== null).length).toBeGreaterThan(2500);
});

test('formats 20,000 random doubles exactly as repr() does', () => {
	const values: number[] = [];
	while (values.length < 20000) {
		const x = doubleFromBits();
		if (Number.isFinite(x)) values.push(x);
	}
	// 17 significant digits always read back to the same double in both languages.
	const body = '[' + values.map((x) => x.toExponential(16)).join(',') + ']';
	const [expected] = pythonCanonical([Buffer.from(body)]);
	expect(canonicalize(body)).toBe(expected);
});

test('plain decimals of every length and scale are written as repr() writes them', () => {
	const tokens: string[] = [];
	for (let i = 0; i < 20000; i++) {
		const digits = String(1 + int(9)) + Array.from({ length: int(19) }, () => String(int(10))).join('');
		const point = int(digits.length + 6) - 5;
		const token =
			point <= 0 ? `0.${'0'.repeat(-point)}${digits}` : point >= digits.length ? `${digits}.${'0'.repeat(int(3))}${int(10)}` : `${digits.slice(0, point)}.${digits.slice(point)}`;
		tokens.push((random() < 0.2 ? '-' : '') + token);
	}
	const body = '[' + tokens.join(',') + ']';
	const [expected] = pythonCanonical([Buffer.from(body)]);
	expect(canonicalize(body)).toBe(expected);
});
