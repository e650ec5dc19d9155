/** How CPython prints a float, which the canonical form must match digit for digit. */

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

/**
 * Whether a plain decimal (digits, a point, digits; no exponent) is already what `repr()` prints for
 * it, so it can be copied without converting. True when it has at most 15 significant digits (then
 * no shorter decimal names the same double), no trailing zero after the point, and a magnitude in
 * repr's fixed-point range [1e-4, 1e16).
 */
export function isReprAlready(input: Buffer, firstDigit: number, fractionStart: number, end: number): boolean {
	if (input[end - 1] === 0x30) return false;
	let significant = fractionStart - 1 - firstDigit;
	let i = fractionStart;
	if (significant === 1 && input[firstDigit] === 0x30) {
		significant = 0;
		// 0.000d is 1e-4 at the smallest; one more zero and repr switches to exponent form.
		while (input[i] === 0x30) i++;
		if (i - fractionStart > 3) return false;
	}
	return significant + (end - i) <= 15;
}
