/**
 * CatalystPay's integration guide's JavaScript sample's canonical form, as that guide writes it: JSON.stringify
 * of recursively sorted keys (no \u escaping, JavaScript's number format). What a sender built on the
 * sample signs; the tests use it to send such signatures, independently of lib/.
 */
export function guideSortKeys(obj: unknown): unknown {
	if (typeof obj !== 'object' || obj === null) return obj;
	if (Array.isArray(obj)) return obj.map(guideSortKeys);
	return Object.keys(obj)
		.sort()
		.reduce<Record<string, unknown>>((acc, key) => {
			acc[key] = guideSortKeys((obj as Record<string, unknown>)[key]);
			return acc;
		}, {});
}

export const guideCanonical = (body: string): string => JSON.stringify(guideSortKeys(JSON.parse(body)));
