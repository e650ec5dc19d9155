'use strict';
/**
 * The CPU one request costs inside n8n's own request helper, for the batch-create benchmark's ideal
 * (bench/batch-create.mjs starts this as a child process, with the runtime's Node and n8n's
 * environment, and reads one JSON line from its stdout).
 *
 * What it calls: `helpers.httpRequest` exactly as n8n-core hands it to a node
 * (getRequestHelperFunctions from the runtime's n8n-core 2.41.1, after n8n's start-up step
 * installGlobalProxyAgent), POSTing the same JSON body as the benchmark, Bearer header included,
 * to a sandbox with no added latency that runs in another process. Nothing else runs here, so
 * process.cpuUsage() around `count` calls, `inFlight` at a time, is n8n's request path alone:
 * axios, a new agent and TCP connection per request (n8n builds one per call), the body's
 * serialisation and the response's parsing. It is the floor any node pays per request inside n8n,
 * whatever the node does around it.
 *
 *   <runtime node> bench/request-cpu.cjs <n8n node_modules> <sandbox url> <api key> <campaign id> [count] [inFlight] [warmup]
 */
const path = require('node:path');

const [modules, url, apiKey, campaignId, countArg = '2000', inFlightArg = '10', warmupArg = '300'] = process.argv.slice(2);
const count = Number(countArg);
const inFlight = Number(inFlightArg);
const warmup = Number(warmupArg);

const fromRuntime = (id) => require(require.resolve(id, { paths: [modules] }));

async function main() {
	fromRuntime('@n8n/backend-network').installGlobalProxyAgent();
	const { getRequestHelperFunctions } = require(
		path.join(modules, 'n8n-core', 'dist', 'execution-engine', 'node-execution-context', 'utils', 'request-helpers'),
	);
	const node = { id: 'probe', name: 'Probe', type: 'probe', typeVersion: 1, position: [0, 0], parameters: {} };
	const helpers = getRequestHelperFunctions({ id: 'probe' }, node, { executionId: 'probe' });

	let serial = 0;
	const send = async () => {
		const n = serial++;
		const response = await helpers.httpRequest({
			method: 'POST',
			url: `${url}/api/v1/payment-sessions/`,
			body: {
				campaign_id: campaignId,
				lead: {
					first_name: 'Jürgen',
					last_name: 'Müller',
					email: `probe-${process.pid}-${n}@example.com`,
					country: 'DE',
					address: 'Musterstraße 42',
					city: 'Köln',
					postal_code: '50667',
				},
			},
			headers: { Accept: 'application/json', Authorization: `Bearer ${apiKey}` },
			json: true,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
		});
		if (response.statusCode !== 201 && response.statusCode !== 200) throw new Error(`the sandbox answered ${response.statusCode}`);
	};
	const run = async (total) => {
		let started = 0;
		await Promise.all(
			Array.from({ length: Math.min(inFlight, total) }, async () => {
				while (started < total) {
					started++;
					await send();
				}
			}),
		);
	};

	await run(warmup);
	const cpu0 = process.cpuUsage();
	const t0 = process.hrtime.bigint();
	await run(count);
	const cpu = process.cpuUsage(cpu0);
	const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
	process.stdout.write(
		`${JSON.stringify({ count, inFlight, cpuUsPerRequest: (cpu.user + cpu.system) / count, userUs: cpu.user / count, systemUs: cpu.system / count, wallMs, node: process.version })}\n`,
	);
}

main().then(
	() => process.exit(0),
	(error) => {
		process.stderr.write(`request-cpu: ${error && error.message}\n`);
		process.exit(1);
	},
);
