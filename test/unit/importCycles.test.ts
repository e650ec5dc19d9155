/**
 * The house has no import cycle: among the package's and the sandbox's own modules, following every
 * import that loads code at run time (not `import type`), no module reaches itself again.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const FOLDERS = ['lib', 'nodes', 'credentials', 'sandbox/src'];

function sources(folder: string): string[] {
	return readdirSync(folder).flatMap((name) => {
		const path = join(folder, name);
		if (statSync(path).isDirectory()) return sources(path);
		return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
	});
}

function runtimeImports(file: string): string[] {
	const text = readFileSync(file, 'utf8');
	const found: string[] = [];
	for (const match of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'(\.{1,2}\/[^']+)'/gm)) {
		const base = resolve(dirname(file), match[1]);
		const target = [`${base}.ts`, join(base, 'index.ts')].find((candidate) => existsSync(candidate));
		if (target) found.push(target);
	}
	return found;
}

test('no module imports itself through others', () => {
	const files = FOLDERS.flatMap((folder) => sources(join(ROOT, folder)));
	const graph = new Map(files.map((file) => [file, runtimeImports(file)]));
	const cycles: string[] = [];
	const state = new Map<string, 'visiting' | 'done'>();
	const visit = (file: string, path: string[]) => {
		if (state.get(file) === 'done') return;
		if (state.get(file) === 'visiting') {
			cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(ROOT, f)).join(' -> '));
			return;
		}
		state.set(file, 'visiting');
		for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
		state.set(file, 'done');
	};
	for (const file of files) visit(file, []);
	expect(cycles).toEqual([]);
});
