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

/** The vectors CPython made for the whole team (beside the repo), and our extension of them. */
export const SHARED_VECTORS = join(repoRoot, '..', 'shared', 'signature-vectors', 'vectors.json');
export const OUR_VECTORS = join(repoRoot, 'test', 'fixtures', 'signature-vectors', 'vectors.json');

export function loadVectors(path: string): VectorFile | undefined {
	return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as VectorFile) : undefined;
}

export function bodyOf(vector: ValidVector): string | Buffer {
	return vector.body_base64 !== undefined ? Buffer.from(vector.body_base64, 'base64') : (vector.body as string);
}
