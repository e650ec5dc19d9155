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
	/** Requests per second allowed before 429 with Retry-After; 0 is no limit. */
	rateLimitPerSecond: number;
	retryAfterSeconds: number;
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
	retryAfterSeconds: 1,
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
	/** What was injected, for a test to compare against what the client saw. */
	readonly counts = { drop: 0, error: 0, rateLimit: 0, spike: 0 };

	constructor(private settings: FaultSettings) {
		this.state = settings.seed >>> 0;
	}

	get current(): FaultSettings {
		return { ...this.settings, errorStatuses: [...this.settings.errorStatuses] };
	}

	update(changes: Partial<FaultSettings>): FaultSettings {
		this.settings = { ...this.settings, ...changes };
		if (changes.seed !== undefined) this.state = changes.seed >>> 0;
		return this.current;
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
