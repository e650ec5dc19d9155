/**
 * Create's Country field: from version 1.1 a list of every assigned ISO 3166-1 alpha-2 code by its
 * English name, sorted by name; version 1 keeps its free text, so workflows saved with it still open.
 */
import type { INodePropertyOptions } from 'n8n-workflow';

import { CatalystPay } from '../../nodes/CatalystPay/CatalystPay.node';
import { isCountryCode } from '../../lib/validate';

const countryFields = new CatalystPay().description.properties.filter((p) => p.name === 'country');

test('version 1 keeps free text; from 1.1 a list', () => {
	expect(countryFields.map((p) => [p.type, p.displayOptions?.show?.['@version']])).toEqual([
		['string', [1]],
		['options', [{ _cnd: { gte: 1.1 } }]],
	]);
	expect(new CatalystPay().description.defaultVersion).toBe(1.1);
});

test('the list: 249 countries by name with their code, sorted by name, each code one the node accepts', () => {
	const options = countryFields[1].options as INodePropertyOptions[];
	expect(options).toHaveLength(249);
	expect(options).toContainEqual({ name: 'Germany (DE)', value: 'DE' });
	expect(options).toContainEqual({ name: 'Austria (AT)', value: 'AT' });
	const names = options.map((o) => o.name);
	expect([...names].sort((a, b) => a.localeCompare(b, 'en'))).toEqual(names);
	expect(options.every((o) => isCountryCode(String(o.value)))).toBe(true);
});
