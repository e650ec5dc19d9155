/**
 * CatalystPay signs `json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))` as CPython
 * computes it. This module reproduces those bytes exactly from the raw request body, without going
 * through JavaScript values: `JSON.parse` would lose big integers, the spelling of floats (`1.0` vs
 * `1`), and surrogates Python keeps apart, each of which changes the signed bytes.
 *
 * It reads bytes, not a decoded string, and works in two passes with almost no allocation (webhook
 * verification must stay cheap next to n8n's own work):
 * 1. parse: every scalar's canonical text (Python's escapes, float repr, exact ints) is written once
 *    into a leaf buffer, and the document's shape into a flat "tape" of integers;
 * 2. emit: the tape is walked with each object's members in Python's key order, copying leaves.
 * Each byte is thus copied a fixed number of times however deep the nesting.
 */

import {
	BACKSLASH,
	BACKSPACE,
	COLON,
	COMMA,
	CR,
	DEL,
	DIGIT_0,
	DIGIT_1,
	DIGIT_9,
	DOT,
	FORM_FEED,
	LEFT_BRACE,
	LEFT_BRACKET,
	LF,
	LOWER_A,
	LOWER_B,
	LOWER_E,
	LOWER_F,
	LOWER_N,
	LOWER_R,
	LOWER_T,
	LOWER_U,
	MINUS,
	PLUS,
	QUOTE,
	RIGHT_BRACE,
	RIGHT_BRACKET,
	SLASH,
	SPACE,
	TAB,
	UPPER_A,
	UPPER_E,
	UPPER_F,
	UPPER_I,
	UPPER_N,
} from './ascii';
import { CanonicalJsonError } from './canonicalJsonError';
import { isHighSurrogate, isLowSurrogate, pythonBytes } from './inputEncoding';
import { isReprAlready, pythonFloatRepr } from './pythonFloat';
import { type Bytes, type Ints, returnScratch, type Scratch, takeScratch } from './scratch';

export { CanonicalJsonError } from './canonicalJsonError';
export { pythonFloatRepr } from './pythonFloat';

/**
 * CPython's json module recurses once per nested container and gives up near its default recursion
 * limit of 1000 (about 994 levels in a plain script), so a CatalystPay sender can never sign anything
 * deeper. Refusing there keeps a hostile body from exhausting our stack.
 */
export const MAX_NESTING_DEPTH = 1000;

/** CPython refuses to convert integers longer than this (`sys.get_int_max_str_digits()`). */
const MAX_INT_DIGITS = 4300;

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

// Tape records, flat in an Int32Array. A leaf: [LEAF, start, end], a byte range holding its canonical
// text: in the input when the token is canonical as sent (encoded as start = -1 - offset), else in
// the leaf buffer. An array:
// [ARRAY, count, end] then its elements. An object: [OBJECT, orderStart, count, end] then its
// members, each [keyStart, keyEnd] (the key's canonical text) followed by the value; `orders` holds,
// from orderStart, the tape position of each member to emit, in Python's key order without
// duplicates. `end` is the tape position after the record's last descendant.
const LEAF = 0;
const ARRAY = 1;
const OBJECT = 2;

class Canonicalizer {
	private pos = 0;
	private depth = 0;
	private readonly leaves: Bytes;
	private readonly tape: Ints;
	private readonly orders: Ints;
	/** Member tape positions of the objects being parsed, innermost last. */
	private readonly members: Ints;
	/** Decoded code points of keys that are not plain ASCII, by member tape position (rare: made on demand). */
	private keyPointsByMember: Map<number, number[]> | null = null;
	/** Set when a string needed decoding (an escape or non-ASCII), so a key must keep its code points. */
	private decoded = false;
	/** While set, decoded code points go here instead of to the leaves. */
	private decodeInto: number[] | null = null;
	/** The output's size, duplicates aside: punctuation plus leaves (in the leaf buffer or the input). */
	private punctuation = 0;
	private referencedBytes = 0;

	constructor(
		private readonly input: Buffer,
		scratch: Scratch,
	) {
		this.leaves = scratch.leaves;
		this.tape = scratch.tape;
		this.orders = scratch.orders;
		this.members = scratch.members;
		this.leaves.length = this.tape.length = this.orders.length = this.members.length = 0;
		this.leaves.reserve(input.length + 16);
		this.tape.reserve(input.length >> 2);
	}

	/**
	 * The canonical bytes, after `headroom` bytes left free for the caller, in `reuse` when it is
	 * exactly the right size (a view of it otherwise).
	 */
	run(headroom: number, reuse: Bytes | null): Buffer {
		this.skipWhitespace();
		this.value();
		this.skipWhitespace();
		if (this.pos !== this.input.length) this.fail('Extra data after the JSON value');
		const size = headroom + this.leaves.length + this.referencedBytes + this.punctuation;
		let out: Buffer;
		if (reuse === null) {
			out = Buffer.allocUnsafe(size);
		} else {
			reuse.reserve(size);
			out = reuse.data;
		}
		const written = this.emit(0, out, headroom);
		// Without dropped duplicates the count is exact, and a fresh buffer is returned as it is.
		return written === out.length ? out : out.subarray(0, written);
	}

	private fail(message: string, at = this.pos): never {
		throw new CanonicalJsonError(message, at);
	}

	private skipWhitespace(): void {
		const input = this.input;
		let pos = this.pos;
		for (;;) {
			const c = input[pos];
			if (c === SPACE || c === LF || c === CR || c === TAB) pos++;
			else break;
		}
		this.pos = pos;
	}

	private leafRecord(start: number, end = this.leaves.length): void {
		const tape = this.tape;
		tape.reserve(3);
		tape.data[tape.length++] = LEAF;
		tape.data[tape.length++] = start;
		tape.data[tape.length++] = end;
	}

	/** A leaf whose canonical text is the input's own bytes from `start` to `end`. */
	private inputLeaf(start: number, end: number): void {
		this.referencedBytes += end - start;
		this.leafRecord(-1 - start, end);
	}

	private value(): void {
		const c = this.input[this.pos];
		if (c === QUOTE) {
			const start = this.string();
			this.leafRecord(start, this.stringEnd(start));
			return;
		}
		if (c === LEFT_BRACE) return this.object();
		if (c === LEFT_BRACKET) return this.array();
		if ((c >= DIGIT_0 && c <= DIGIT_9) || c === MINUS) {
			if (c === MINUS && this.input[this.pos + 1] === UPPER_I) return this.literal('-Infinity');
			return this.number();
		}
		if (c === LOWER_N) return this.literal('null');
		if (c === LOWER_T) return this.literal('true');
		if (c === LOWER_F) return this.literal('false');
		if (c === UPPER_N) return this.literal('NaN');
		if (c === UPPER_I) return this.literal('Infinity');
		this.fail('Expecting value');
	}

	private literal(word: string): void {
		const input = this.input;
		for (let i = 0; i < word.length; i++) {
			if (input[this.pos + i] !== word.charCodeAt(i)) this.fail('Expecting value');
		}
		// Python writes these literals exactly as JSON spells them.
		this.inputLeaf(this.pos, this.pos + word.length);
		this.pos += word.length;
	}

	private number(): void {
		const input = this.input;
		const start = this.pos;
		let pos = start;
		if (input[pos] === MINUS) pos++;
		const firstDigit = pos;
		if (input[pos] === DIGIT_0) pos++;
		else if (input[pos] >= DIGIT_1 && input[pos] <= DIGIT_9) {
			while (input[pos] >= DIGIT_0 && input[pos] <= DIGIT_9) pos++;
		} else {
			this.fail('Expecting value', start);
		}
		const integerDigits = pos - firstDigit;
		let isFloat = false;
		let hasExponent = false;
		let fractionStart = -1;
		// As CPython's scanner: a '.' or 'e' without digits after it is not part of the number.
		if (input[pos] === DOT && input[pos + 1] >= DIGIT_0 && input[pos + 1] <= DIGIT_9) {
			isFloat = true;
			fractionStart = pos + 1;
			pos += 2;
			while (input[pos] >= DIGIT_0 && input[pos] <= DIGIT_9) pos++;
		}
		if (input[pos] === LOWER_E || input[pos] === UPPER_E) {
			let exponent = pos + 1;
			if (input[exponent] === PLUS || input[exponent] === MINUS) exponent++;
			if (input[exponent] >= DIGIT_0 && input[exponent] <= DIGIT_9) {
				isFloat = true;
				hasExponent = true;
				while (input[exponent] >= DIGIT_0 && input[exponent] <= DIGIT_9) exponent++;
				pos = exponent;
			}
		}
		this.pos = pos;

		const leaves = this.leaves;
		const leafStart = leaves.length;
		if (!isFloat) {
			if (integerDigits > MAX_INT_DIGITS) {
				this.fail(`Integer has ${integerDigits} digits; Python refuses more than ${MAX_INT_DIGITS}`, start);
			}
			// Python ints are exact, so the digits stand as sent; only -0 becomes 0.
			this.inputLeaf(integerDigits === 1 && input[firstDigit] === DIGIT_0 ? firstDigit : start, pos);
			return;
		}
		if (!hasExponent && isReprAlready(input, firstDigit, fractionStart, pos)) {
			this.inputLeaf(start, pos);
			return;
		}
		const repr = pythonFloatRepr(Number(input.toString('latin1', start, pos)));
		leaves.reserve(repr.length);
		leaves.length += leaves.data.write(repr, leaves.length, 'latin1');
		this.leafRecord(leafStart);
	}

	/**
	 * Reads the string token at `pos`. A token of printable ASCII without escapes is its own canonical
	 * form and stays in the input; any other is decoded and re-escaped into the leaf buffer. Returns
	 * the leaf's start (encoded as for the tape); stringEnd(start) gives its end.
	 */
	/**
	 * Where the string string() just read ends: after its closing quote in the input when it was kept
	 * there (start < 0), else at the end of the leaf buffer it was written to.
	 */
	private stringEnd(start: number): number {
		return start < 0 ? this.pos : this.leaves.length;
	}

	private string(): number {
		const input = this.input;
		const opening = this.pos;
		let pos = opening + 1;
		while (PLAIN[input[pos]] === 1) pos++;
		if (input[pos] === QUOTE) {
			this.pos = pos + 1;
			this.referencedBytes += this.pos - opening;
			return -1 - opening;
		}

		const leaves = this.leaves;
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
			if (c === undefined) this.fail('Unterminated string starting', opening);
			if (c < SPACE) this.fail('Invalid control character in string', pos);
			// One input byte can become a six-byte \uXXXX escape.
			leaves.reserve(6 * (input.length - pos) + 16);
			if (c === BACKSLASH) pos = this.escape(pos);
			else if (c >= 0x80) pos = this.utf8(pos);
			else {
				// DEL: a literal character that Python still escapes.
				this.codePoint(c);
				pos++;
			}
		}
		leaves.reserve(1);
		leaves.data[leaves.length++] = QUOTE;
		this.pos = pos + 1;
		return start;
	}

	/** Writes one UTF-16 code unit as Python's ensure_ascii does. */
	private unit(unit: number): void {
		const leaves = this.leaves;
		const data = leaves.data;
		if (unit >= SPACE && unit < DEL && unit !== QUOTE && unit !== BACKSLASH) {
			data[leaves.length++] = unit;
			return;
		}
		const short = unit < 0x80 ? SHORT_ESCAPE[unit] : -1;
		data[leaves.length++] = BACKSLASH;
		if (short >= 0) {
			data[leaves.length++] = short;
			return;
		}
		data[leaves.length++] = LOWER_U;
		data[leaves.length++] = HEX[(unit >> 12) & 15];
		data[leaves.length++] = HEX[(unit >> 8) & 15];
		data[leaves.length++] = HEX[(unit >> 4) & 15];
		data[leaves.length++] = HEX[unit & 15];
	}

	/** One decoded code point; astral ones are written as their surrogate pair. */
	private codePoint(point: number): void {
		if (this.decodeInto !== null) {
			this.decodeInto.push(point);
			return;
		}
		this.decoded = true;
		if (point >= 0x10000) {
			const offset = point - 0x10000;
			this.unit(0xd800 + (offset >> 10));
			this.unit(0xdc00 + (offset & 0x3ff));
		} else {
			this.unit(point);
		}
	}

	private hex4(at: number): number {
		const input = this.input;
		let value = 0;
		for (let i = at; i < at + 4; i++) {
			const c = input[i];
			const digit =
				c >= DIGIT_0 && c <= DIGIT_9 ? c - DIGIT_0 : c >= LOWER_A && c <= LOWER_F ? c - LOWER_A + 10 : c >= UPPER_A && c <= UPPER_F ? c - UPPER_A + 10 : -1;
			if (digit < 0) this.fail('Invalid \\uXXXX escape', at - 2);
			value = value * 16 + digit;
		}
		return value;
	}

	/** The backslash escape at `pos`; returns the position after it. */
	private escape(pos: number): number {
		const input = this.input;
		const kind = input[pos + 1];
		if (kind !== LOWER_U) {
			const decoded = kind < 0x80 ? ESCAPE_VALUE[kind] : -1;
			if (decoded < 0) this.fail('Invalid \\escape', pos);
			this.codePoint(decoded);
			return pos + 2;
		}
		const unit = this.hex4(pos + 2);
		// Python pairs an escaped high surrogate only with an escaped low one right after it.
		if (isHighSurrogate(unit) && input[pos + 6] === BACKSLASH && input[pos + 7] === LOWER_U) {
			const next = this.hex4(pos + 8);
			if (isLowSurrogate(next)) {
				this.codePoint(0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00));
				return pos + 12;
			}
		}
		this.codePoint(unit);
		return pos + 6;
	}

	/**
	 * The UTF-8 sequence at `pos`, decoded as Python's 'surrogatepass' handler does: strict UTF-8,
	 * except that encoded surrogates pass, each one a code point of its own.
	 */
	private utf8(pos: number): number {
		const input = this.input;
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
			return this.fail('Body is not valid UTF-8', pos);
		}
		for (let k = 1; k < size; k++) {
			const next = input[pos + k];
			const min = k === 1 ? low : 0x80;
			const max = k === 1 ? high : 0xbf;
			if (next === undefined || next < min || next > max) this.fail('Body is not valid UTF-8', pos);
			point = (point << 6) | (next & 0x3f);
		}
		this.codePoint(point);
		return pos + size;
	}

	private enter(): void {
		if (++this.depth > MAX_NESTING_DEPTH) {
			this.fail(`Nested deeper than ${MAX_NESTING_DEPTH} levels, more than Python's json can produce`);
		}
	}

	private array(): void {
		this.enter();
		const input = this.input;
		const tape = this.tape;
		tape.reserve(3);
		const record = tape.length;
		tape.data[tape.length++] = ARRAY;
		tape.length += 2;
		this.pos++;
		this.skipWhitespace();
		let count = 0;
		if (input[this.pos] === RIGHT_BRACKET) {
			this.pos++;
		} else {
			for (;;) {
				this.value();
				count++;
				this.skipWhitespace();
				const c = input[this.pos++];
				if (c === RIGHT_BRACKET) break;
				if (c !== COMMA) this.fail("Expecting ',' delimiter", this.pos - 1);
				this.skipWhitespace();
			}
		}
		tape.data[record + 1] = count;
		tape.data[record + 2] = tape.length;
		this.punctuation += 2 + Math.max(0, count - 1);
		this.depth--;
	}

	private object(): void {
		this.enter();
		const input = this.input;
		const tape = this.tape;
		const members = this.members;
		tape.reserve(4);
		const record = tape.length;
		tape.data[tape.length++] = OBJECT;
		tape.length += 3;
		const firstMember = members.length;
		let plain = true;
		this.pos++;
		this.skipWhitespace();
		if (input[this.pos] === RIGHT_BRACE) {
			this.pos++;
		} else {
			for (;;) {
				if (input[this.pos] !== QUOTE) this.fail('Expecting property name enclosed in double quotes');
				tape.reserve(2);
				const member = tape.length;
				members.reserve(1);
				members.data[members.length++] = member;
				const keyPos = this.pos;
				this.decoded = false;
				const keyStart = this.string();
				const keyEnd = this.stringEnd(keyStart);
				// A plain key compares as its bytes; one that needed decoding keeps its code points.
				if (this.decoded) {
					(this.keyPointsByMember ??= new Map()).set(member, this.keyCodePoints(keyPos));
					plain = false;
				}
				tape.data[tape.length++] = keyStart;
				tape.data[tape.length++] = keyEnd;
				this.skipWhitespace();
				if (input[this.pos] !== COLON) this.fail("Expecting ':' delimiter");
				this.pos++;
				this.skipWhitespace();
				this.value();
				this.skipWhitespace();
				const c = input[this.pos++];
				if (c === RIGHT_BRACE) break;
				if (c !== COMMA) this.fail("Expecting ',' delimiter", this.pos - 1);
				this.skipWhitespace();
			}
		}
		const count = members.length - firstMember;
		tape.data[record + 1] = this.orders.length;
		tape.data[record + 2] = this.sortMembers(firstMember, count, plain);
		tape.data[record + 3] = tape.length;
		members.length = firstMember;
		this.punctuation += 2 + count + Math.max(0, count - 1);
		this.depth--;
	}

	/** The code points of the (already validated) key token at `keyPos`, as Python decodes it. */
	private keyCodePoints(keyPos: number): number[] {
		const input = this.input;
		const points: number[] = [];
		this.decodeInto = points;
		let pos = keyPos + 1;
		for (;;) {
			const c = input[pos];
			if (c === QUOTE) break;
			if (c === BACKSLASH) pos = this.escape(pos);
			else if (c >= 0x80) pos = this.utf8(pos);
			else {
				points.push(c);
				pos++;
			}
		}
		this.decodeInto = null;
		return points;
	}

	/**
	 * Plain keys are printable ASCII without escapes, left in the input: their bytes are their code
	 * points.
	 */
	private comparePlainKeys(a: number, b: number): number {
		const tape = this.tape.data;
		const leaves = this.input;
		let i = -tape[a];
		let j = -tape[b];
		const iEnd = tape[a + 1] - 1;
		const jEnd = tape[b + 1] - 1;
		while (i < iEnd && j < jEnd) {
			const difference = leaves[i++] - leaves[j++];
			if (difference !== 0) return difference;
		}
		return iEnd - i - (jEnd - j);
	}

	private compare(plain: boolean, a: number, b: number): number {
		return plain ? this.comparePlainKeys(a, b) : this.compareKeys(a, b);
	}

	private compareKeys(a: number, b: number): number {
		const aPoints = this.keyPointsByMember?.get(a);
		const bPoints = this.keyPointsByMember?.get(b);
		if (aPoints === undefined && bPoints === undefined) return this.comparePlainKeys(a, b);
		const left = aPoints ?? this.plainCodePoints(a);
		const right = bPoints ?? this.plainCodePoints(b);
		const length = Math.min(left.length, right.length);
		for (let k = 0; k < length; k++) {
			if (left[k] !== right[k]) return left[k] - right[k];
		}
		return left.length - right.length;
	}

	private plainCodePoints(member: number): number[] {
		const tape = this.tape.data;
		return Array.from(this.input.subarray(-tape[member], tape[member + 1] - 1));
	}

	/**
	 * Python's order: by code point; of equal keys the last one wins (dict assignment). Appends the
	 * member positions to emit to `orders`; returns how many.
	 */
	private sortMembers(first: number, count: number, plain: boolean): number {
		const members = this.members.data;
		const orders = this.orders;
		orders.reserve(count);
		const start = orders.length;
		const sorted = orders.data;
		for (let i = 0; i < count; i++) sorted[start + i] = members[first + i];
		let inOrder = true;
		for (let i = start + 1; i < start + count; i++) {
			if (this.compare(plain, sorted[i - 1], sorted[i]) >= 0) {
				inOrder = false;
				break;
			}
		}
		if (inOrder) {
			orders.length += count;
			return count;
		}
		if (count <= 24) {
			// Insertion sort in place: objects are small, and it is stable (equal keys keep arrival order).
			for (let i = start + 1; i < start + count; i++) {
				const member = sorted[i];
				let j = i - 1;
				while (j >= start && this.compare(plain, sorted[j], member) > 0) {
					sorted[j + 1] = sorted[j];
					j--;
				}
				sorted[j + 1] = member;
			}
		} else {
			// Array#sort is stable too.
			const list = Array.from(sorted.subarray(start, start + count));
			list.sort((a, b) => this.compare(plain, a, b));
			sorted.set(list, start);
		}
		// Of each run of equal keys, keep the last: Python's dict keeps the last value.
		let kept = start;
		for (let i = start; i < start + count; i++) {
			if (i + 1 < start + count && this.compare(plain, sorted[i], sorted[i + 1]) === 0) continue;
			sorted[kept++] = sorted[i];
		}
		orders.length = kept;
		return kept - start;
	}

	/** Writes the value at tape position `at` into `out` from `offset`; returns the offset after it. */
	private emit(at: number, out: Buffer, offset: number): number {
		const tape = this.tape.data;
		const kind = tape[at];
		if (kind === LEAF) return this.copyLeaf(tape[at + 1], tape[at + 2], out, offset);
		if (kind === ARRAY) {
			const count = tape[at + 1];
			let next = at + 3;
			out[offset++] = LEFT_BRACKET;
			for (let i = 0; i < count; i++) {
				if (i > 0) out[offset++] = COMMA;
				offset = this.emit(next, out, offset);
				next = this.next(next);
			}
			out[offset++] = RIGHT_BRACKET;
			return offset;
		}
		const orders = this.orders.data;
		const orderStart = tape[at + 1];
		const count = tape[at + 2];
		out[offset++] = LEFT_BRACE;
		for (let i = 0; i < count; i++) {
			if (i > 0) out[offset++] = COMMA;
			const member = orders[orderStart + i];
			offset = this.copyLeaf(tape[member], tape[member + 1], out, offset);
			out[offset++] = COLON;
			offset = this.emit(member + 2, out, offset);
		}
		out[offset++] = RIGHT_BRACE;
		return offset;
	}

	private copyLeaf(encodedStart: number, end: number, out: Buffer, offset: number): number {
		const from = encodedStart < 0 ? this.input : this.leaves.data;
		const start = encodedStart < 0 ? -1 - encodedStart : encodedStart;
		// Short leaves are copied by hand: Buffer#copy costs more than the bytes it saves.
		if (end - start < 96) {
			for (let i = start; i < end; i++) out[offset++] = from[i];
			return offset;
		}
		return offset + from.copy(out, offset, start, end);
	}

	/** The tape position after the value at `at`. */
	private next(at: number): number {
		const kind = this.tape.data[at];
		if (kind === LEAF) return at + 3;
		return this.tape.data[at + (kind === ARRAY ? 2 : 3)];
	}
}

/**
 * CPython's canonical form of a webhook body, as bytes (pure ASCII):
 * `json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))`.
 * Throws `CanonicalJsonError` for anything `json.loads` would refuse.
 */
export function canonicalBytes(body: string | Uint8Array): Buffer {
	return canonicalBytesAfter(body, 0);
}

/**
 * The canonical bytes preceded by `headroom` unwritten bytes, so a hash prefix needs no copy. With
 * `transient`, the result lives in reused memory and is valid only until the next call: for
 * callers that hash it at once.
 */
export function canonicalBytesAfter(body: string | Uint8Array, headroom: number, transient = false): Buffer {
	const input = pythonBytes(body);
	const scratch = takeScratch();
	try {
		return new Canonicalizer(input, scratch).run(headroom, transient ? scratch.output : null);
	} finally {
		returnScratch(scratch);
	}
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
	return canonicalBytes(body).toString('latin1');
}
