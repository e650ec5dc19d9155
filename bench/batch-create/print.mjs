// How the batch-create benchmark prints a run: times, sizes, and one line per contender.
const MB = 1024 * 1024;

export const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
export const mb = (bytes) => `${(bytes / MB).toFixed(1)} MB`;
export const verdict = (ok, miss) => (ok ? 'MET' : `MISSED by ${miss}`);
export const LABEL = {
	catalystpay: 'CatalystPay node',
	http: 'HTTP Request, batch C, interval 0',
	paced: 'HTTP Request, batch C, interval L',
	fixed: 'CatalystPay node, no expression',
};

export function line(key, r, ideal) {
	const vsIdeal = ideal ? `${(r.ms / ideal).toFixed(3)}x ideal` : '';
	return (
		`    ${LABEL[key].padEnd(34)} ${s(r.ms).padStart(8)}  ${vsIdeal.padEnd(13)} ` +
		`${r.created}/${r.items} created${r.failed ? `, ${r.failed} failed` : ''}${r.error ? ` (node error: ${r.error})` : ''}, ` +
		`at most ${r.maxInFlight} in flight; n8n CPU ${r.cpuMsPerItem.toFixed(2)} ms/item; peak RSS ${mb(r.peakRss)}, peak heap ${mb(r.peakHeap)} (+${mb(r.heapGrowth)})`
	);
}
