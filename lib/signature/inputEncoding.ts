/**
 * Reading a body's bytes as Python's `json.loads` reads them: UTF-8, -16 or -32 by the first bytes
 * (`json.detect_encoding`), surrogates passed through ('surrogatepass'), into one UTF-8 sequence per
 * Python code point for the canonicalizer.
 */
import { CanonicalJsonError } from './canonicalJsonError';

export const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
export const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/** Appends `point` as UTF-8, surrogates as their own three bytes (Python's 'surrogatepass'). */
function writeWtf8(bytes: number[], point: number): void {
	if (point < 0x80) bytes.push(point);
	else if (point < 0x800) bytes.push(0xc0 | (point >> 6), 0x80 | (point & 0x3f));
	else if (point < 0x10000) bytes.push(0xe0 | (point >> 12), 0x80 | ((point >> 6) & 0x3f), 0x80 | (point & 0x3f));
	else {
		bytes.push(0xf0 | (point >> 18), 0x80 | ((point >> 12) & 0x3f), 0x80 | ((point >> 6) & 0x3f), 0x80 | (point & 0x3f));
	}
}

/** UTF-16 code units to bytes: valid pairs as one code point, lone surrogates as themselves. */
function unitsToWtf8(unit: (index: number) => number, count: number): Buffer {
	const bytes: number[] = [];
	for (let i = 0; i < count; i++) {
		const first = unit(i);
		if (isHighSurrogate(first) && i + 1 < count && isLowSurrogate(unit(i + 1))) {
			writeWtf8(bytes, 0x10000 + ((first - 0xd800) << 10) + (unit(i + 1) - 0xdc00));
			i++;
		} else {
			writeWtf8(bytes, first);
		}
	}
	return Buffer.from(bytes);
}

function utf16(bytes: Uint8Array, bigEndian: boolean): Buffer {
	if (bytes.length % 2 !== 0) throw new CanonicalJsonError('Body is truncated UTF-16', bytes.length - 1);
	const unit = bigEndian
		? (i: number) => (bytes[2 * i] << 8) | bytes[2 * i + 1]
		: (i: number) => bytes[2 * i] | (bytes[2 * i + 1] << 8);
	return unitsToWtf8(unit, bytes.length / 2);
}

function utf32(bytes: Uint8Array, bigEndian: boolean): Buffer {
	if (bytes.length % 4 !== 0) throw new CanonicalJsonError('Body is truncated UTF-32', bytes.length - 1);
	const out: number[] = [];
	for (let i = 0; i < bytes.length; i += 4) {
		const point = bigEndian
			? ((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0
			: ((bytes[i + 3] << 24) | (bytes[i + 2] << 16) | (bytes[i + 1] << 8) | bytes[i]) >>> 0;
		if (point > 0x10ffff) throw new CanonicalJsonError('Body is not valid UTF-32', i);
		// Each UTF-32 unit is its own code point, even two surrogates side by side.
		writeWtf8(out, point);
	}
	return Buffer.from(out);
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The body as bytes that hold one UTF-8 sequence per Python code point. Bytes are read as
 * `json.loads(bytes)` reads them (`json.detect_encoding`, then 'surrogatepass'); a string as
 * `json.loads(str)` reads it.
 */
export function pythonBytes(body: string | Uint8Array): Buffer {
	if (typeof body === 'string') {
		if (body.charCodeAt(0) === 0xfeff) {
			throw new CanonicalJsonError('Unexpected UTF-8 BOM (Python refuses it in a decoded string)', 0);
		}
		if (!LONE_SURROGATE.test(body)) return Buffer.from(body, 'utf8');
		return unitsToWtf8((i) => body.charCodeAt(i), body.length);
	}
	const b = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
	const length = b.length;
	if (length >= 4 && ((b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) || (b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0))) {
		return utf32(b.subarray(4), b[0] === 0);
	}
	if (length >= 2 && ((b[0] === 0xfe && b[1] === 0xff) || (b[0] === 0xff && b[1] === 0xfe))) {
		return utf16(b.subarray(2), b[0] === 0xfe);
	}
	if (length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return b.subarray(3);
	if (length >= 4) {
		if (b[0] === 0) return b[1] ? utf16(b, true) : utf32(b, true);
		if (b[1] === 0) return b[2] || b[3] ? utf16(b, false) : utf32(b, false);
	} else if (length === 2) {
		if (b[0] === 0) return utf16(b, true);
		if (b[1] === 0) return utf16(b, false);
	}
	// Plain UTF-8: validated where it matters, inside strings (elsewhere only ASCII is valid JSON).
	return b;
}
