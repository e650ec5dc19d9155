/**
 * Python's float repr on its own, against CPython itself: the canonical form prints every float as
 * repr() does, so a wrong digit or exponent layout would reject a genuine delivery.
 */
import { spawnSync } from 'node:child_process';

import { pythonFloatRepr } from '../../lib/signature/pythonFloat';
import { seededRandom } from '../helpers/pythonOracle';

/** CPython's repr() of each double, given as its exact hex form (no decimal rounding on the way). */
function cpythonRepr(values: number[]): string[] {
	const hex = values.map((value) => {
		const view = new DataView(new ArrayBuffer(8));
		view.setFloat64(0, value);
		return view.getBigUint64(0).toString(16).padStart(16, '0');
	});
	const script = 'import struct, sys, json\nprint(json.dumps([repr(struct.unpack(">d", bytes.fromhex(h))[0]) for h in sys.stdin.read().split()]))';
	const result = spawnSync('python3', ['-c', script], { input: hex.join('\n'), encoding: 'utf8' });
	if (result.status !== 0) throw new Error(`python3 failed: ${result.stderr}`);
	return JSON.parse(result.stdout) as string[];
}

const EDGES = [0, -0, 1, -1, 0.1, 1e16, 1e15, 9999999999999998, 1e-4, 1e-5, 0.0001, 0.00001, 123456789.125, 5e-324, 1.7976931348623157e308, 2 ** 53, 2 ** 53 + 2, 1 / 3, 100, 1e22, 1e21, 1.5e-7];

test('the edges where the layout switches (1e16, 1e-4), the extremes and plain values, as CPython prints them', () => {
	// NaN and the infinities print as Python's json module writes them, not as repr() does.
	expect([NaN, Infinity, -Infinity].map(pythonFloatRepr)).toEqual(['NaN', 'Infinity', '-Infinity']);
	expect(EDGES.map(pythonFloatRepr)).toEqual(cpythonRepr(EDGES));
});

test('20,000 random doubles from every exponent (seeded), as CPython prints them', () => {
	const random = seededRandom(20261202);
	const values = Array.from({ length: 20_000 }, () => {
		const view = new DataView(new ArrayBuffer(8));
		view.setUint32(0, Math.floor(random() * 2 ** 32));
		view.setUint32(4, Math.floor(random() * 2 ** 32));
		const value = view.getFloat64(0);
		return Number.isFinite(value) ? value : 1.5;
	});
	const ours = values.map(pythonFloatRepr);
	const theirs = cpythonRepr(values);
	const differ = ours.flatMap((text, i) => (text === theirs[i] ? [] : [`${values[i]}: ours ${text}, CPython ${theirs[i]}`]));
	expect(differ.slice(0, 5)).toEqual([]);
});
