// What the benchmark scripts share: their command-line numbers, and one definition of a percentile.

/** `--name N` from the command line, or `fallback`. */
export function arg(name, fallback) {
	const at = process.argv.indexOf(`--${name}`);
	return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile of an ascending array: the smallest value with p% of them at or below it. */
export const percentile = (sorted, p) => sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))];
