import { spawnSync } from 'node:child_process';

/** CPython's answer for each body: its canonical JSON, or null where `json.loads` refuses it. */
export function pythonCanonical(bodies: Buffer[]): Array<string | null> {
	const script = [
		'import base64, json, sys',
		'out = []',
		'for line in sys.stdin.read().split("\\n"):',
		'    try:',
		'        out.append(json.dumps(json.loads(base64.b64decode(line)), sort_keys=True, separators=(",", ":")))',
		'    except (ValueError, RecursionError):',
		'        out.append(None)',
		'json.dump(out, sys.stdout)',
	].join('\n');
	const result = spawnSync('python3', ['-c', script], {
		input: bodies.map((body) => body.toString('base64')).join('\n'),
		maxBuffer: 512 * 1024 * 1024,
		encoding: 'utf8',
	});
	if (result.status !== 0) throw new Error(`python3 failed: ${result.stderr || result.error?.message}`);
	return JSON.parse(result.stdout) as Array<string | null>;
}

/** A small seeded generator, so a failing fuzz case can be replayed. */
export function seededRandom(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}
