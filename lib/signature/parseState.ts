/**
 * What the canonicalizer's passes share: the input, where the parser stands in it, and the two
 * structures it builds (the leaf buffer and the tape) that the writer then walks.
 *
 * Tape records, flat in an Int32Array. A leaf: [LEAF, start, end], a byte range holding its canonical
 * text: in the input when the token is canonical as sent (encoded as start = -1 - offset), else in
 * the leaf buffer. An array: [ARRAY, count, end] then its elements. An object: [OBJECT, orderStart,
 * count, end] then its members, each [keyStart, keyEnd] (the key's canonical text) followed by the
 * value; `orders` holds, from orderStart, the tape position of each member to emit, in Python's key
 * order without duplicates. `end` is the tape position after the record's last descendant.
 */
import { CR, LF, SPACE, TAB } from './ascii';
import { CanonicalJsonError } from './canonicalJsonError';
import type { Bytes, Ints, Scratch } from './scratch';

export const LEAF = 0;
export const ARRAY = 1;
export const OBJECT = 2;

export class ParseState {
	pos = 0;
	depth = 0;
	readonly leaves: Bytes;
	readonly tape: Ints;
	readonly orders: Ints;
	/** Member tape positions of the objects being parsed, innermost last. */
	readonly members: Ints;
	/** Decoded code points of keys that are not plain ASCII, by member tape position (rare: made on demand). */
	keyPointsByMember: Map<number, number[]> | null = null;
	/** Set when a string needed decoding (an escape or non-ASCII), so a key must keep its code points. */
	decoded = false;
	/** While set, decoded code points go here instead of to the leaves. */
	decodeInto: number[] | null = null;
	/** The output's size, duplicates aside: punctuation plus leaves (in the leaf buffer or the input). */
	punctuation = 0;
	referencedBytes = 0;

	constructor(
		readonly input: Buffer,
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

	fail(message: string, at = this.pos): never {
		throw new CanonicalJsonError(message, at);
	}

	skipWhitespace(): void {
		const input = this.input;
		let pos = this.pos;
		for (;;) {
			const c = input[pos];
			if (c === SPACE || c === LF || c === CR || c === TAB) pos++;
			else break;
		}
		this.pos = pos;
	}

	leafRecord(start: number, end = this.leaves.length): void {
		const tape = this.tape;
		tape.reserve(3);
		tape.data[tape.length++] = LEAF;
		tape.data[tape.length++] = start;
		tape.data[tape.length++] = end;
	}

	/** A leaf whose canonical text is the input's own bytes from `start` to `end`. */
	inputLeaf(start: number, end: number): void {
		this.referencedBytes += end - start;
		this.leafRecord(-1 - start, end);
	}
}
