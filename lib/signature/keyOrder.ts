/**
 * Python's `sort_keys=True`: an object's members by their keys' code points, and of equal keys only
 * the last (a dict keeps the last value assigned).
 */
import type { ParseState } from './parseState';

/**
 * Plain keys are printable ASCII without escapes, left in the input: their bytes are their code
 * points.
 */
function comparePlainKeys(s: ParseState, a: number, b: number): number {
	const tape = s.tape.data;
	const input = s.input;
	let i = -tape[a];
	let j = -tape[b];
	const iEnd = tape[a + 1] - 1;
	const jEnd = tape[b + 1] - 1;
	while (i < iEnd && j < jEnd) {
		const difference = input[i++] - input[j++];
		if (difference !== 0) return difference;
	}
	return iEnd - i - (jEnd - j);
}

function compareKeys(s: ParseState, a: number, b: number): number {
	const aPoints = s.keyPointsByMember?.get(a);
	const bPoints = s.keyPointsByMember?.get(b);
	if (aPoints === undefined && bPoints === undefined) return comparePlainKeys(s, a, b);
	const left = aPoints ?? plainCodePoints(s, a);
	const right = bPoints ?? plainCodePoints(s, b);
	const length = Math.min(left.length, right.length);
	for (let k = 0; k < length; k++) {
		if (left[k] !== right[k]) return left[k] - right[k];
	}
	return left.length - right.length;
}

function plainCodePoints(s: ParseState, member: number): number[] {
	const tape = s.tape.data;
	return Array.from(s.input.subarray(-tape[member], tape[member + 1] - 1));
}

function compare(s: ParseState, plain: boolean, a: number, b: number): number {
	return plain ? comparePlainKeys(s, a, b) : compareKeys(s, a, b);
}

/**
 * Appends the tape positions of the `count` members from `first` of `s.members` to `s.orders`, in
 * Python's order; returns how many (fewer when keys repeat). `plain`: every key is plain ASCII.
 */
export function sortMembers(s: ParseState, first: number, count: number, plain: boolean): number {
	const members = s.members.data;
	const orders = s.orders;
	orders.reserve(count);
	const start = orders.length;
	const sorted = orders.data;
	for (let i = 0; i < count; i++) sorted[start + i] = members[first + i];
	let inOrder = true;
	for (let i = start + 1; i < start + count; i++) {
		if (compare(s, plain, sorted[i - 1], sorted[i]) >= 0) {
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
			while (j >= start && compare(s, plain, sorted[j], member) > 0) {
				sorted[j + 1] = sorted[j];
				j--;
			}
			sorted[j + 1] = member;
		}
	} else {
		// Array#sort is stable too.
		const list = Array.from(sorted.subarray(start, start + count));
		list.sort((a, b) => compare(s, plain, a, b));
		sorted.set(list, start);
	}
	// Of each run of equal keys, keep the last: Python's dict keeps the last value.
	let kept = start;
	for (let i = start; i < start + count; i++) {
		if (i + 1 < start + count && compare(s, plain, sorted[i], sorted[i + 1]) === 0) continue;
		sorted[kept++] = sorted[i];
	}
	orders.length = kept;
	return kept - start;
}
