/**
 * JSON strings as CPython's json reads and writes them: decoded from the input (escapes, UTF-8 with
 * surrogates passed through) and written back with `ensure_ascii`, every character outside printable
 * ASCII as `\uXXXX` (astral ones as their surrogate pair) and the usual two-character escapes.
 */
import {
	BACKSLASH,
	BACKSPACE,
	CR,
	DEL,
	DIGIT_0,
	DIGIT_9,
	FORM_FEED,
	LF,
	LOWER_A,
	LOWER_B,
	LOWER_F,
	LOWER_N,
	LOWER_R,
	LOWER_T,
	LOWER_U,
	QUOTE,
	SLASH,
	SPACE,
	TAB,
	UPPER_A,
	UPPER_F,
} from './ascii';
import { isHighSurrogate, isLowSurrogate } from './inputEncoding';
import type { ParseState } from './parseState';

const HEX = Buffer.from('0123456789abcdef', 'latin1');

/** The letter after a backslash for the characters Python writes as two-character escapes. */
const SHORT_ESCAPE = new Int16Array(128).fill(-1);
SHORT_ESCAPE[QUOTE] = QUOTE;
SHORT_ESCAPE[BACKSLASH] = BACKSLASH;
SHORT_ESCAPE[BACKSPACE] = LOWER_B;
SHORT_ESCAPE[FORM_FEED] = LOWER_F;
SHORT_ESCAPE[LF] = LOWER_N;
SHORT_ESCAPE[CR] = LOWER_R;
SHORT_ESCAPE[TAB] = LOWER_T;

/** What each escape letter in the input decodes to (-1: not an escape JSON knows). */
const ESCAPE_VALUE = new Int16Array(128).fill(-1);
ESCAPE_VALUE[QUOTE] = QUOTE;
ESCAPE_VALUE[BACKSLASH] = BACKSLASH;
ESCAPE_VALUE[SLASH] = SLASH;
ESCAPE_VALUE[LOWER_B] = BACKSPACE;
ESCAPE_VALUE[LOWER_F] = FORM_FEED;
ESCAPE_VALUE[LOWER_N] = LF;
ESCAPE_VALUE[LOWER_R] = CR;
ESCAPE_VALUE[LOWER_T] = TAB;

/** Bytes that stand for themselves inside a canonical string: printable ASCII but `"` and `\`. */
const PLAIN = new Uint8Array(256);
for (let c = SPACE; c < DEL; c++) PLAIN[c] = c === QUOTE || c === BACKSLASH ? 0 : 1;

/**
 * Reads the string token at `s.pos`. A token of printable ASCII without escapes is its own canonical
 * form and stays in the input; any other is decoded and re-escaped into the leaf buffer. Returns
 * the leaf's start (encoded as for the tape); stringEnd(s, start) gives its end.
 */
export function readString(s: ParseState): number {
	const input = s.input;
	const opening = s.pos;
	let pos = opening + 1;
	while (PLAIN[input[pos]] === 1) pos++;
	if (input[pos] === QUOTE) {
		s.pos = pos + 1;
		s.referencedBytes += s.pos - opening;
		return -1 - opening;
	}

	const leaves = s.leaves;
	const start = leaves.length;
	leaves.reserve(pos - opening + 1);
	input.copy(leaves.data, leaves.length, opening, pos);
	leaves.length += pos - opening;
	for (;;) {
		const c = input[pos];
		if (PLAIN[c] === 1) {
			leaves.reserve(1);
			leaves.data[leaves.length++] = c;
			pos++;
			continue;
		}
		if (c === QUOTE) break;
		if (c === undefined) s.fail('Unterminated string starting', opening);
		if (c < SPACE) s.fail('Invalid control character in string', pos);
		// One input byte can become a six-byte \uXXXX escape.
		leaves.reserve(6 * (input.length - pos) + 16);
		if (c === BACKSLASH) pos = escape(s, pos);
		else if (c >= 0x80) pos = utf8(s, pos);
		else {
			// DEL: a literal character that Python still escapes.
			codePoint(s, c);
			pos++;
		}
	}
	leaves.reserve(1);
	leaves.data[leaves.length++] = QUOTE;
	s.pos = pos + 1;
	return start;
}

/**
 * Where the string readString() just read ends: after its closing quote in the input when it was
 * kept there (start < 0), else at the end of the leaf buffer it was written to.
 */
export function stringEnd(s: ParseState, start: number): number {
	return start < 0 ? s.pos : s.leaves.length;
}

/** The code points of the (already validated) key token at `keyPos`, as Python decodes it. */
export function keyCodePoints(s: ParseState, keyPos: number): number[] {
	const input = s.input;
	const points: number[] = [];
	s.decodeInto = points;
	let pos = keyPos + 1;
	for (;;) {
		const c = input[pos];
		if (c === QUOTE) break;
		if (c === BACKSLASH) pos = escape(s, pos);
		else if (c >= 0x80) pos = utf8(s, pos);
		else {
			points.push(c);
			pos++;
		}
	}
	s.decodeInto = null;
	return points;
}

/** Writes one UTF-16 code unit as Python's ensure_ascii does. */
function writeUnit(s: ParseState, code: number): void {
	const leaves = s.leaves;
	const data = leaves.data;
	if (code >= SPACE && code < DEL && code !== QUOTE && code !== BACKSLASH) {
		data[leaves.length++] = code;
		return;
	}
	const short = code < 0x80 ? SHORT_ESCAPE[code] : -1;
	data[leaves.length++] = BACKSLASH;
	if (short >= 0) {
		data[leaves.length++] = short;
		return;
	}
	data[leaves.length++] = LOWER_U;
	data[leaves.length++] = HEX[(code >> 12) & 15];
	data[leaves.length++] = HEX[(code >> 8) & 15];
	data[leaves.length++] = HEX[(code >> 4) & 15];
	data[leaves.length++] = HEX[code & 15];
}

/** One decoded code point; astral ones are written as their surrogate pair. */
function codePoint(s: ParseState, point: number): void {
	if (s.decodeInto !== null) {
		s.decodeInto.push(point);
		return;
	}
	s.decoded = true;
	if (point >= 0x10000) {
		const offset = point - 0x10000;
		writeUnit(s, 0xd800 + (offset >> 10));
		writeUnit(s, 0xdc00 + (offset & 0x3ff));
	} else {
		writeUnit(s, point);
	}
}

function hex4(s: ParseState, at: number): number {
	const input = s.input;
	let value = 0;
	for (let i = at; i < at + 4; i++) {
		const c = input[i];
		const digit =
			c >= DIGIT_0 && c <= DIGIT_9 ? c - DIGIT_0 : c >= LOWER_A && c <= LOWER_F ? c - LOWER_A + 10 : c >= UPPER_A && c <= UPPER_F ? c - UPPER_A + 10 : -1;
		if (digit < 0) s.fail('Invalid \\uXXXX escape', at - 2);
		value = value * 16 + digit;
	}
	return value;
}

/** The backslash escape at `pos`; returns the position after it. */
function escape(s: ParseState, pos: number): number {
	const input = s.input;
	const kind = input[pos + 1];
	if (kind !== LOWER_U) {
		const decoded = kind < 0x80 ? ESCAPE_VALUE[kind] : -1;
		if (decoded < 0) s.fail('Invalid \\escape', pos);
		codePoint(s, decoded);
		return pos + 2;
	}
	const first = hex4(s, pos + 2);
	// Python pairs an escaped high surrogate only with an escaped low one right after it.
	if (isHighSurrogate(first) && input[pos + 6] === BACKSLASH && input[pos + 7] === LOWER_U) {
		const next = hex4(s, pos + 8);
		if (isLowSurrogate(next)) {
			codePoint(s, 0x10000 + ((first - 0xd800) << 10) + (next - 0xdc00));
			return pos + 12;
		}
	}
	codePoint(s, first);
	return pos + 6;
}

/**
 * The UTF-8 sequence at `pos`, decoded as Python's 'surrogatepass' handler does: strict UTF-8,
 * except that encoded surrogates pass, each one a code point of its own.
 */
function utf8(s: ParseState, pos: number): number {
	const input = s.input;
	const first = input[pos];
	let point: number;
	let size: number;
	let low = 0x80;
	let high = 0xbf;
	if (first >= 0xc2 && first <= 0xdf) {
		size = 2;
		point = first & 0x1f;
	} else if (first >= 0xe0 && first <= 0xef) {
		size = 3;
		point = first & 0x0f;
		if (first === 0xe0) low = 0xa0;
	} else if (first >= 0xf0 && first <= 0xf4) {
		size = 4;
		point = first & 0x07;
		if (first === 0xf0) low = 0x90;
		if (first === 0xf4) high = 0x8f;
	} else {
		return s.fail('Body is not valid UTF-8', pos);
	}
	for (let k = 1; k < size; k++) {
		const next = input[pos + k];
		const min = k === 1 ? low : 0x80;
		const max = k === 1 ? high : 0xbf;
		if (next === undefined || next < min || next > max) s.fail('Body is not valid UTF-8', pos);
		point = (point << 6) | (next & 0x3f);
	}
	codePoint(s, point);
	return pos + size;
}
