/**
 * CatalystPay signs `json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))` as CPython
 * computes it. This module reproduces that string byte for byte from the raw request body, without
 * going through JavaScript values: `JSON.parse` would lose big integers, the spelling of floats
 * (`1.0` vs `1`), duplicate-key order and lone surrogates, each of which changes the signed bytes.
 *
 * It is a single-pass parser that emits the canonical text of every value as it reads it.
 */
/** Thrown for any body CPython's `json.loads` would refuse; the message says where and why. */
export class CanonicalJsonError extends Error {
	constructor(
		message: string,
		readonly position: number,
	) {
		super(`${message} (at character ${position})`);
		this.name = 'CanonicalJsonError';
	}
}

/**
 * CPython's json module recurses once per nested container and gives up near its default recursion
 * limit of 1000 (about 994 levels in a plain script), so a CatalystPay sender can never sign anything
 * deeper. Refusing there keeps a hostile body from exhausting our stack.
 */
export const MAX_NESTING_DEPTH = 1000;

/** CPython refuses to convert integers longer than this (`sys.get_int_max_str_digits()`). */
const MAX_INT_DIGITS = 4300;

const HIGH_SURROGATE_MIN = 0xd800;
const LOW_SURROGATE_MIN = 0xdc00;
const SURROGATE_MAX = 0xdfff;

const isHigh = (unit: number) => unit >= HIGH_SURROGATE_MIN && unit < LOW_SURROGATE_MIN;
const isLow = (unit: number) => unit >= LOW_SURROGATE_MIN && unit <= SURROGATE_MAX;

/** A JSON string that is already canonical: printable ASCII without `"` or `\`. */
const PLAIN_STRING = /"[\x20\x21\x23-\x5b\x5d-\x7e]*"/y;
/** The JSON number grammar exactly as CPython's scanner matches it. */
const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;
/** Characters that end a run of literal text inside a string token. */
const STRING_SPECIAL = /["\\\x00-\x1f]/g;

const DECODED_ESCAPES: Record<number, string> = {
	0x22: '"',
	0x5c: '\\',
	0x2f: '/',
	0x62: '\b',
	0x66: '\f',
	0x6e: '\n',
	0x72: '\r',
	0x74: '\t',
};

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

const isPrintableAscii = (unit: number) => unit >= 0x20 && unit < 0x7f && unit !== 0x22 && unit !== 0x5c;

/**
 * Python's `ensure_ascii` output for a decoded string. Astral characters become their surrogate pair
 * and lone surrogates their own escape, which is exactly one `\uXXXX` per UTF-16 code unit.
 * Written byte by byte into a buffer: a 5 MB string of umlauts escapes in tens of milliseconds this
 * way, against a second through `String#replace`.
 */
export function pythonAsciiString(value: string): string {
	const length = value.length;
	let i = 0;
	while (i < length && isPrintableAscii(value.charCodeAt(i))) i++;
	if (i === length) return '"' + value + '"';

	const out = Buffer.allocUnsafe(2 + i + (length - i) * 6);
	out[0] = 0x22;
	let o = 1 + out.write(value.slice(0, i), 1, 'latin1');
	for (; i < length; i++) {
		const unit = value.charCodeAt(i);
		if (isPrintableAscii(unit)) {
			out[o++] = unit;
			continue;
		}
		out[o++] = 0x5c;
		switch (unit) {
			case 0x22:
			case 0x5c:
				out[o++] = unit;
				continue;
			case 0x08:
				out[o++] = 0x62;
				continue;
			case 0x0c:
				out[o++] = 0x66;
				continue;
			case 0x0a:
				out[o++] = 0x6e;
				continue;
			case 0x0d:
				out[o++] = 0x72;
				continue;
			case 0x09:
				out[o++] = 0x74;
				continue;
		}
		out[o++] = 0x75;
		out[o++] = HEX_DIGITS[unit >> 12];
		out[o++] = HEX_DIGITS[(unit >> 8) & 15];
		out[o++] = HEX_DIGITS[(unit >> 4) & 15];
		out[o++] = HEX_DIGITS[unit & 15];
	}
	out[o++] = 0x22;
	return out.toString('latin1', 0, o);
}

/** `repr(float)` in CPython: shortest round-trip digits, exponent form outside [1e-4, 1e16). */
export function pythonFloatRepr(value: number): string {
	if (Number.isNaN(value)) return 'NaN';
	if (value === Infinity) return 'Infinity';
	if (value === -Infinity) return '-Infinity';
	if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';

	const sign = value < 0 ? '-' : '';
	// Both engines print the shortest digit string that round-trips; only the layout differs.
	const text = String(Math.abs(value));
	let digits: string;
	let pointPosition: number;
	const e = text.indexOf('e');
	if (e >= 0) {
		digits = text.slice(0, e).replace('.', '');
		pointPosition = Number(text.slice(e + 1)) + 1;
	} else {
		const dot = text.indexOf('.');
		const whole = dot < 0 ? text : text.slice(0, dot);
		const fraction = dot < 0 ? '' : text.slice(dot + 1);
		if (whole !== '0') {
			digits = whole + fraction;
			pointPosition = whole.length;
		} else {
			let zeros = 0;
			while (fraction.charCodeAt(zeros) === 0x30) zeros++;
			digits = fraction.slice(zeros);
			pointPosition = -zeros;
		}
	}
	let end = digits.length;
	while (end > 1 && digits.charCodeAt(end - 1) === 0x30) end--;
	digits = digits.slice(0, end);

	if (pointPosition > -4 && pointPosition <= 16) {
		if (pointPosition <= 0) return `${sign}0.${'0'.repeat(-pointPosition)}${digits}`;
		if (pointPosition >= digits.length) {
			return `${sign}${digits}${'0'.repeat(pointPosition - digits.length)}.0`;
		}
		return `${sign}${digits.slice(0, pointPosition)}.${digits.slice(pointPosition)}`;
	}
	const exponent = pointPosition - 1;
	const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
	const magnitude = String(Math.abs(exponent)).padStart(2, '0');
	return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${magnitude}`;
}

/** An object member: its decoded key (for sorting and duplicates) and its canonical text. */
interface Member {
	key: string;
	/** Code points, only for keys that hold surrogates, where UTF-16 order and code point order differ. */
	codePoints: number[] | null;
	text: string;
}

/**
 * Python sorts keys by code point. UTF-16 order agrees except around surrogates, so only keys that
 * contain them are compared through their code points.
 */
function compareMembers(a: Member, b: Member): number {
	if (a.codePoints === null && b.codePoints === null) {
		return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
	}
	const left = a.codePoints ?? codePointsOf(a.key, null);
	const right = b.codePoints ?? codePointsOf(b.key, null);
	const length = Math.min(left.length, right.length);
	for (let i = 0; i < length; i++) {
		if (left[i] !== right[i]) return left[i] - right[i];
	}
	return left.length - right.length;
}

/**
 * The Python code points of a decoded string. `splits` holds the indexes of high surrogates that
 * Python keeps apart from the low surrogate after them (they reached it as two separate characters).
 */
function codePointsOf(value: string, splits: Set<number> | null): number[] {
	const points: number[] = [];
	for (let i = 0; i < value.length; i++) {
		const unit = value.charCodeAt(i);
		if (isHigh(unit) && i + 1 < value.length && !splits?.has(i)) {
			const next = value.charCodeAt(i + 1);
			if (isLow(next)) {
				points.push((unit - HIGH_SURROGATE_MIN) * 0x400 + (next - LOW_SURROGATE_MIN) + 0x10000);
				i++;
				continue;
			}
		}
		points.push(unit);
	}
	return points;
}

const hasSurrogate = /[\ud800-\udfff]/;

/** What a decoded string token yields: its value and where Python sees split surrogate pairs. */
interface DecodedString {
	value: string;
	splits: Set<number> | null;
}

class CanonicalParser {
	private pos = 0;
	private depth = 0;

	constructor(
		private readonly text: string,
		/** Text indexes of high surrogates that the byte decoding produced apart from the next unit. */
		private readonly textSplits: Set<number> | null,
	) {}

	run(): string {
		this.skipWhitespace();
		const result = this.value();
		this.skipWhitespace();
		if (this.pos !== this.text.length) this.fail('Extra data after the JSON value');
		return result;
	}

	private fail(message: string, at = this.pos): never {
		throw new CanonicalJsonError(message, at);
	}

	private skipWhitespace(): void {
		const text = this.text;
		let pos = this.pos;
		for (;;) {
			const c = text.charCodeAt(pos);
			if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
			else break;
		}
		this.pos = pos;
	}

	private value(): string {
		const c = this.text.charCodeAt(this.pos);
		switch (c) {
			case 0x22: // "
				return this.stringToken();
			case 0x7b: // {
				return this.object();
			case 0x5b: // [
				return this.array();
			case 0x6e: // n
				return this.literal('null', 'null');
			case 0x74: // t
				return this.literal('true', 'true');
			case 0x66: // f
				return this.literal('false', 'false');
			case 0x4e: // N
				return this.literal('NaN', 'NaN');
			case 0x49: // I
				return this.literal('Infinity', 'Infinity');
			case 0x2d: // -
				if (this.text.startsWith('-Infinity', this.pos)) return this.literal('-Infinity', '-Infinity');
				return this.number();
			default:
				if (c >= 0x30 && c <= 0x39) return this.number();
				return this.fail('Expecting value');
		}
	}

	private literal(word: string, canonical: string): string {
		if (!this.text.startsWith(word, this.pos)) this.fail('Expecting value');
		this.pos += word.length;
		return canonical;
	}

	private number(): string {
		NUMBER.lastIndex = this.pos;
		const match = NUMBER.exec(this.text);
		if (match === null) return this.fail('Expecting value');
		const token = match[0];
		const start = this.pos;
		this.pos += token.length;
		if (match[1] === undefined && match[2] === undefined) {
			const digits = token.charCodeAt(0) === 0x2d ? token.length - 1 : token.length;
			if (digits > MAX_INT_DIGITS) {
				this.fail(`Integer has ${digits} digits; Python refuses more than ${MAX_INT_DIGITS}`, start);
			}
			// Python ints are exact, so the digits stand as sent; only -0 becomes 0.
			return token === '-0' ? '0' : token;
		}
		return pythonFloatRepr(Number(token));
	}

	private stringToken(): string {
		PLAIN_STRING.lastIndex = this.pos;
		if (PLAIN_STRING.test(this.text)) {
			const start = this.pos;
			this.pos = PLAIN_STRING.lastIndex;
			return this.text.slice(start, this.pos);
		}
		return pythonAsciiString(this.decodeString().value);
	}

	/** Reads the string token at `pos` (which is a `"`) and returns its decoded value. */
	private decodeString(): DecodedString {
		const text = this.text;
		const start = this.pos;
		let pos = start + 1;
		let value = '';
		let splits: Set<number> | null = null;
		const split = (index: number) => (splits ??= new Set()).add(index);

		for (;;) {
			STRING_SPECIAL.lastIndex = pos;
			const found = STRING_SPECIAL.exec(text);
			if (found === null) this.fail('Unterminated string starting', start);
			const end = found.index;
			if (end > pos) {
				// Python keeps an escaped high surrogate apart from a literal low one after it.
				if (value.length > 0 && isHigh(value.charCodeAt(value.length - 1)) && isLow(text.charCodeAt(pos))) {
					split(value.length - 1);
				}
				if (this.textSplits !== null) {
					for (let i = pos; i < end - 1; i++) {
						if (this.textSplits.has(i)) split(value.length + i - pos);
					}
				}
				value += text.slice(pos, end);
			}
			const c = text.charCodeAt(end);
			if (c === 0x22) {
				this.pos = end + 1;
				return { value, splits };
			}
			if (c !== 0x5c) this.fail('Invalid control character in string', end);

			const kind = text.charCodeAt(end + 1);
			if (kind !== 0x75) {
				const decoded = DECODED_ESCAPES[kind];
				if (decoded === undefined) this.fail('Invalid \\escape', end);
				value += decoded;
				pos = end + 2;
				continue;
			}
			const unit = this.hex4(end + 2);
			pos = end + 6;
			if (isHigh(unit) && text.charCodeAt(pos) === 0x5c && text.charCodeAt(pos + 1) === 0x75) {
				const next = this.hex4(pos + 2);
				if (isLow(next)) {
					value += String.fromCharCode(unit, next);
					pos += 6;
					continue;
				}
			} else if (isLow(unit) && value.length > 0 && isHigh(value.charCodeAt(value.length - 1))) {
				// A literal high surrogate followed by an escaped low one stays two code points.
				split(value.length - 1);
			}
			value += String.fromCharCode(unit);
		}
	}

	private hex4(at: number): number {
		const digits = this.text.slice(at, at + 4);
		if (!/^[0-9a-fA-F]{4}$/.test(digits)) this.fail('Invalid \\uXXXX escape', at - 2);
		return parseInt(digits, 16);
	}

	private enter(): void {
		if (++this.depth > MAX_NESTING_DEPTH) {
			this.fail(`Nested deeper than ${MAX_NESTING_DEPTH} levels, more than Python's json can produce`);
		}
	}

	private object(): string {
		this.enter();
		const text = this.text;
		this.pos++;
		this.skipWhitespace();
		const members: Member[] = [];
		let needsCodePoints = false;

		if (text.charCodeAt(this.pos) === 0x7d) {
			this.pos++;
			this.depth--;
			return '{}';
		}
		for (;;) {
			if (text.charCodeAt(this.pos) !== 0x22) {
				this.fail('Expecting property name enclosed in double quotes');
			}
			let key: string;
			let keyText: string;
			let codePoints: number[] | null = null;
			PLAIN_STRING.lastIndex = this.pos;
			if (PLAIN_STRING.test(text)) {
				keyText = text.slice(this.pos, PLAIN_STRING.lastIndex);
				key = keyText.slice(1, -1);
				this.pos = PLAIN_STRING.lastIndex;
			} else {
				const decoded = this.decodeString();
				key = decoded.value;
				keyText = pythonAsciiString(key);
				if (hasSurrogate.test(key)) {
					codePoints = codePointsOf(key, decoded.splits);
					needsCodePoints = true;
				}
			}
			this.skipWhitespace();
			if (text.charCodeAt(this.pos) !== 0x3a) this.fail("Expecting ':' delimiter");
			this.pos++;
			this.skipWhitespace();
			members.push({ key, codePoints, text: keyText + ':' + this.value() });
			this.skipWhitespace();
			const c = text.charCodeAt(this.pos);
			this.pos++;
			if (c === 0x7d) break;
			if (c !== 0x2c) this.fail("Expecting ',' delimiter", this.pos - 1);
			this.skipWhitespace();
		}
		this.depth--;
		return '{' + sortedMembers(members, needsCodePoints) + '}';
	}

	private array(): string {
		this.enter();
		const text = this.text;
		this.pos++;
		this.skipWhitespace();
		if (text.charCodeAt(this.pos) === 0x5d) {
			this.pos++;
			this.depth--;
			return '[]';
		}
		let out = '[';
		for (;;) {
			out += this.value();
			this.skipWhitespace();
			const c = text.charCodeAt(this.pos);
			this.pos++;
			if (c === 0x5d) break;
			if (c !== 0x2c) this.fail("Expecting ',' delimiter", this.pos - 1);
			this.skipWhitespace();
			out += ',';
		}
		this.depth--;
		return out + ']';
	}
}

/** Sorted by code point; of duplicate keys the last one wins, as in a Python dict. */
function sortedMembers(members: Member[], byCodePoint: boolean): string {
	if (members.length === 1) return members[0].text;
	// Array#sort is stable, so equal keys stay in arrival order and the last of each run wins.
	members.sort(byCodePoint ? compareMembers : (a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
	let out = '';
	for (let i = 0; i < members.length; i++) {
		if (i + 1 < members.length && compareMembers(members[i], members[i + 1]) === 0) continue;
		out += out.length === 0 ? members[i].text : ',' + members[i].text;
	}
	return out;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text CPython's `json.loads(bytes)` decodes, with its split surrogate pairs. */
interface DecodedBody {
	text: string;
	splits: Set<number> | null;
}

/** `json.detect_encoding`, then `bytes.decode(encoding, 'surrogatepass')`. */
export function decodeBody(bytes: Uint8Array): DecodedBody {
	const b = bytes;
	const length = b.length;
	if (length >= 4 && ((b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) || (b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0))) {
		return decodeUtf32(b.subarray(4), b[0] === 0);
	}
	if (length >= 2 && ((b[0] === 0xfe && b[1] === 0xff) || (b[0] === 0xff && b[1] === 0xfe))) {
		return decodeUtf16(b.subarray(2), b[0] === 0xfe);
	}
	if (length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return decodeUtf8(b.subarray(3));
	if (length >= 4) {
		if (b[0] === 0) return b[1] ? decodeUtf16(b, true) : decodeUtf32(b, true);
		if (b[1] === 0) return b[2] || b[3] ? decodeUtf16(b, false) : decodeUtf32(b, false);
	} else if (length === 2) {
		if (b[0] === 0) return decodeUtf16(b, true);
		if (b[1] === 0) return decodeUtf16(b, false);
	}
	return decodeUtf8(b);
}

function decodeUtf8(bytes: Uint8Array): DecodedBody {
	try {
		return { text: utf8Decoder.decode(bytes), splits: null };
	} catch {
		// Strict UTF-8 refuses encoded surrogates, which Python lets through: decide byte by byte.
		return decodeUtf8SurrogatePass(bytes);
	}
}

/** Strict UTF-8 that also lets encoded surrogates through, as Python's 'surrogatepass' does. */
function decodeUtf8SurrogatePass(b: Uint8Array): DecodedBody {
	const units: number[] = [];
	let splits: Set<number> | null = null;
	let previousWasLoneHigh = false;
	const invalid = (at: number): never => {
		throw new CanonicalJsonError('Body is not valid UTF-8', at);
	};
	for (let i = 0; i < b.length; ) {
		const first = b[i];
		let point: number;
		let size: number;
		if (first < 0x80) {
			point = first;
			size = 1;
		} else if (first >= 0xc2 && first <= 0xdf) {
			size = 2;
			point = first & 0x1f;
		} else if (first >= 0xe0 && first <= 0xef) {
			size = 3;
			point = first & 0x0f;
		} else if (first >= 0xf0 && first <= 0xf4) {
			size = 4;
			point = first & 0x07;
		} else {
			return invalid(i);
		}
		if (i + size > b.length) invalid(i);
		for (let k = 1; k < size; k++) {
			const next = b[i + k];
			if ((next & 0xc0) !== 0x80) invalid(i);
			point = (point << 6) | (next & 0x3f);
		}
		if ((size === 3 && point < 0x800) || (size === 4 && (point < 0x10000 || point > 0x10ffff))) invalid(i);
		i += size;
		if (point >= 0x10000) {
			point -= 0x10000;
			units.push(HIGH_SURROGATE_MIN + (point >> 10), LOW_SURROGATE_MIN + (point & 0x3ff));
			previousWasLoneHigh = false;
			continue;
		}
		if (previousWasLoneHigh && isLow(point)) (splits ??= new Set()).add(units.length - 1);
		previousWasLoneHigh = isHigh(point);
		units.push(point);
	}
	return { text: unitsToString(units), splits };
}

function decodeUtf16(b: Uint8Array, bigEndian: boolean): DecodedBody {
	if (b.length % 2 !== 0) throw new CanonicalJsonError('Body is truncated UTF-16', b.length - 1);
	const units = new Array<number>(b.length / 2);
	for (let i = 0; i < units.length; i++) {
		units[i] = bigEndian ? (b[2 * i] << 8) | b[2 * i + 1] : b[2 * i] | (b[2 * i + 1] << 8);
	}
	// Adjacent high and low units always pair in UTF-16, so Python never splits them here.
	return { text: unitsToString(units), splits: null };
}

function decodeUtf32(b: Uint8Array, bigEndian: boolean): DecodedBody {
	if (b.length % 4 !== 0) throw new CanonicalJsonError('Body is truncated UTF-32', b.length - 1);
	const units: number[] = [];
	let splits: Set<number> | null = null;
	let previousWasHigh = false;
	for (let i = 0; i < b.length; i += 4) {
		const point = bigEndian
			? ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0
			: ((b[i + 3] << 24) | (b[i + 2] << 16) | (b[i + 1] << 8) | b[i]) >>> 0;
		if (point > 0x10ffff) throw new CanonicalJsonError('Body is not valid UTF-32', i);
		if (point >= 0x10000) {
			const offset = point - 0x10000;
			units.push(HIGH_SURROGATE_MIN + (offset >> 10), LOW_SURROGATE_MIN + (offset & 0x3ff));
			previousWasHigh = false;
			continue;
		}
		if (previousWasHigh && isLow(point)) (splits ??= new Set()).add(units.length - 1);
		previousWasHigh = isHigh(point);
		units.push(point);
	}
	return { text: unitsToString(units), splits };
}

function unitsToString(units: number[]): string {
	let out = '';
	for (let i = 0; i < units.length; i += 8192) {
		out += String.fromCharCode(...units.slice(i, i + 8192));
	}
	return out;
}

/**
 * CPython's canonical form of a webhook body:
 * `json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))`.
 *
 * A Buffer is read as `json.loads` reads bytes (UTF-8, -16 or -32 by its first bytes, surrogates
 * passed through); a string as `json.loads` reads a str. Throws `CanonicalJsonError` for anything
 * `json.loads` would refuse.
 */
export function canonicalize(body: string | Uint8Array): string {
	let text: string;
	let splits: Set<number> | null = null;
	if (typeof body === 'string') {
		if (body.charCodeAt(0) === 0xfeff) {
			throw new CanonicalJsonError('Unexpected UTF-8 BOM (Python refuses it in a decoded string)', 0);
		}
		text = body;
	} else {
		({ text, splits } = decodeBody(body));
	}
	return new CanonicalParser(text, splits).run();
}
