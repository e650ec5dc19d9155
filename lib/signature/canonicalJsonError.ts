/** Thrown for any body CPython's `json.loads` would refuse; the message says where and why. */
export class CanonicalJsonError extends Error {
	constructor(
		message: string,
		readonly position: number,
	) {
		super(`${message} (at byte ${position})`);
		this.name = 'CanonicalJsonError';
	}
}
