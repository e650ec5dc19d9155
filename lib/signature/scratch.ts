/** The growable buffers the canonicalizer works in, and their reuse from one call to the next. */

/** A growable byte buffer. */
export class Bytes {
	data: Buffer;
	length = 0;

	constructor(capacity: number) {
		this.data = Buffer.allocUnsafe(Math.max(64, capacity));
	}

	reserve(extra: number): void {
		if (this.length + extra <= this.data.length) return;
		const bigger = Buffer.allocUnsafe(Math.max(this.data.length * 2, this.length + extra));
		this.data.copy(bigger, 0, 0, this.length);
		this.data = bigger;
	}
}

/** A growable array of int32 slots. */
export class Ints {
	data: Int32Array;
	length = 0;

	constructor(capacity: number) {
		this.data = new Int32Array(Math.max(16, capacity));
	}

	reserve(extra: number): void {
		if (this.length + extra <= this.data.length) return;
		const bigger = new Int32Array(Math.max(this.data.length * 2, this.length + extra));
		bigger.set(this.data.subarray(0, this.length));
		this.data = bigger;
	}
}

/**
 * Working memory reused from one call to the next: allocating typed arrays costs more than
 * canonicalizing a small webhook. Safe because a call runs start to end without yielding.
 */
export interface Scratch {
	output: Bytes;
	leaves: Bytes;
	tape: Ints;
	orders: Ints;
	members: Ints;
}

/** Scratch larger than this is dropped after use rather than kept for the whole process. */
const KEEP_SCRATCH_BYTES = 1 << 20;

let spareScratch: Scratch | null = null;

export function takeScratch(): Scratch {
	const scratch = spareScratch ?? {
		output: new Bytes(4096),
		leaves: new Bytes(4096),
		tape: new Ints(1024),
		orders: new Ints(256),
		members: new Ints(256),
	};
	spareScratch = null;
	return scratch;
}

export function returnScratch(scratch: Scratch): void {
	const size =
		scratch.output.data.length +
		scratch.leaves.data.length +
		4 * (scratch.tape.data.length + scratch.orders.data.length + scratch.members.data.length);
	if (size <= KEEP_SCRATCH_BYTES) spareScratch = scratch;
}
