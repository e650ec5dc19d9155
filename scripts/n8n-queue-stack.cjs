'use strict';
/**
 * n8n in queue mode, as n8n's scaling docs describe it, with this package loaded: PostgreSQL and
 * Redis (Debian's), one main process (editor, API, test webhooks), two webhook processes by default (production
 * webhooks and forms), one worker (runs every production execution), and nginx in front routing
 * between them. Plus the CatalystPay sandbox delivering its webhooks through nginx. What
 * `npm run dev -- --queue` runs and what test/e2e/queue.test.ts runs against.
 *
 *   const stack = await startQueueStack({ dataDir, fresh: true });
 *   ... stack.n8nUrl (nginx), stack.webhookProcessUrls, stack.sql('SELECT ...'), stack.restart() ...
 *   await stack.stop();
 *
 * Every server is our own process (its own process group) on free loopback ports, with its data
 * under dataDir; stop() (or this process exiting) ends all of them. No system service is used.
 * Needs Debian's postgresql, redis-server and nginx (apt-get install -y postgresql redis-server nginx).
 */
const { spawnSync, execFile } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const {
	ensureRuntime,
	StackError,
	CREDENTIAL,
	OWNER,
	ROOT,
	EXAMPLES_DIR,
	PACKAGE_NAME,
	http,
	portIsFree,
	freePort,
	freePortPair,
	readExamples,
	findNode,
	n8nEnv,
	installPackage,
	startProcess,
	waitUntil,
	sandboxCredential,
	importIntoN8n,
	setupOwner,
	triggerAnswers,
} = require('./n8n-stack.cjs');

const QUEUE_EXAMPLES_DIR = path.join(EXAMPLES_DIR, 'queue-mode');
/** The tables the queue-mode example's gate and orders use, in the app database. */
const APP_TABLES_SQL = path.join(QUEUE_EXAMPLES_DIR, 'catalystpay-tables.sql');
/** The Postgres credential the queue-mode example refers to, by id. */
const APP_DB_CREDENTIAL = { id: 'catalystpayAppDb01', name: 'CatalystPay app database', type: 'postgres' };
const APP_DB = 'catalystpay_app';
const N8N_DB = 'n8n';

/** The processes of the n8n side, by the names n8nOutput(name) takes: main, webhook1..N, worker. */
const webhookNames = (count) => Array.from({ length: count }, (_, i) => `webhook${i + 1}`);

/** Debian's PostgreSQL server binaries (the newest installed major version). */
function postgresBin() {
	const base = '/usr/lib/postgresql';
	const versions = fs.existsSync(base)
		? fs
				.readdirSync(base)
				.filter((v) => fs.existsSync(path.join(base, v, 'bin', 'postgres')))
				.sort((a, b) => Number(b) - Number(a))
		: [];
	if (versions.length === 0) throw new StackError('PostgreSQL is not installed: apt-get install -y postgresql');
	return path.join(base, versions[0], 'bin');
}

function which(command, hint) {
	for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', ...(process.env.PATH ?? '').split(path.delimiter)]) {
		const file = path.join(dir, command);
		if (dir && fs.existsSync(file)) return file;
	}
	throw new StackError(`${command} is not installed: ${hint}`);
}

/** uid and gid of a system user (the postgres one the Debian package creates). */
function systemUser(name) {
	const line = fs
		.readFileSync('/etc/passwd', 'utf8')
		.split('\n')
		.find((l) => l.startsWith(`${name}:`));
	if (!line) throw new StackError(`there is no system user ${name} (apt-get install -y postgresql creates it)`);
	const [, , uid, gid] = line.split(':');
	return { uid: Number(uid), gid: Number(gid) };
}

/** Runs a command to completion without blocking the event loop; resolves with its output, rejects on failure. */
function run(command, args, options = {}) {
	return new Promise((resolve, reject) => {
		execFile(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120000, ...options }, (error, stdout, stderr) => {
			if (error) reject(new StackError(`${path.basename(command)} ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`));
			else resolve(stdout);
		});
	});
}

/** True once a Redis server answers PING. */
function redisPing(host, port) {
	return new Promise((resolve) => {
		const socket = net.connect({ host, port });
		const done = (ok) => {
			socket.destroy();
			resolve(ok);
		};
		socket.setTimeout(2000, () => done(false));
		socket.once('error', () => done(false));
		socket.once('connect', () => socket.write('PING\r\n'));
		socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
	});
}

/** Secrets that must survive a --keep restart: the encryption key and the database passwords. */
function loadSecrets(file) {
	try {
		return JSON.parse(fs.readFileSync(file, 'utf8'));
	} catch {
		const secrets = {
			encryptionKey: crypto.randomBytes(24).toString('hex'),
			n8nDbPassword: crypto.randomBytes(12).toString('hex'),
			appDbPassword: crypto.randomBytes(12).toString('hex'),
		};
		fs.writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
		return secrets;
	}
}

/** SQL string literal. */
const literal = (value) => `'${String(value).replace(/'/g, "''")}'`;

/**
 * nginx in front of n8n, routing as n8n's queue-mode docs say: production webhooks (and production
 * forms, waiting executions, MCP) to the webhook processes, everything else (the editor, /rest with
 * its push connection, the public API, test webhooks) to main.
 */
function nginxConfig({ dir, host, port, mainPort, webhookPorts, balance }) {
	const balancing =
		balance === 'signature'
			? [
					'		# Every copy of one signed delivery (a retry, a resend, a replay) goes to the same webhook',
					'		# process; different deliveries spread over both. Without the header: round robin.',
					'		hash $http_x_catalystpay_signature consistent;',
				]
			: ['		# Round robin: copies of one delivery may land on different webhook processes.'];
	// max_fails=0: a process that was down (a restart) is used again as soon as it answers.
	const servers = (ports) => ports.map((p) => `		server 127.0.0.1:${p} max_fails=0;`);
	// n8n (Node's http server) closes a connection idle for 5 s. nginx must drop it first: a request
	// sent on a connection n8n is closing is reset, and nginx does not retry a POST (a lost delivery).
	const keepalive = (connections) => [`		keepalive ${connections};`, '		keepalive_timeout 4s;'];
	const proxied = (upstream) => [
		`			proxy_pass http://${upstream};`,
		'			proxy_http_version 1.1;',
		'			proxy_set_header Host $http_host;',
		'			proxy_set_header Connection $connection_upgrade;',
		'			proxy_set_header Upgrade $http_upgrade;',
		'			proxy_set_header X-Real-IP $remote_addr;',
		'			proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
		'			proxy_set_header X-Forwarded-Proto $scheme;',
	];
	return [
		'# Written by scripts/n8n-queue-stack.cjs for one stack; nginx runs as our own process.',
		'daemon off;',
		'master_process on;',
		'worker_processes 1;',
		// Only when started as root does nginx switch its workers to this user.
		...(process.getuid?.() === 0 ? ['user nobody nogroup;'] : []),
		`pid ${path.join(dir, 'nginx.pid')};`,
		'error_log stderr warn;',
		'events { worker_connections 1024; }',
		'http {',
		`	client_body_temp_path ${path.join(dir, 'tmp', 'body')};`,
		`	proxy_temp_path ${path.join(dir, 'tmp', 'proxy')};`,
		`	fastcgi_temp_path ${path.join(dir, 'tmp', 'fastcgi')};`,
		`	uwsgi_temp_path ${path.join(dir, 'tmp', 'uwsgi')};`,
		`	scgi_temp_path ${path.join(dir, 'tmp', 'scgi')};`,
		"	log_format upstream '$time_iso8601 $request_method $uri $status upstream=$upstream_addr $upstream_status ${request_time}s';",
		`	access_log ${path.join(dir, 'access.log')} upstream;`,
		'	client_max_body_size 16m;',
		'	proxy_read_timeout 300s;',
		'	proxy_send_timeout 300s;',
		'	# Websocket upgrade for /rest/push; otherwise an empty Connection header keeps upstream connections alive.',
		"	map $http_upgrade $connection_upgrade { default upgrade; '' ''; }",
		'	upstream n8n_main {',
		`		server 127.0.0.1:${mainPort} max_fails=0;`,
		...keepalive(16),
		'	}',
		'	upstream n8n_webhooks {',
		...balancing,
		...servers(webhookPorts),
		...keepalive(32),
		'	}',
		'	upstream n8n_webhooks_any {',
		...servers(webhookPorts),
		...keepalive(16),
		'	}',
		'	server {',
		`		listen ${host}:${port};`,
		'		# Which n8n process answered (host:port; several when nginx tried more than one).',
		'		add_header X-Upstream $upstream_addr always;',
		"		location = /_proxy/health { add_header X-Upstream proxy always; return 200 'ok'; }",
		'		location /webhook/ {',
		...proxied('n8n_webhooks'),
		'		}',
		'		location ~ ^/(form|form-waiting|webhook-waiting|mcp)/ {',
		...proxied('n8n_webhooks_any'),
		'		}',
		'		location /rest/push {',
		...proxied('n8n_main'),
		'			proxy_buffering off;',
		'			proxy_read_timeout 1h;',
		'		}',
		'		location / {',
		...proxied('n8n_main'),
		'		}',
		'	}',
		'}',
		'',
	].join('\n');
}

/**
 * Starts the queue-mode stack. Options:
 *   dataDir       where everything lives (default .n8n-runtime/queue); fresh: true (default) empties it
 *   install       'link' (default) or 'pack' (see installPackage in n8n-stack.cjs)
 *   host          127.0.0.1
 *   webhookProcesses  how many `n8n webhook` processes behind nginx (default 2)
 *   proxyPort, mainPort, webhookPorts: [a, b, ...], workerPort, postgresPort, redisPort, sandboxPort
 *                 0 or absent: free ports (n8n processes take port and port+1, for their task runner broker)
 *   proxyBalance  'signature' (default: hash on X-CatalystPay-Signature) or 'round-robin'
 *   configureSandbox(config), log(line), onN8nOutput(text, processName), logLevel, readyTimeoutMs,
 *   n8nEnv        extra environment for every n8n process
 */
async function startQueueStack(options = {}) {
	const {
		dataDir = path.join(ROOT, '.n8n-runtime', 'queue'),
		fresh = true,
		install = 'link',
		host = '127.0.0.1',
		proxyBalance = 'signature',
		configureSandbox = () => {},
		log = () => {},
		onN8nOutput = () => {},
		logLevel = 'info',
		readyTimeoutMs = 240000,
		n8nEnv: extraEnv = {},
		webhookProcesses = 2,
	} = options;
	if (!Number.isInteger(webhookProcesses) || webhookProcesses < 1) throw new StackError(`webhookProcesses must be a whole number of at least 1, not ${webhookProcesses}`);
	const webhooks = webhookNames(webhookProcesses);
	const N8N_PROCESSES = ['main', ...webhooks, 'worker'];
	if (!['signature', 'round-robin'].includes(proxyBalance)) throw new StackError(`proxyBalance must be 'signature' or 'round-robin', not ${proxyBalance}`);
	const timings = {};
	const started = Date.now();
	const mark = (name, since) => (timings[name] = Date.now() - since);

	let t = Date.now();
	const runtime = ensureRuntime();
	mark('runtime', t);
	const pgBin = postgresBin();
	const redisBin = which('redis-server', 'apt-get install -y redis-server');
	const nginxBin = which('nginx', 'apt-get install -y nginx');
	const pgUser = systemUser('postgres');

	// Ports: the ones asked for (checked) or free ones. n8n processes need port+1 too.
	const taken = new Set();
	const pair = async (what, wanted) => {
		if (wanted) {
			for (const p of [wanted, wanted + 1]) {
				if (!(await portIsFree(p, host))) throw new StackError(`port ${p} on ${host} (for ${what}) is taken`);
			}
		}
		const port = wanted || (await freePortPair(host, taken));
		taken.add(port).add(port + 1);
		return port;
	};
	const single = async (what, wanted) => {
		if (wanted && !(await portIsFree(wanted, host))) throw new StackError(`port ${wanted} on ${host} (for ${what}) is taken`);
		let port = wanted;
		while (!port || (!wanted && taken.has(port))) port = await freePort(host);
		taken.add(port);
		return port;
	};
	const ports = {};
	ports.main = await pair('n8n main', options.mainPort);
	for (const [i, name] of webhooks.entries()) ports[name] = await pair(`n8n webhook process ${i + 1}`, options.webhookPorts?.[i]);
	ports.worker = await pair('the n8n worker', options.workerPort);
	ports.proxy = await single('nginx', options.proxyPort);
	ports.postgres = await single('PostgreSQL', options.postgresPort);
	ports.redis = await single('Redis', options.redisPort);

	const n8nUrl = `http://${host}:${ports.proxy}`;
	const mainUrl = `http://${host}:${ports.main}`;
	const webhookProcessUrls = webhooks.map((name) => `http://${host}:${ports[name]}`);
	const workerUrl = `http://${host}:${ports.worker}`;

	const examples = [...readExamples().filter(({ file }) => file === 'checkout.json'), ...readExamples(QUEUE_EXAMPLES_DIR)];
	const trigger = findNode(examples, 'n8n-nodes-catalystpay.catalystPayTrigger');
	const form = findNode(examples, 'n8n-nodes-base.formTrigger');
	if (!trigger || !form) throw new StackError('examples/checkout.json and examples/queue-mode/ need a Form Trigger and a CatalystPay Trigger');
	const webhookPath = `/webhook/${trigger.node.webhookId}/webhook`;
	const webhookUrl = `${n8nUrl}${webhookPath}`;
	const formUrl = `${n8nUrl}/form/${form.node.parameters.options?.path ?? form.node.webhookId}`;

	// The folders. PostgreSQL runs as the postgres user, so it must be able to reach its data folder.
	if (fresh) fs.rmSync(dataDir, { recursive: true, force: true });
	const dirs = {
		pg: path.join(dataDir, 'postgres'),
		pgData: path.join(dataDir, 'postgres', 'data'),
		pgSocket: path.join(dataDir, 'postgres', 'run'),
		redis: path.join(dataDir, 'redis'),
		nginx: path.join(dataDir, 'nginx'),
	};
	for (const dir of [dataDir, dirs.pg, dirs.pgSocket, dirs.redis, path.join(dirs.nginx, 'tmp')]) fs.mkdirSync(dir, { recursive: true });
	fs.chmodSync(dataDir, 0o755);
	const secrets = loadSecrets(path.join(dataDir, 'secrets.json'));

	const procs = {};
	let sandbox;
	let pool;
	const servers = () => Object.values(procs);
	const stopN8n = async () => {
		const t0 = Date.now();
		const took = {};
		const stopOne = async (name, timeoutMs) => {
			const t1 = Date.now();
			await procs[name]?.stop({ timeoutMs, log });
			took[name] = Date.now() - t1;
		};
		// Webhook processes first (no new executions), then the worker (finishes what it runs), then main.
		await Promise.all(webhooks.map((name) => stopOne(name)));
		await stopOne('worker', 40000);
		await stopOne('main');
		timings.lastStop = Date.now() - t0;
		for (const [name, ms] of Object.entries(took)) timings[`lastStop_${name}`] = ms;
		log(`n8n processes stopped in ${((Date.now() - t0) / 1000).toFixed(1)} s ${JSON.stringify(took)} (ms)`);
	};
	const stop = async () => {
		await stopN8n();
		await procs.nginx?.stop({ log });
		await sandbox?.close();
		await pool?.end().catch(() => {});
		await Promise.all([procs.redis?.stop({ log }), procs.postgres?.stop({ timeoutMs: 30000, log })]);
	};

	try {
		// 1. PostgreSQL: a cluster of our own, run by the postgres user, on a loopback port.
		t = Date.now();
		const asPostgres = { uid: pgUser.uid, gid: pgUser.gid, cwd: dirs.pg, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' } };
		fs.chownSync(dirs.pg, pgUser.uid, pgUser.gid);
		fs.chownSync(dirs.pgSocket, pgUser.uid, pgUser.gid);
		if (!fs.existsSync(path.join(dirs.pgData, 'PG_VERSION'))) {
			await run(
				path.join(pgBin, 'initdb'),
				['-D', dirs.pgData, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'],
				asPostgres,
			);
			log(`PostgreSQL cluster initialised in ${path.relative(ROOT, dirs.pgData)}  (${((Date.now() - t) / 1000).toFixed(1)} s)`);
		}
		procs.postgres = startProcess({
			name: 'postgres',
			command: path.join(pgBin, 'postgres'),
			args: [
				'-D', dirs.pgData,
				'-k', dirs.pgSocket,
				'-h', host,
				'-p', String(ports.postgres),
				'-c', 'max_connections=300',
				// Throwaway local data: no need to survive a power cut, and much faster on a shared disk.
				'-c', 'fsync=off',
				'-c', 'synchronous_commit=off',
				'-c', 'full_page_writes=off',
			],
			...asPostgres,
			// SIGINT: "fast shutdown" (SIGTERM would wait for every client to disconnect).
			stopSignal: 'SIGINT',
			exitSignal: 'SIGQUIT',
			onOutput: (text) => log(`[postgres] ${text.trimEnd()}`),
		});

		// 2. Redis, no persistence.
		procs.redis = startProcess({
			name: 'redis',
			command: redisBin,
			args: ['--port', String(ports.redis), '--bind', host, '--dir', dirs.redis, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'],
			cwd: dirs.redis,
			env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
			onOutput: (text) => log(`[redis] ${text.trimEnd()}`),
		});

		// 3. nginx, in front of n8n (which answers once it is up).
		fs.writeFileSync(
			path.join(dirs.nginx, 'nginx.conf'),
			nginxConfig({ dir: dirs.nginx, host, port: ports.proxy, mainPort: ports.main, webhookPorts: webhooks.map((name) => ports[name]), balance: proxyBalance }),
		);
		procs.nginx = startProcess({
			name: 'nginx',
			command: nginxBin,
			args: ['-c', path.join(dirs.nginx, 'nginx.conf'), '-p', dirs.nginx, '-e', 'stderr'],
			cwd: dirs.nginx,
			env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
			onOutput: (text) => log(`[nginx] ${text.trimEnd()}`),
		});

		const infraWait = { deadline: Date.now() + 60000, procs: [procs.postgres, procs.redis, procs.nginx] };
		const psql = (database, sql) =>
			run('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-At', '-h', dirs.pgSocket, '-p', String(ports.postgres), '-U', 'postgres', '-d', database, '-c', sql]);
		await waitUntil('PostgreSQL', async () => (await psql('postgres', 'SELECT 1')).trim() === '1', infraWait);
		await waitUntil('Redis', () => redisPing(host, ports.redis), infraWait);
		await waitUntil('nginx', async () => (await http(`${n8nUrl}/_proxy/health`, { timeoutMs: 2000 })).status === 200, infraWait);
		mark('infrastructure', t);

		// The databases: n8n's own, and the "user's own" one the example's gate and orders live in.
		t = Date.now();
		const ensureDatabase = async (name, password) => {
			const role = (await psql('postgres', `SELECT 1 FROM pg_roles WHERE rolname = ${literal(name)}`)).trim();
			await psql('postgres', `${role ? 'ALTER' : 'CREATE'} ROLE ${name} LOGIN PASSWORD ${literal(password)}`);
			const db = (await psql('postgres', `SELECT 1 FROM pg_database WHERE datname = ${literal(name)}`)).trim();
			if (!db) await psql('postgres', `CREATE DATABASE ${name} OWNER ${name}`);
		};
		await ensureDatabase(N8N_DB, secrets.n8nDbPassword);
		await ensureDatabase(APP_DB, secrets.appDbPassword);
		// The tables, as the app's user (so it owns them), from the file the README points at.
		await run('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-q', '-h', host, '-p', String(ports.postgres), '-U', APP_DB, '-d', APP_DB, '-f', APP_TABLES_SQL], {
			env: { ...process.env, PGPASSWORD: secrets.appDbPassword },
		});
		const pg = require(path.join(path.dirname(path.dirname(runtime.n8nBin)), '..', 'pg'));
		pool = new pg.Pool({ host, port: ports.postgres, user: APP_DB, password: secrets.appDbPassword, database: APP_DB, max: 4 });
		pool.on('error', () => {});
		mark('databases', t);

		// 4. The sandbox, in this process, sending its webhooks through nginx.
		t = Date.now();
		const sandboxLib = require(path.join(ROOT, 'sandbox', 'dist', 'index.js'));
		const sandboxConfig = sandboxLib.defaultConfig();
		sandboxConfig.host = host;
		sandboxConfig.port = options.sandboxPort ?? 0;
		sandboxConfig.campaigns[0].webhook.url = webhookUrl;
		configureSandbox(sandboxConfig);
		sandbox = await sandboxLib.startSandbox(sandboxConfig, (line) => log(`[sandbox] ${line}`));
		mark('sandbox', t);

		// 5. n8n: a user folder per process, each with the package; one database, one Redis, one key.
		t = Date.now();
		const userFolders = Object.fromEntries(N8N_PROCESSES.map((name) => [name, path.join(dataDir, 'n8n', name)]));
		for (const [i, name] of N8N_PROCESSES.entries()) {
			const folder = userFolders[name];
			fs.mkdirSync(folder, { recursive: true });
			if (i === 0 || install === 'link') {
				installPackage(folder, install, log);
			} else {
				// The same unpacked tarball as main's (packing once is enough).
				const from = path.join(userFolders.main, '.n8n', 'nodes');
				const to = path.join(folder, '.n8n', 'nodes');
				fs.rmSync(to, { recursive: true, force: true });
				fs.cpSync(from, to, { recursive: true });
			}
		}
		mark('install', t);

		const envFor = (name) => {
			const port = ports[name];
			const env = {
				...n8nEnv(runtime, { userFolder: userFolders[name], host, port, logLevel }),
				EXECUTIONS_MODE: 'queue',
				N8N_ENCRYPTION_KEY: secrets.encryptionKey,
				DB_TYPE: 'postgresdb',
				DB_POSTGRESDB_HOST: host,
				DB_POSTGRESDB_PORT: String(ports.postgres),
				DB_POSTGRESDB_DATABASE: N8N_DB,
				DB_POSTGRESDB_USER: N8N_DB,
				DB_POSTGRESDB_PASSWORD: secrets.n8nDbPassword,
				QUEUE_BULL_REDIS_HOST: host,
				QUEUE_BULL_REDIS_PORT: String(ports.redis),
				// Production webhooks only on the webhook processes; main keeps the editor, API and test webhooks.
				N8N_DISABLE_PRODUCTION_MAIN_PROCESS: 'true',
				// The URLs n8n shows and hands out (webhook URLs, form redirects) are nginx's.
				N8N_HOST: host,
				N8N_WEBHOOK_URL: `${n8nUrl}/`,
				N8N_EDITOR_BASE_URL: `${n8nUrl}/`,
				N8N_PROXY_HOPS: '1',
				// n8n 2.x removes a finished job from Redis at once unless told to keep some. A process that
				// answers a webhook at the end waits on Bull's job.finished(), which never returns for a job
				// that finished and was removed before it began to wait (OptimalBits/bull#1906): on a busy
				// machine a fast workflow left deliveries unanswered. Kept jobs close that window, as
				// docs/queue-mode.md tells users to do. (n8n 1.x always removes them: there CatalystPay's
				// retry, answered as a repeat, is what ends such a delivery.)
				N8N_EXECUTIONS_QUEUE_KEEP_LAST_COMPLETED: '1000',
				N8N_EXECUTIONS_QUEUE_KEEP_LAST_FAILED: '1000',
				...extraEnv,
			};
			if (name === 'worker') {
				Object.assign(env, {
					// The worker's own small server: /healthz and /healthz/readiness.
					QUEUE_HEALTH_CHECK_ACTIVE: 'true',
					QUEUE_HEALTH_CHECK_PORT: String(port),
					N8N_WORKER_SERVER_ADDRESS: host,
				});
			}
			return env;
		};

		// 6. Credentials and workflows into n8n's database, before any n8n process starts.
		t = Date.now();
		const appCredential = {
			...APP_DB_CREDENTIAL,
			data: { host, port: ports.postgres, database: APP_DB, user: APP_DB, password: secrets.appDbPassword, ssl: 'disable', allowUnauthorizedCerts: false, maxConnections: 20 },
		};
		importIntoN8n(
			runtime,
			envFor('main'),
			{
				importDir: path.join(userFolders.main, 'import'),
				credentials: [sandboxCredential(sandboxConfig, sandbox), appCredential],
				workflows: examples,
			},
			log,
		);
		mark('import', t);

		// 7. The n8n processes. Output is kept per process, and in one list with the process's name.
		const outputs = Object.fromEntries(N8N_PROCESSES.map((name) => [name, []]));
		const combined = [];
		const commands = { main: ['start'], worker: ['worker'], ...Object.fromEntries(webhooks.map((name) => [name, ['webhook']])) };
		const spawnN8n = (name) => {
			procs[name] = startProcess({
				name: `n8n ${name}`,
				command: runtime.nodeBin,
				args: [runtime.n8nBin, ...commands[name]],
				cwd: userFolders[name],
				env: envFor(name),
				onOutput: (text) => {
					outputs[name].push(text);
					combined.push(text.replace(/^(?=.)/gm, `[${name}] `));
					onN8nOutput(text, name);
				},
			});
		};
		const startN8n = async () => {
			const t0 = Date.now();
			const deadline = t0 + readyTimeoutMs;
			const infra = [procs.postgres, procs.redis, procs.nginx];
			// Main first: it registers the published workflows' webhooks in the database.
			spawnN8n('main');
			await waitUntil('n8n main /healthz/readiness', async () => (await http(`${mainUrl}/healthz/readiness`, { timeoutMs: 2000 })).status === 200, {
				deadline,
				procs: [procs.main, ...infra],
			});
			const mainReady = Date.now() - t0;
			for (const name of [...webhooks, 'worker']) spawnN8n(name);
			const all = [...N8N_PROCESSES.map((name) => procs[name]), ...infra];
			await Promise.all([
				waitUntil('the n8n worker /healthz/readiness', async () => (await http(`${workerUrl}/healthz/readiness`, { timeoutMs: 2000 })).status === 200, {
					deadline,
					procs: all,
				}),
				...webhookProcessUrls.map((url, i) =>
					waitUntil(`the CatalystPay Trigger webhook on webhook process ${i + 1}`, () => triggerAnswers(`${url}${webhookPath}`), { deadline, procs: all }),
				),
			]);
			// And through nginx: the trigger (either process) and the checkout form.
			await waitUntil('the CatalystPay Trigger webhook through nginx', () => triggerAnswers(webhookUrl), { deadline, procs: all });
			await waitUntil('the checkout form through nginx', async () => (await http(formUrl, { timeoutMs: 5000 })).status === 200, { deadline, procs: all });
			return { mainReady, ready: Date.now() - t0 };
		};

		t = Date.now();
		log(`starting n8n ${runtime.n8nVersion} (Node ${runtime.nodeVersion}) in queue mode: main, ${webhookProcesses} webhook process${webhookProcesses === 1 ? '' : 'es'}, 1 worker`);
		const { mainReady } = await startN8n();
		timings.n8nMainReady = mainReady;
		mark('n8nReady', t);

		// 8. The owner account and an API key (through nginx, which sends /rest and /api to main).
		t = Date.now();
		const { rest, editor, api, apiKey } = await setupOwner(n8nUrl);
		mark('owner', t);
		timings.total = Date.now() - started;

		const stack = {
			runtime,
			queueMode: true,
			n8nUrl,
			mainUrl,
			webhookProcessUrls,
			workerUrl,
			formUrl,
			webhookUrl,
			webhookPath,
			proxyBalance,
			ports,
			sandbox,
			sandboxConfig,
			owner: { ...OWNER },
			credential: { ...CREDENTIAL },
			appDbCredential: { ...APP_DB_CREDENTIAL },
			apiKey,
			workflows: { checkout: form.workflow, payments: trigger.workflow },
			dataDir,
			userFolders,
			timings,
			rest,
			editor,
			api,
			http,
			/** One process's output (main, webhook1..N, worker), or all of them with [name] prefixes. */
			n8nOutput: (name) => (name ? outputs[name].join('') : combined.join('')),
			/** Each server's process group id, by name (main, webhook1..N, worker, postgres, redis, nginx). */
			processGroups: () => Object.fromEntries(Object.entries(procs).map(([name, proc]) => [name.replace(/^n8n /, ''), proc.pid])),
			/** The first process (n8n's or the infrastructure's) that has exited, or null. */
			hasExited: () => {
				const dead = servers().find((proc) => proc.exited !== null);
				return dead ? { ...dead.exited, name: dead.name } : null;
			},
			/** Runs a query on the app database (catalystpay_app) and returns its rows. */
			async sql(query, params = []) {
				return (await pool.query(query, params)).rows;
			},
			/**
			 * Stops every n8n process (main, webhook processes, worker) and starts them again on the same
			 * database and Redis, as an operator would; waits until webhooks answer again.
			 */
			async restart() {
				const t0 = Date.now();
				await stopN8n();
				const res = await startN8n();
				timings.lastRestart = Date.now() - t0;
				log(`n8n restarted: every process  (${(timings.lastRestart / 1000).toFixed(1)} s; main ready after ${(res.mainReady / 1000).toFixed(1)} s)`);
			},
			/**
			 * kill -9 of one n8n process (its whole group), as the OOM killer or a lost machine would end
			 * it, then the same process started again; waits until it answers (a worker its readiness, a
			 * webhook process the trigger's URL).
			 */
			async crash(name) {
				if (!procs[name] || name === 'main') throw new Error(`crash(): a worker or webhook process, not ${JSON.stringify(name)}`);
				const t0 = Date.now();
				await procs[name].stop({ log, crash: true });
				spawnN8n(name);
				const wait = { deadline: Date.now() + readyTimeoutMs, procs: [procs[name], procs.postgres, procs.redis] };
				if (name === 'worker') {
					await waitUntil('the n8n worker /healthz/readiness', async () => (await http(`${workerUrl}/healthz/readiness`, { timeoutMs: 2000 })).status === 200, wait);
				} else {
					const url = webhookProcessUrls[webhooks.indexOf(name)];
					await waitUntil(`the CatalystPay Trigger webhook on ${name}`, () => triggerAnswers(`${url}${webhookPath}`), wait);
				}
				log(`n8n ${name} killed and started again  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
			},
			stop,
		};
		return stack;
	} catch (error) {
		await stop();
		throw error;
	}
}

module.exports = { startQueueStack, nginxConfig, APP_DB_CREDENTIAL, APP_TABLES_SQL, QUEUE_EXAMPLES_DIR, PACKAGE_NAME };
