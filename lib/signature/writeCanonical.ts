/** The second pass: the tape walked in Python's key order, each leaf copied once into the output. */
import { COLON, COMMA, LEFT_BRACE, LEFT_BRACKET, RIGHT_BRACE, RIGHT_BRACKET } from './ascii';
import { ARRAY, LEAF, type ParseState } from './parseState';

/** Writes the value at tape position `at` into `out` from `offset`; returns the offset after it. */
export function writeValue(s: ParseState, at: number, out: Buffer, offset: number): number {
	const tape = s.tape.data;
	const kind = tape[at];
	if (kind === LEAF) return copyLeaf(s, tape[at + 1], tape[at + 2], out, offset);
	if (kind === ARRAY) {
		const count = tape[at + 1];
		let next = at + 3;
		out[offset++] = LEFT_BRACKET;
		for (let i = 0; i < count; i++) {
			if (i > 0) out[offset++] = COMMA;
			offset = writeValue(s, next, out, offset);
			next = after(s, next);
		}
		out[offset++] = RIGHT_BRACKET;
		return offset;
	}
	const orders = s.orders.data;
	const orderStart = tape[at + 1];
	const count = tape[at + 2];
	out[offset++] = LEFT_BRACE;
	for (let i = 0; i < count; i++) {
		if (i > 0) out[offset++] = COMMA;
		const member = orders[orderStart + i];
		offset = copyLeaf(s, tape[member], tape[member + 1], out, offset);
		out[offset++] = COLON;
		offset = writeValue(s, member + 2, out, offset);
	}
	out[offset++] = RIGHT_BRACE;
	return offset;
}

function copyLeaf(s: ParseState, encodedStart: number, end: number, out: Buffer, offset: number): number {
	const from = encodedStart < 0 ? s.input : s.leaves.data;
	const start = encodedStart < 0 ? -1 - encodedStart : encodedStart;
	// Short leaves are copied by hand: Buffer#copy costs more than the bytes it saves.
	if (end - start < 96) {
		for (let i = start; i < end; i++) out[offset++] = from[i];
		return offset;
	}
	return offset + from.copy(out, offset, start, end);
}

/** The tape position after the value at `at`. */
function after(s: ParseState, at: number): number {
	const tape = s.tape.data;
	const kind = tape[at];
	if (kind === LEAF) return at + 3;
	return tape[at + (kind === ARRAY ? 2 : 3)];
}
