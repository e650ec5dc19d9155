import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ValidVector {
	name: string;
	secret: string;
	body?: string;
	body_base64?: string;
	canonical: string;
	signature: string;
}

export interface RejectVector {
	name: string;
	secret: string;
	body: string;
	signature: string;
}

export interface VectorFile {
	valid: ValidVector[];
	must_reject: RejectVector[];
	not_json: string[];
	bytes_valid?: ValidVector[];
	bytes_not_json?: string[];
	hostile: { deep_nesting_depth: number; long_string_chars: number };
}

const repoRoot = join(__dirname, '..', '..');

/**
 * The vectors CPython made for the whole team, as copied into this repository (so a clone runs them),
 * the team's original beside the checkout where there is one, and our extension of them.
 */
export const SHARED_VECTORS = join(repoRoot, 'test', 'fixtures', 'signature-vectors', 'cpython-shared.json');
export const TEAM_VECTORS_BESIDE = join(repoRoot, '..', 'shared', 'signature-vectors', 'vectors.json');
export const OUR_VECTORS = join(repoRoot, 'test', 'fixtures', 'signature-vectors', 'vectors.json');

/** A vector file of this repository; missing is an error, never a silent skip. */
export function loadVectors(path: string): VectorFile {
	if (!existsSync(path)) throw new Error(`signature vectors missing: ${path}`);
	return JSON.parse(readFileSync(path, 'utf8')) as VectorFile;
}

export function bodyOf(vector: ValidVector): string | Buffer {
	return vector.body_base64 !== undefined ? Buffer.from(vector.body_base64, 'base64') : (vector.body as string);
}
