'use strict';
/**
 * What queue mode adds to the single-process stack (scripts/n8n-stack.cjs): PostgreSQL with n8n's
 * database and the app database the queue-mode example writes its orders to, Redis, and nginx in
 * front of the n8n processes, routing as n8n's queue-mode docs say. Every server is our own process
 * on a loopback port with its data under the stack's folder; no system service is used. Needs
 * Debian's postgresql, redis-server and nginx (apt-get install -y postgresql redis-server nginx).
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const { EXAMPLES_DIR, ROOT } = require('./n8n.cjs');
const { StackError, http, run, startProcess, waitUntil, which } = require('./processes.cjs');

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
 * PostgreSQL (n8n's database and the app's), Redis and nginx, each our own process under dataDir, on
 * the ports given; resolves once all three answer. What n8n's processes need in queue mode comes
 * back with it: their environment, the app database's credential, and a query on the app database.
 */
async function startQueueInfrastructure({ dataDir, host, ports, webhooks, proxyBalance, n8nUrl, runtime, log, mark }) {
	const pgBin = postgresBin();
	const redisBin = which('redis-server', 'apt-get install -y redis-server');
	const nginxBin = which('nginx', 'apt-get install -y nginx');
	const pgUser = systemUser('postgres');

	// PostgreSQL runs as the postgres user, so it must be able to reach its data folder.
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
	let pool;
	const stop = async () => {
		await procs.nginx?.stop({ log });
		await pool?.end().catch(() => {});
		await Promise.all([procs.redis?.stop({ log }), procs.postgres?.stop({ timeoutMs: 30000, log })]);
	};

	try {
		// PostgreSQL: a cluster of our own, run by the postgres user, on a loopback port.
		let t = Date.now();
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

		// Redis, no persistence.
		procs.redis = startProcess({
			name: 'redis',
			command: redisBin,
			args: ['--port', String(ports.redis), '--bind', host, '--dir', dirs.redis, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'],
			cwd: dirs.redis,
			env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
			onOutput: (text) => log(`[redis] ${text.trimEnd()}`),
		});

		// nginx, in front of n8n (which answers once it is up).
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
	} catch (error) {
		await stop();
		throw error;
	}

	return {
		procs,
		stop,
		/** The app database's credential (the queue-mode example's Postgres nodes use it). */
		credential: {
			...APP_DB_CREDENTIAL,
			data: { host, port: ports.postgres, database: APP_DB, user: APP_DB, password: secrets.appDbPassword, ssl: 'disable', allowUnauthorizedCerts: false, maxConnections: 20 },
		},
		/** A query on the app database (catalystpay_app); its rows. */
		sql: async (query, params = []) => (await pool.query(query, params)).rows,
		/** What an n8n process needs beyond the single-process environment to run in queue mode. */
		n8nEnv: (name) => ({
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
			...(name === 'worker'
				? {
						// The worker's own small server: /healthz and /healthz/readiness.
						QUEUE_HEALTH_CHECK_ACTIVE: 'true',
						QUEUE_HEALTH_CHECK_PORT: String(ports.worker),
						N8N_WORKER_SERVER_ADDRESS: host,
					}
				: {}),
		}),
	};
}

module.exports = { startQueueInfrastructure, nginxConfig, webhookNames, APP_DB_CREDENTIAL, APP_TABLES_SQL, QUEUE_EXAMPLES_DIR };
