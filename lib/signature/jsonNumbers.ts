/**
 * JSON numbers as CPython's json reads and writes them: integers exact however long (up to the
 * digits Python converts), floats in Python's repr (`1.0`, `1e+16`, `1e-05`).
 */
import { DIGIT_0, DIGIT_1, DIGIT_9, DOT, LOWER_E, MINUS, PLUS, UPPER_E } from './ascii';
import type { ParseState } from './parseState';
import { isReprAlready, pythonFloatRepr } from './pythonFloat';

/** CPython refuses to convert integers longer than this (`sys.get_int_max_str_digits()`). */
const MAX_INT_DIGITS = 4300;

/** Reads the number token at `s.pos` and records its canonical text as a leaf. */
export function readNumber(s: ParseState): void {
	const input = s.input;
	const start = s.pos;
	let pos = start;
	if (input[pos] === MINUS) pos++;
	const firstDigit = pos;
	if (input[pos] === DIGIT_0) pos++;
	else if (input[pos] >= DIGIT_1 && input[pos] <= DIGIT_9) {
		while (input[pos] >= DIGIT_0 && input[pos] <= DIGIT_9) pos++;
	} else {
		s.fail('Expecting value', start);
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
	s.pos = pos;

	if (!isFloat) {
		if (integerDigits > MAX_INT_DIGITS) {
			s.fail(`Integer has ${integerDigits} digits; Python refuses more than ${MAX_INT_DIGITS}`, start);
		}
		// Python ints are exact, so the digits stand as sent; only -0 becomes 0.
		s.inputLeaf(integerDigits === 1 && input[firstDigit] === DIGIT_0 ? firstDigit : start, pos);
		return;
	}
	if (!hasExponent && isReprAlready(input, firstDigit, fractionStart, pos)) {
		s.inputLeaf(start, pos);
		return;
	}
	const leaves = s.leaves;
	const leafStart = leaves.length;
	const repr = pythonFloatRepr(Number(input.toString('latin1', start, pos)));
	leaves.reserve(repr.length);
	leaves.length += leaves.data.write(repr, leaves.length, 'latin1');
	s.leafRecord(leafStart);
}
