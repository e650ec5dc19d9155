import { canonicalize, checkSignature, verifySignature, sign } from '../../index';
import { existsSync, readFileSync } from 'node:fs';

import { bodyOf, loadVectors, OUR_VECTORS, SHARED_VECTORS, TEAM_VECTORS_BESIDE } from '../helpers/vectors';

const sources = [
	['shared (made by CPython)', SHARED_VECTORS],
	['ours (extended generate.py)', OUR_VECTORS],
] as const;

for (const [label, path] of sources) {
	const vectors = loadVectors(path);
	describe(`signature vectors: ${label}`, () => {
		const valid = [...vectors.valid, ...(vectors.bytes_valid ?? [])];

		test.each(valid.map((v) => [v.name, v] as const))('canonical byte for byte: %s', (_name, v) => {
			const body = bodyOf(v);
			expect(canonicalize(body)).toBe(v.canonical);
			expect(verifySignature(body, v.signature, v.secret)).toBe(true);
			expect(verifySignature(body, v.signature.toUpperCase(), v.secret)).toBe(true);
			expect(sign(body, v.secret)).toBe(v.signature);
		});

		test('plain string bodies read the same as their UTF-8 bytes', () => {
			for (const v of vectors.valid) {
				expect(canonicalize(Buffer.from(v.body as string, 'utf8'))).toBe(v.canonical);
			}
		});

		test.each(vectors.must_reject.map((v) => [v.name, v] as const))('refused: %s', (_name, v) => {
			expect(verifySignature(v.body, v.signature, v.secret)).toBe(false);
			expect(verifySignature(Buffer.from(v.body), v.signature, v.secret)).toBe(false);
		});

		test.each(vectors.not_json.map((body) => [JSON.stringify(body), body] as const))(
			'not JSON, refused without throwing: %s',
			(_name, body) => {
				expect(() => canonicalize(body)).toThrow();
				const anySignature = 'a'.repeat(64);
				expect(checkSignature(body, anySignature, 'whsec_x')).toMatchObject({ valid: false, reason: 'not-json' });
			},
		);

		test('bytes Python cannot decode are refused', () => {
			for (const encoded of vectors.bytes_not_json ?? []) {
				expect(() => canonicalize(Buffer.from(encoded, 'base64'))).toThrow();
			}
		});

		// How fast is for bench/verification.mjs to print; a test asserts only the outcome.
		test('hostile bodies are refused without a crash', () => {
			const depth = vectors.hostile.deep_nesting_depth;
			const deep = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
			const long = '{"a":"' + 'x'.repeat(vectors.hostile.long_string_chars) + '"}';
			const longUmlauts = Buffer.from('{"a":"' + 'ü'.repeat(vectors.hostile.long_string_chars) + '"}');
			for (const body of [deep, Buffer.from(deep), long, longUmlauts, '['.repeat(depth)]) {
				expect(verifySignature(body, 'b'.repeat(64), 'whsec_x')).toBe(false);
			}
		});
	});
}

// The copy in this repository is what a clone runs; beside a checkout that has the team's shared/
// folder (CI does), it must still be the team's file byte for byte.
const besideCheckout = existsSync(TEAM_VECTORS_BESIDE);
(besideCheckout ? test : test.skip)("the repository's copy of the team's CPython vectors is the team's file", () => {
	expect(readFileSync(SHARED_VECTORS).equals(readFileSync(TEAM_VECTORS_BESIDE))).toBe(true);
});
