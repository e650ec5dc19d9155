/**
 * Faults the sandbox can inject into its API, to test how the nodes behave when CatalystPay is slow,
 * failing, rate limiting or dropping connections. All off by default; driven by a seeded generator
 * so a test run can be replayed.
 */

export interface FaultSettings {
	/** Added to every API answer, in ms. */
	latencyMs: number;
	/** Share (0-1) of API requests that also wait `spikeMs`. */
	spikeRate: number;
	spikeMs: number;
	/** Share (0-1) of API requests answered with a 5xx. */
	errorRate: number;
	/** The 5xx statuses to pick from. */
	errorStatuses: number[];
	/**
	 * Whether a 5xx on create comes before the session exists ('before', nothing happened) or after it
	 * was created ('after', as when a gateway times out behind a load balancer), or either ('mixed').
	 */
	errorTiming: 'before' | 'after' | 'mixed';
	/**
	 * Requests per second allowed before 429 with Retry-After; 0 is no limit. Wall-clock based, as a
	 * real rate limit is: what it rejects depends on how fast the client is, so tests use the
	 * count-based `rateLimitEvery` instead.
	 */
	rateLimitPerSecond: number;
	/**
	 * Rate limiting by count: of every `rateLimitEvery` API requests, the last `rateLimitBurst` get 429
	 * with Retry-After (every 10, burst 3: requests 8-10, 18-20, ...). 0 is off. The same requests are
	 * refused however fast or slow the client runs.
	 */
	rateLimitEvery: number;
	rateLimitBurst: number;
	retryAfterSeconds: number;
	/**
	 * Holds the first N API requests until all N have arrived (at most `gatherTimeoutMs`), then answers
	 * them. A client that really sends N at once is then seen with N in flight on any machine; one
	 * that does not is seen with fewer. 0 is off.
	 */
	gatherFirst: number;
	gatherTimeoutMs: number;
	/** Share (0-1) of API requests whose connection is dropped without an answer. */
	dropRate: number;
	seed: number;
}

export const NO_FAULTS: FaultSettings = {
	latencyMs: 0,
	spikeRate: 0,
	spikeMs: 0,
	errorRate: 0,
	errorStatuses: [500, 502, 503, 504],
	errorTiming: 'before',
	rateLimitPerSecond: 0,
	rateLimitEvery: 0,
	rateLimitBurst: 1,
	retryAfterSeconds: 1,
	gatherFirst: 0,
	gatherTimeoutMs: 10_000,
	dropRate: 0,
	seed: 1,
};

export type FaultDecision =
	| { kind: 'none'; delayMs: number }
	| { kind: 'drop'; delayMs: number }
	| { kind: 'error'; status: number; after: boolean; delayMs: number }
	| { kind: 'rate-limit'; retryAfterSeconds: number; delayMs: number };

export class FaultInjector {
	private state: number;
	private windowStart = 0;
	private windowCount = 0;
	/** API requests seen since the count-based rate limit was last set. */
	private counted = 0;
	private gathering: { arrived: number; release: () => void; released: Promise<void> } | undefined;
	/** What was injected, for a test to compare against what the client saw. */
	readonly counts = { drop: 0, error: 0, rateLimit: 0, spike: 0 };

	constructor(private settings: FaultSettings) {
		this.state = settings.seed >>> 0;
		this.startGathering();
	}

	get current(): FaultSettings {
		return { ...this.settings, errorStatuses: [...this.settings.errorStatuses] };
	}

	update(changes: Partial<FaultSettings>): FaultSettings {
		this.settings = { ...this.settings, ...changes };
		if (changes.seed !== undefined) this.state = changes.seed >>> 0;
		if (changes.rateLimitEvery !== undefined || changes.rateLimitBurst !== undefined) this.counted = 0;
		if (changes.gatherFirst !== undefined) this.startGathering();
		return this.current;
	}

	private startGathering(): void {
		this.gathering?.release();
		this.gathering = undefined;
		if (this.settings.gatherFirst <= 0) return;
		let release = () => {};
		const released = new Promise<void>((resolve) => (release = resolve));
		this.gathering = { arrived: 0, release, released };
	}

	/** Resolves when this request may be answered (see `gatherFirst`). */
	async gather(): Promise<void> {
		const g = this.gathering;
		if (!g || g.arrived >= this.settings.gatherFirst) return;
		if (++g.arrived >= this.settings.gatherFirst) {
			g.release();
			return;
		}
		const timer = setTimeout(g.release, this.settings.gatherTimeoutMs);
		await g.released;
		clearTimeout(timer);
	}

	private random(): number {
		this.state = (this.state + 0x6d2b79f5) >>> 0;
		let t = this.state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	}

	/** Decides the fate of one API request. */
	decide(now = Date.now()): FaultDecision {
		const s = this.settings;
		let delayMs = s.latencyMs;
		if (s.spikeRate > 0 && this.random() < s.spikeRate) {
			delayMs += s.spikeMs;
			this.counts.spike++;
		}
		if (s.rateLimitEvery > 0) {
			const position = (this.counted++ % s.rateLimitEvery) + 1;
			if (position > s.rateLimitEvery - Math.max(1, s.rateLimitBurst)) {
				this.counts.rateLimit++;
				return { kind: 'rate-limit', retryAfterSeconds: s.retryAfterSeconds, delayMs };
			}
		}
		if (s.rateLimitPerSecond > 0) {
			if (now - this.windowStart >= 1000) {
				this.windowStart = now;
				this.windowCount = 0;
			}
			if (++this.windowCount > s.rateLimitPerSecond) {
				this.counts.rateLimit++;
				return { kind: 'rate-limit', retryAfterSeconds: s.retryAfterSeconds, delayMs };
			}
		}
		if (s.dropRate > 0 && this.random() < s.dropRate) {
			this.counts.drop++;
			return { kind: 'drop', delayMs };
		}
		if (s.errorRate > 0 && this.random() < s.errorRate) {
			this.counts.error++;
			const statuses = s.errorStatuses.length > 0 ? s.errorStatuses : [500];
			const status = statuses[Math.floor(this.random() * statuses.length)];
			const after = s.errorTiming === 'after' || (s.errorTiming === 'mixed' && this.random() < 0.5);
			return { kind: 'error', status, after, delayMs };
		}
		return { kind: 'none', delayMs };
	}
}
