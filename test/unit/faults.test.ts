/**
 * The sandbox's fault injection decides by count and by seed, never by the clock, for the faults the
 * tests rely on: the same requests are refused on a slow machine as on a fast one.
 */
import { FaultInjector, NO_FAULTS } from '../../sandbox/src/faults';

const kinds = (injector: FaultInjector, count: number) => Array.from({ length: count }, () => injector.decide().kind);

test('count-based rate limiting refuses the last requests of every cycle, whatever the time', () => {
	const injector = new FaultInjector({ ...NO_FAULTS, rateLimitEvery: 5, rateLimitBurst: 2 });
	// Decided at the same instant or an hour apart: the same pattern.
	expect(kinds(injector, 10)).toEqual(['none', 'none', 'none', 'rate-limit', 'rate-limit', 'none', 'none', 'none', 'rate-limit', 'rate-limit']);
	expect(injector.decide(Date.now() + 3_600_000).kind).toBe('none');
	expect(injector.counts.rateLimit).toBe(4);
});

test('setting the count-based rate limit starts a new cycle', () => {
	const injector = new FaultInjector({ ...NO_FAULTS, rateLimitEvery: 2 });
	expect(kinds(injector, 1)).toEqual(['none']);
	injector.update({ rateLimitEvery: 2, rateLimitBurst: 1 });
	expect(kinds(injector, 4)).toEqual(['none', 'rate-limit', 'none', 'rate-limit']);
	injector.update({ rateLimitEvery: 0 });
	expect(kinds(injector, 3)).toEqual(['none', 'none', 'none']);
});

test('the same seed draws the same faults', () => {
	const settings = { ...NO_FAULTS, errorRate: 0.3, dropRate: 0.1, spikeRate: 0.2, spikeMs: 50, seed: 7 };
	const first = Array.from({ length: 200 }, () => new FaultInjector(settings)).map((injector) => kinds(injector, 1)[0]);
	const one = new FaultInjector(settings);
	const again = new FaultInjector(settings);
	expect(kinds(one, 200)).toEqual(kinds(again, 200));
	expect(new Set(first).size).toBe(1);
});

test('gatherFirst holds the first N requests until all N have arrived, and no later one', async () => {
	const injector = new FaultInjector({ ...NO_FAULTS, gatherFirst: 3, gatherTimeoutMs: 60_000 });
	const released: number[] = [];
	const first = [0, 1].map(async (n) => {
		await injector.gather();
		released.push(n);
	});
	await new Promise((resolve) => setImmediate(resolve));
	expect(released).toEqual([]);
	await injector.gather();
	await Promise.all(first);
	expect(released.sort()).toEqual([0, 1]);
	await injector.gather(); // the fourth is not held
});

test('a client that never sends N at once is released by the gather timeout', async () => {
	const injector = new FaultInjector({ ...NO_FAULTS, gatherFirst: 2, gatherTimeoutMs: 1 });
	await injector.gather();
});
