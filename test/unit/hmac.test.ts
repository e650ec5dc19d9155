import { createHmac, randomBytes } from 'node:crypto';

import { HMAC_HEADROOM, hmacHex } from '../../lib/signature/hmac';

test('equals createHmac for keys shorter, equal and longer than the block, and any message', () => {
	for (const keyLength of [1, 10, 63, 64, 65, 100, 200]) {
		for (const messageLength of [0, 1, 55, 64, 300, 70_000]) {
			const secret = randomBytes(keyLength).toString('base64').slice(0, keyLength) + 'ü';
			const message = randomBytes(messageLength);
			const padded = Buffer.concat([Buffer.alloc(HMAC_HEADROOM, 0xaa), message]);
			expect(hmacHex(secret, padded)).toBe(createHmac('sha256', secret).update(message).digest('hex'));
			// Twice, as the pads are cached per secret.
			expect(hmacHex(secret, padded)).toBe(createHmac('sha256', secret).update(message).digest('hex'));
		}
	}
});
