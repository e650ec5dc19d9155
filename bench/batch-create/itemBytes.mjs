// What the items themselves take on the heap, for the batch-create benchmark's live-heap figures.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Bytes of heap per item for what n8n holds of each item by design, built here as n8n builds it and
 * measured between full collections: a lead as JSON.parse makes it from the webhook's body, the
 * Split Out item for it ({ json: { ...lead }, pairedItem }, the email string shared), the item n8n
 * hands the next node as its input (a new { json, pairedItem: { item, input } } around the same
 * json: a heap snapshot of n8n shows one per item), and a created session's output item ({ json: the
 * parsed answer, pairedItem }).
 */
export function itemBytes(count = 20000) {
	v8.setFlagsFromString('--expose-gc');
	const gc = runInNewContext('gc');
	const measure = (make) => {
		gc();
		const before = process.memoryUsage().heapUsed;
		const held = make();
		gc();
		const bytes = (process.memoryUsage().heapUsed - before) / count;
		if (held.length !== count) throw new Error('unreachable');
		return Math.round(bytes);
	};
	const emails = JSON.parse(JSON.stringify(Array.from({ length: count }, (_, i) => `r12-m4x9k2p1-${i}@example.com`)));
	const leads = [];
	const lead = measure(() => {
		for (let i = 0; i < count; i++) leads.push(JSON.parse(`{"email":"r12-m4x9k2p1-${i}@example.com"}`));
		return leads;
	});
	const splitItems = [];
	const splitItem = measure(() => {
		leads.forEach((element, i) => splitItems.push({ json: { ...element }, pairedItem: { item: i } }));
		return splitItems;
	});
	const nodeInput = measure(() => splitItems.map((item, i) => ({ json: item.json, pairedItem: { item: i, input: 0 } })));
	const session = measure(() =>
		emails.map((_, i) => {
			const token = `ps_${(i * 2654435761).toString(36).padStart(30, '0').slice(-30)}`;
			const body = `{"session_token":"${token}","status":"PENDING","payment_url":"http://127.0.0.1:40000/s/${token}"}`;
			return { json: JSON.parse(body), pairedItem: { item: i } };
		}),
	);
	return { lead, splitItem, nodeInput, session };
}
