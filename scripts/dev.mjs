#!/usr/bin/env node
// `npm run dev`: builds the package and the sandbox, then runs the CatalystPay sandbox and a real n8n
// (2.41.1, on its own Node 24, installed once into .n8n-runtime/) with this package loaded, a
// "CatalystPay Sandbox" credential, and the example workflows imported and published. Prints where
// to click. Ctrl-C stops everything it started.
//
//   npm run dev                 fresh n8n every start (the default: the examples as shipped)
//   npm run dev -- --keep       keep the n8n data of the last run (your own workflows survive)
//   npm run dev -- --no-build   skip the builds
//   npm run dev -- --quiet      do not echo n8n's own log (it is always in .n8n-runtime/dev-n8n.log)
//   npm run dev -- --n8n 1.123.81  another n8n version (the same single-process stack; 1.123.81 is the
//                               tested 1.x), installed once into .n8n-runtime/n8n-<version>/
//   npm run dev -- --queue      n8n in queue mode: PostgreSQL, Redis, nginx in front of a main process,
//                               2 webhook processes and a worker (needs Debian's postgresql, redis-server
//                               and nginx); data in .n8n-runtime/queue/, log in .n8n-runtime/dev-n8n.log
//
// N8N_PORT / SANDBOX_PORT change the ports (5678 / 4010; with --queue N8N_PORT is nginx's, and the
// n8n processes take the ports after it).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
// --n8n takes a value: the version.
const n8nAt = argv.indexOf('--n8n');
const n8nVersion = n8nAt === -1 ? undefined : argv.splice(n8nAt, 2)[1];
const args = new Set(argv);
const known = new Set(['--keep', '--no-build', '--quiet', '--queue', '--help', '-h']);
for (const arg of args) {
	if (!known.has(arg)) {
		console.error(`Unknown option ${arg}. Options: --keep, --no-build, --quiet, --queue, --n8n <version>`);
		process.exit(2);
	}
}
if (args.has('--help') || args.has('-h')) {
	console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 18).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
	process.exit(0);
}
if (n8nAt !== -1 && !/^\d+\.\d+\.\d+$/.test(n8nVersion ?? '')) {
	console.error('--n8n needs a version, e.g. npm run dev -- --n8n 1.123.81');
	process.exit(2);
}
if (n8nVersion && args.has('--queue')) {
	console.error('--n8n and --queue do not go together: the queue-mode stack runs the default n8n only');
	process.exit(2);
}

const n8nPort = Number(process.env.N8N_PORT || 5678);
const sandboxPort = Number(process.env.SANDBOX_PORT || 4010);
const queue = args.has('--queue');
// Each n8n version its own data (--keep must not hand a 2.x database to 1.x).
const userFolder = path.join(ROOT, '.n8n-runtime', n8nVersion ? `dev-${n8nVersion}` : 'dev');
const queueDataDir = path.join(ROOT, '.n8n-runtime', 'queue');
const logFile = path.join(ROOT, '.n8n-runtime', 'dev-n8n.log');

const say = (line) => console.log(`[dev] ${line}`);

function build() {
	for (const script of ['build:sandbox']) {
		const t0 = Date.now();
		say(`npm run ${script}`);
		const res = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', script, '--silent'], {
			cwd: ROOT,
			stdio: 'inherit',
		});
		if (res.status !== 0) {
			console.error(`[dev] npm run ${script} failed: fix the errors above and run npm run dev again`);
			process.exit(1);
		}
		say(`  done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
	}
}

async function main() {
	const t0 = Date.now();
	if (!args.has('--no-build')) build();
	const { startStack } = require('./n8n-stack.cjs');

	fs.mkdirSync(path.dirname(logFile), { recursive: true });
	const log = fs.createWriteStream(logFile, { flags: 'w' });
	const quiet = args.has('--quiet');

	let stack;
	let stopping = false;
	const shutdown = async (why, code = 0) => {
		if (stopping) return;
		stopping = true;
		say(`${why}: stopping ${queue ? 'n8n, nginx, Redis, PostgreSQL' : 'n8n'} and the sandbox...`);
		try {
			await stack?.stop();
		} finally {
			log.end();
			say('stopped.');
			process.exit(code);
		}
	};
	// Before the stack exists (a slow first install), Ctrl-C just exits; the stack's own exit hook
	// kills n8n's process group if it was already spawned.
	process.on('SIGINT', () => (stack ? shutdown('Ctrl-C') : process.exit(130)));
	process.on('SIGTERM', () => (stack ? shutdown('SIGTERM') : process.exit(143)));
	process.on('SIGHUP', () => (stack ? shutdown('SIGHUP') : process.exit(129)));

	say(`starting the sandbox and n8n${queue ? ' in queue mode' : ''} (n8n's log: ${path.relative(ROOT, logFile)})`);
	const logLine = (line) => {
		log.write(`[dev] ${line}\n`);
		if (/^\[(sandbox|postgres|redis|nginx)\]/.test(line)) console.log(line);
		else say(line);
	};
	try {
		if (queue) {
			const { startQueueStack } = require('./n8n-queue-stack.cjs');
			stack = await startQueueStack({
				dataDir: queueDataDir,
				fresh: !args.has('--keep'),
				install: 'link',
				proxyPort: n8nPort,
				mainPort: n8nPort + 2,
				webhookPorts: [n8nPort + 4, n8nPort + 6],
				workerPort: n8nPort + 8,
				postgresPort: n8nPort + 10,
				redisPort: n8nPort + 11,
				sandboxPort,
				log: logLine,
				onN8nOutput: (text, name) => {
					const prefixed = text.replace(/^(?=.)/gm, `[${name}] `);
					log.write(prefixed);
					if (!quiet) process.stdout.write(prefixed);
				},
			});
		} else {
			stack = await startStack({
				userFolder,
				n8nVersion,
				fresh: !args.has('--keep'),
				n8nPort,
				sandboxPort,
				log: logLine,
				onN8nOutput: (text) => {
					log.write(text);
					if (!quiet) process.stdout.write(text.replace(/^(?=.)/gm, '[n8n] '));
				},
			});
		}
	} catch (error) {
		console.error(`[dev] FAILED: ${error.message}`);
		process.exit(1);
	}

	const { owner, sandboxConfig, sandbox } = stack;
	const campaign = sandboxConfig.campaigns[0];
	const banner = [
		'',
		'──────────────────────────────────────────────────────────────────────────────',
		`  n8n ${stack.runtime.n8nVersion} with n8n-nodes-catalystpay is ready (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
		'',
		`  1. Log in to n8n       ${stack.n8nUrl}${queue ? '   (nginx, in front of every n8n process)' : ''}`,
		`       email             ${owner.email}`,
		`       password          ${owner.password}   (a throwaway local account)`,
		...(queue
			? [
					`     Workflows: "CatalystPay: Checkout" and "${stack.workflows.payments.name}" (published);`,
					'     credentials "CatalystPay Sandbox" and "CatalystPay app database" (PostgreSQL).',
					'',
					'     Queue mode',
					`       main (editor, API)  ${stack.mainUrl}`,
					...stack.webhookProcessUrls.map((url, i) => `       webhook process ${i + 1}   ${url}`),
					`       worker              ${stack.workerUrl}/healthz   (runs every production execution)`,
					`       PostgreSQL          127.0.0.1:${stack.ports.postgres}  (databases n8n and catalystpay_app)`,
					`       Redis               127.0.0.1:${stack.ports.redis}`,
					`       nginx balances /webhook/ by ${stack.proxyBalance === 'signature' ? 'the X-CatalystPay-Signature header' : 'round robin'}; X-Upstream says which process answered`,
					'       Orders the example shipped: SELECT * FROM catalystpay_orders in catalystpay_app',
				]
			: [
					stack.checkoutForm
						? '     Workflows: "CatalystPay: Checkout" and "CatalystPay: Payment completed or failed" (published);'
						: '     Workflows: "CatalystPay: Payment completed or failed" (active), "CatalystPay: Checkout" (inactive: 2.x only);',
					'     credential "CatalystPay Sandbox" (Test button: Credentials > CatalystPay Sandbox).',
				]),
		'',
		...(queue || stack.checkoutForm
			? [
					`  2. Buy something       ${stack.formUrl}`,
					'     Fill in the form; n8n creates a payment session and sends you to the hosted payment page.',
				]
			: [
					`  2. Buy something       (the checkout example's form nodes are n8n 2.x only)`,
					"     Create a session as a shop's server would, then open its payment_url:",
					`       curl -s ${sandbox.url}/api/v1/payment-sessions/ -H 'authorization: Bearer ${sandboxConfig.apiKey}' \\`,
					`         -H 'content-type: application/json' -d '{"campaign_id":"${campaign.id}",` +
						`"lead":{"first_name":"Max","last_name":"Mustermann","email":"max@example.com","country":"DE"}}'`,
				]),
		'',
		'  3. Pay with a test IBAN',
		`       DE89370400440532013000   paid        -> "${queue ? 'Ship the order' : 'Payment completed'}"`,
		'       DE62370400440532013001   declined    -> "Payment failed"',
		'',
		'  4. Watch it arrive     n8n: Overview > Executions;  sandbox deliveries:',
		`                         ${sandbox.url}/_sandbox/deliveries`,
		'',
		`  Sandbox                ${sandbox.url}`,
		`    API Key              ${sandboxConfig.apiKey}`,
		`    Signing Secret       ${sandboxConfig.signingSecret}`,
		`    Campaign ID          ${campaign.id}  (${campaign.name}, ${campaign.offer.amount} ${campaign.offer.currency})`,
		`    Webhooks go to       ${stack.webhookUrl}`,
		'',
		args.has('--keep')
			? `  n8n data kept in ${path.relative(ROOT, queue ? queueDataDir : userFolder)}/ (--keep): examples and credentials re-imported.`
			: '  n8n data is thrown away at the next start (npm run dev -- --keep keeps it).',
		queue ? '  Ctrl-C stops n8n, nginx, Redis, PostgreSQL and the sandbox.' : '  Ctrl-C stops n8n and the sandbox.',
		'──────────────────────────────────────────────────────────────────────────────',
		'',
	].join('\n');
	console.log(banner);

	// If n8n dies on its own, take the sandbox down too and say so.
	const watch = setInterval(() => {
		const exited = stack.hasExited();
		if (exited && !stopping) {
			clearInterval(watch);
			shutdown(`${exited.name ?? 'n8n'} exited by itself (${exited.signal ?? `code ${exited.code}`}; see ${path.relative(ROOT, logFile)})`, 1);
		}
	}, 500);
}

main();
