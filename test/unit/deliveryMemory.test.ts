/**
 * The trigger's memory of deliveries, written into static data as n8n holds it: n8n's own Workflow
 * class, whose ObservableObject marks the static data changed (what decides whether n8n saves it).
 * Executions overlap in a worker; n8n saves each one's static data whole when it finishes, so the
 * last to finish must hold every delivery the process recorded, whatever order they finish in.
 */
import { Workflow, type IDataObject, type INodeTypes } from 'n8n-workflow';

import { claim, commit, deliveryKey, legacyDeliveryKey } from '../../nodes/CatalystPayTrigger/deliveryMemory';
import { aNode } from '../helpers/nodes';

const node = aNode('n8n-nodes-catalystpay.catalystPayTrigger', 'CatalystPay webhook', 'a0000000-0000-4000-8000-00000000cafe');
const nodeTypes = { getByName: () => undefined, getByNameAndVersion: () => undefined, getKnownTypes: () => ({}) } as unknown as INodeTypes;
const WINDOW = 24 * 60 * 60 * 1000;

/** An execution's workflow, over static data as loaded from the database. */
function execution(stored: IDataObject = {}) {
	const workflow = new Workflow({ id: 'wf1', nodes: [node], connections: {}, active: true, nodeTypes, staticData: JSON.parse(JSON.stringify(stored)) });
	return { workflow, nodeData: workflow.getStaticData('node', node) };
}
const saved = (workflow: Workflow) => (workflow.staticData.__dataChanged === true ? (JSON.parse(JSON.stringify(workflow.staticData)) as IDataObject) : undefined);
const deliveriesIn = (data: IDataObject | undefined) =>
	Object.keys(((data?.['node:CatalystPay webhook'] as IDataObject | undefined)?.recentDeliveries ?? {}) as object).sort();

test('executions running side by side: whichever finishes last, its save holds every delivery', () => {
	const scope = `overlap-${Date.now()}`;
	const a = execution();
	const b = execution();
	const c = execution();
	commit(scope, 'delivery-a', a.nodeData, WINDOW);
	commit(scope, 'delivery-b', b.nodeData, WINDOW);
	commit(scope, 'delivery-c', c.nodeData, WINDOW);
	// a finishes last: n8n saves a's static data, and it must not drop b's and c's deliveries.
	for (const finished of [a, b, c]) expect(deliveriesIn(saved(finished.workflow))).toEqual(['delivery-a', 'delivery-b', 'delivery-c']);
});

test('what was loaded from the database is kept, and expired deliveries are dropped', () => {
	const scope = `stored-${Date.now()}`;
	const now = Date.now();
	const loaded = { 'node:CatalystPay webhook': { recentDeliveries: { 'from-another-process': now + WINDOW, expired: now - 1 } } };
	const run = execution(loaded);
	commit(scope, 'delivery-new', run.nodeData, WINDOW, now);
	expect(deliveriesIn(saved(run.workflow))).toEqual(['delivery-new', 'from-another-process']);
});

test('different workflows (scopes) never write into each other', () => {
	const one = execution();
	const two = execution();
	commit(`one-${Date.now()}`, 'delivery-one', one.nodeData, WINDOW);
	commit(`two-${Date.now()}`, 'delivery-two', two.nodeData, WINDOW);
	expect(deliveriesIn(saved(one.workflow))).toEqual(['delivery-one']);
	expect(deliveriesIn(saved(two.workflow))).toEqual(['delivery-two']);
});

test('bounded: a flood of distinct deliveries keeps the newest (1,000 to 1,100), never all', () => {
	const scope = `flood-${Date.now()}`;
	const now = Date.now();
	let run = execution();
	for (let i = 0; i < 1_250; i++) {
		// Each execution starts from what the previous one saved, as in n8n.
		run = execution(saved(run.workflow) ?? {});
		commit(scope, `delivery-${i}`, run.nodeData, WINDOW, now + i);
	}
	const kept = deliveriesIn(saved(run.workflow));
	expect(kept.length).toBeGreaterThanOrEqual(1_000);
	expect(kept.length).toBeLessThanOrEqual(1_100);
	expect(kept).toContain('delivery-1249');
	expect(kept).not.toContain('delivery-0');
});

test('a delivery remembered under the key of releases up to 0.1 (event hashed in) is still a duplicate', () => {
	const scope = `alias-${Date.now()}`;
	const now = Date.now();
	const loaded = { 'node:CatalystPay webhook': { recentDeliveries: { 'old-key': now + WINDOW } } };
	const run = execution(loaded);
	expect(claim(scope, 'new-key', run.nodeData, 'old-key', now)).toBe('duplicate');
	expect(claim(scope, 'other-key', run.nodeData, 'other-old-key', now)).toBe('new');
});

test('the key covers the signed bytes only: the same body under two event names is one delivery', () => {
	const body = Buffer.from('{"session_token":"ps_x","status":"FAILED"}');
	expect(deliveryKey(body)).toBe(deliveryKey(Buffer.from(body)));
	expect(legacyDeliveryKey('payment_session.completed', body)).not.toBe(legacyDeliveryKey('payment_session.failed', body));
	expect(deliveryKey(body)).toMatch(/^[A-Za-z0-9_-]{24}$/);
});
