/**
 * The manual's links and commands work: every relative link and anchor in README.md, CONTRIBUTING.md
 * and docs/ resolves (GitHub's heading anchors), every `npm run X` is a script of package.json, every
 * `npm run dev -- --flag` a flag scripts/dev.mjs reads, every `npm run sandbox -- --flag` one the
 * sandbox's CLI reads, and every `node <file>` a file of the repository.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const DOCS = ['README.md', 'CONTRIBUTING.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);

/** GitHub's anchor for a heading: lower case, punctuation dropped, each space a hyphen. */
export function slug(heading: string): string {
	return heading
		.trim()
		.toLowerCase()
		.replace(/[^\p{L}\p{N} _-]/gu, '')
		.replace(/ /g, '-');
}

function anchorsOf(file: string): Set<string> {
	const withoutCode = read(file).replace(/```[\s\S]*?```/g, '');
	return new Set([...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map((match) => slug(match[1].replace(/`/g, ''))));
}

function linksOf(file: string): string[] {
	const withoutCode = read(file).replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
	return [...withoutCode.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]).filter((target) => !/^(https?:|mailto:)/.test(target));
}

test('the manual has its pages', () => {
	expect(DOCS).toEqual(expect.arrayContaining(['docs/trigger.md', 'docs/troubleshooting.md', 'docs/queue-mode.md', 'docs/ai-agents.md', 'docs/signature.md', 'docs/sandbox.md', 'docs/performance.md', 'docs/security.md']));
});

test.each(DOCS)('every relative link and anchor in %s resolves', (file) => {
	const broken: string[] = [];
	for (const target of linksOf(file)) {
		const [path, anchor] = target.split('#');
		const resolved = path === '' ? join(ROOT, file) : resolve(dirname(join(ROOT, file)), path);
		if (!existsSync(resolved)) {
			broken.push(`${target} (no file ${relative(ROOT, resolved)})`);
			continue;
		}
		if (anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(relative(ROOT, resolved)).has(anchor)) broken.push(`${target} (no heading #${anchor})`);
	}
	expect(broken).toEqual([]);
});

test.each(DOCS)('every command %s shows exists', (file) => {
	const text = read(file);
	const missing: string[] = [];
	for (const [, script] of text.matchAll(/npm run ([a-z][a-z0-9:-]*)/g)) if (!scripts.includes(script)) missing.push(`npm run ${script}`);
	const dev = read('scripts/dev.mjs');
	for (const [, flag] of text.matchAll(/npm run dev -- (--[a-z0-9-]+)/g)) if (!dev.includes(`'${flag}'`) && !dev.includes(`"${flag}"`)) missing.push(`npm run dev -- ${flag}`);
	const cli = read('sandbox/src/cli.ts');
	for (const [, flag] of text.matchAll(/npm run sandbox -- (--[a-z0-9-]+)/g)) if (!cli.includes(flag)) missing.push(`npm run sandbox -- ${flag}`);
	for (const [, path] of text.matchAll(/node ((?:bench|scripts|sandbox)\/[\w./-]+\.(?:mjs|cjs|js))/g)) if (!existsSync(join(ROOT, path)) && !path.startsWith('sandbox/dist/')) missing.push(`node ${path}`);
	expect(missing).toEqual([]);
});

test('README stays a manual: under 250 lines, its sections in the order a new user needs them', () => {
	const readme = read('README.md');
	expect(readme.split('\n').length).toBeLessThan(250);
	const order = ['Quick start', 'What it does', 'Install', 'Set up CatalystPay', 'Your first paid order', 'The nodes', 'What CatalystPay is answered', 'What is guaranteed: no paid order lost, none shipped twice', 'Security', 'More'];
	const headings = [...readme.matchAll(/^## (.+)$/gm)].map((match) => match[1]);
	expect(headings.filter((heading) => order.includes(heading))).toEqual(order);
});
