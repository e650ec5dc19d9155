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
	COLON,
	COMMA,
	DIGIT_0,
	DIGIT_9,
	LEFT_BRACE,
	LEFT_BRACKET,
	LOWER_F,
	LOWER_N,
	LOWER_T,
	MINUS,
	QUOTE,
	RIGHT_BRACE,
	RIGHT_BRACKET,
	UPPER_I,
	UPPER_N,
} from './ascii';
import { pythonBytes } from './inputEncoding';
import { readNumber } from './jsonNumbers';
import { keyCodePoints, readString, stringEnd } from './jsonStrings';
import { sortMembers } from './keyOrder';
import { ARRAY, OBJECT, ParseState } from './parseState';
import { type Bytes, returnScratch, takeScratch } from './scratch';
import { writeValue } from './writeCanonical';

export { CanonicalJsonError } from './canonicalJsonError';
export { pythonFloatRepr } from './pythonFloat';

/**
 * CPython's json module recurses once per nested container and gives up near its default recursion
 * limit of 1000 (about 994 levels in a plain script), so a CatalystPay sender can never sign anything
 * deeper. Refusing there keeps a hostile body from exhausting our stack.
 */
export const MAX_NESTING_DEPTH = 1000;

/** Parses the whole input, then writes its canonical bytes: into `reuse` when given, else a new buffer. */
function run(s: ParseState, reuse: Bytes | null): Buffer {
	s.skipWhitespace();
	value(s);
	s.skipWhitespace();
	if (s.pos !== s.input.length) s.fail('Extra data after the JSON value');
	const size = s.leaves.length + s.referencedBytes + s.punctuation;
	let out: Buffer;
	if (reuse === null) {
		out = Buffer.allocUnsafe(size);
	} else {
		reuse.reserve(size);
		out = reuse.data;
	}
	const written = writeValue(s, 0, out, 0);
	// Without dropped duplicates the count is exact, and a fresh buffer is returned as it is.
	return written === out.length ? out : out.subarray(0, written);
}

function value(s: ParseState): void {
	const c = s.input[s.pos];
	if (c === QUOTE) {
		const start = readString(s);
		s.leafRecord(start, stringEnd(s, start));
		return;
	}
	if (c === LEFT_BRACE) return object(s);
	if (c === LEFT_BRACKET) return array(s);
	if ((c >= DIGIT_0 && c <= DIGIT_9) || c === MINUS) {
		if (c === MINUS && s.input[s.pos + 1] === UPPER_I) return literal(s, '-Infinity');
		return readNumber(s);
	}
	if (c === LOWER_N) return literal(s, 'null');
	if (c === LOWER_T) return literal(s, 'true');
	if (c === LOWER_F) return literal(s, 'false');
	if (c === UPPER_N) return literal(s, 'NaN');
	if (c === UPPER_I) return literal(s, 'Infinity');
	s.fail('Expecting value');
}

function literal(s: ParseState, word: string): void {
	const input = s.input;
	for (let i = 0; i < word.length; i++) {
		if (input[s.pos + i] !== word.charCodeAt(i)) s.fail('Expecting value');
	}
	// Python writes these literals exactly as JSON spells them.
	s.inputLeaf(s.pos, s.pos + word.length);
	s.pos += word.length;
}

function enter(s: ParseState): void {
	if (++s.depth > MAX_NESTING_DEPTH) {
		s.fail(`Nested deeper than ${MAX_NESTING_DEPTH} levels, more than Python's json can produce`);
	}
}

function array(s: ParseState): void {
	enter(s);
	const input = s.input;
	const tape = s.tape;
	tape.reserve(3);
	const record = tape.length;
	tape.data[tape.length++] = ARRAY;
	tape.length += 2;
	s.pos++;
	s.skipWhitespace();
	let count = 0;
	if (input[s.pos] === RIGHT_BRACKET) {
		s.pos++;
	} else {
		for (;;) {
			value(s);
			count++;
			s.skipWhitespace();
			const c = input[s.pos++];
			if (c === RIGHT_BRACKET) break;
			if (c !== COMMA) s.fail("Expecting ',' delimiter", s.pos - 1);
			s.skipWhitespace();
		}
	}
	tape.data[record + 1] = count;
	tape.data[record + 2] = tape.length;
	s.punctuation += 2 + Math.max(0, count - 1);
	s.depth--;
}

function object(s: ParseState): void {
	enter(s);
	const input = s.input;
	const tape = s.tape;
	const members = s.members;
	tape.reserve(4);
	const record = tape.length;
	tape.data[tape.length++] = OBJECT;
	tape.length += 3;
	const firstMember = members.length;
	let plain = true;
	s.pos++;
	s.skipWhitespace();
	if (input[s.pos] === RIGHT_BRACE) {
		s.pos++;
	} else {
		for (;;) {
			if (input[s.pos] !== QUOTE) s.fail('Expecting property name enclosed in double quotes');
			tape.reserve(2);
			const member = tape.length;
			members.reserve(1);
			members.data[members.length++] = member;
			const keyPos = s.pos;
			s.decoded = false;
			const keyStart = readString(s);
			const keyEnd = stringEnd(s, keyStart);
			// A plain key compares as its bytes; one that needed decoding keeps its code points.
			if (s.decoded) {
				(s.keyPointsByMember ??= new Map()).set(member, keyCodePoints(s, keyPos));
				plain = false;
			}
			tape.data[tape.length++] = keyStart;
			tape.data[tape.length++] = keyEnd;
			s.skipWhitespace();
			if (input[s.pos] !== COLON) s.fail("Expecting ':' delimiter");
			s.pos++;
			s.skipWhitespace();
			value(s);
			s.skipWhitespace();
			const c = input[s.pos++];
			if (c === RIGHT_BRACE) break;
			if (c !== COMMA) s.fail("Expecting ',' delimiter", s.pos - 1);
			s.skipWhitespace();
		}
	}
	const count = members.length - firstMember;
	tape.data[record + 1] = s.orders.length;
	tape.data[record + 2] = sortMembers(s, firstMember, count, plain);
	tape.data[record + 3] = tape.length;
	members.length = firstMember;
	s.punctuation += 2 + count + Math.max(0, count - 1);
	s.depth--;
}

/**
 * CPython's canonical form of a webhook body, as bytes (pure ASCII):
 * `json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))`.
 * Throws `CanonicalJsonError` for anything `json.loads` would refuse.
 *
 * With `transient`, the result lives in reused memory and is valid only until the next call: for a
 * caller that hashes it at once (allocating a fresh buffer of a body's size per call cost a 24 KB
 * verification on Node 24 over a third more).
 */
export function canonicalBytes(body: string | Uint8Array, transient = false): Buffer {
	const input = pythonBytes(body);
	const scratch = takeScratch();
	try {
		return run(new ParseState(input, scratch), transient ? scratch.output : null);
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
