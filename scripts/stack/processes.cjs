'use strict';
/**
 * Servers as our own processes, for the dev and test stacks: started as process groups that end
 * with us (stop(), the exit hook, or the kernel's parent-death signal), free loopback ports, waits
 * that fail early with the output of a process that died, and plain HTTP calls.
 */
const { execFile, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

class StackError extends Error {}

function portIsFree(port, host) {
	return new Promise((resolve) => {
		const server = net.createServer();
		server.once('error', () => resolve(false));
		server.listen(port, host, () => server.close(() => resolve(true)));
	});
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One HTTP call with fetch; never throws on a status, only on no answer. */
async function http(url, { method = 'GET', headers = {}, body, redirect = 'manual', timeoutMs = 15000 } = {}) {
	const res = await fetch(url, {
		method,
		headers,
		body,
		redirect,
		signal: AbortSignal.timeout(timeoutMs),
	});
	const text = await res.text();
	let json;
	try {
		json = text === '' ? undefined : JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: res.status, headers: res.headers, text, json };
}

/** A free TCP port on host (the system picks it). */
function freePort(host = '127.0.0.1') {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, host, () => {
			const { port } = server.address();
			server.close(() => resolve(port));
		});
	});
}

/** A port p with p+1 free as well (an n8n process's task runner broker takes the next one). */
async function freePortPair(host = '127.0.0.1', avoid = new Set()) {
	for (let i = 0; i < 200; i++) {
		const port = 20000 + Math.floor(Math.random() * 20000);
		if (avoid.has(port) || avoid.has(port + 1)) continue;
		if ((await portIsFree(port, host)) && (await portIsFree(port + 1, host))) return port;
	}
	throw new StackError(`no free pair of ports on ${host}`);
}

const SETPRIV = process.platform === 'linux' ? ['/usr/bin/setpriv', '/bin/setpriv'].find((file) => fs.existsSync(file)) : undefined;

/**
 * Processes this module started and that are still running: the exit hook ends them if the caller
 * exits without stop() (a crash, process.exit in a signal handler, a jest worker ending).
 */
const liveProcesses = new Set();
process.on('exit', () => {
	for (const proc of liveProcesses) proc.kill(proc.exitSignal);
});

/**
 * Starts one server as its own process group (n8n's task runner, postgres's backends and nginx's
 * workers share it), collecting its output. stop() sends stopSignal to the process (or to the whole
 * group), waits for it to exit, and kills whatever is left of the group.
 *   exitSignal   sent to the group by the exit hook (SIGKILL unless the server cleans up better)
 */
function startProcess({ name, command, args, cwd, env, uid, gid, onOutput = () => {}, stopSignal = 'SIGTERM', exitSignal = 'SIGKILL' }) {
	// If this process dies without running its exit hook (SIGKILL, an unhandled signal), the kernel
	// sends the server its stop signal: util-linux's setpriv sets the parent-death signal, then execs it.
	if (SETPRIV) {
		args = ['--pdeathsig', stopSignal, '--', command, ...args];
		command = SETPRIV;
	}
	const child = spawn(command, args, {
		cwd,
		env,
		uid,
		gid,
		detached: true,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	const proc = {
		name,
		child,
		pid: child.pid,
		output: [],
		exited: null,
		exitSignal,
		kill(signal) {
			try {
				process.kill(-child.pid, signal);
			} catch {
				// already gone
			}
		},
		/** The last lines of its output, for an error message. */
		tail(chars = 6000) {
			return proc.output.join('').slice(-chars);
		},
		/** crash: SIGKILL at once, as the OOM killer or a power cut would end it (nothing of it runs after). */
		async stop({ timeoutMs = 15000, log = () => {}, crash = false } = {}) {
			if (proc.exited === null) {
				proc.kill(crash ? 'SIGKILL' : stopSignal);
				const deadline = Date.now() + timeoutMs;
				while (proc.exited === null && Date.now() < deadline) await sleep(100);
				if (proc.exited === null) {
					log(`${name} did not stop within ${timeoutMs / 1000} s: killing it`);
					proc.kill('SIGKILL');
					while (proc.exited === null) await sleep(50);
				}
			}
			// Whatever else is in its group (a task runner, a backend) goes too.
			proc.kill('SIGKILL');
			liveProcesses.delete(proc);
		},
	};
	liveProcesses.add(proc);
	child.on('exit', (code, signal) => {
		proc.exited = { code, signal };
	});
	child.on('error', (error) => {
		proc.output.push(`${name}: ${error.message}\n`);
		if (proc.exited === null) proc.exited = { code: null, signal: null, error: error.message };
	});
	const collect = (chunk) => {
		const text = chunk.toString();
		proc.output.push(text);
		onOutput(text);
	};
	child.stdout.on('data', collect);
	child.stderr.on('data', collect);
	return proc;
}

/**
 * Polls check() until it returns true, failing early (with the process's output) if one of procs
 * exits, and at deadline (a Date.now() value).
 */
async function waitUntil(what, check, { deadline, procs = [], intervalMs = 150 }) {
	for (;;) {
		const dead = procs.find((proc) => proc.exited !== null);
		if (dead) {
			throw new StackError(
				`${dead.name} exited (${dead.exited.signal ?? `code ${dead.exited.code}`}) while waiting for ${what}. Its output:\n${dead.tail()}`,
			);
		}
		try {
			if (await check()) return;
		} catch {
			// not answering yet
		}
		if (Date.now() > deadline) {
			const outputs = procs.map((proc) => `--- ${proc.name} ---\n${proc.tail(3000)}`).join('\n');
			throw new StackError(`not ready (${what}) after waiting. Output:\n${outputs}`);
		}
		await sleep(intervalMs);
	}
}

function which(command, hint) {
	for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', ...(process.env.PATH ?? '').split(path.delimiter)]) {
		const file = path.join(dir, command);
		if (dir && fs.existsSync(file)) return file;
	}
	throw new StackError(`${command} is not installed: ${hint}`);
}

/**
 * Runs a command to completion without blocking the event loop (Ctrl-C is handled at once); resolves
 * with its output, rejects on failure. A command still running when this process exits ends with it.
 */
function run(command, args, options = {}) {
	return new Promise((resolve, reject) => {
		const child = execFile(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120000, ...options }, (error, stdout, stderr) => {
			runningCommands.delete(child);
			if (error) reject(new StackError(`${path.basename(command)} ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`));
			else resolve(stdout);
		});
		runningCommands.add(child);
	});
}

const runningCommands = new Set();
process.on('exit', () => {
	for (const child of runningCommands) child.kill('SIGKILL');
});

module.exports = { StackError, sleep, http, portIsFree, freePort, freePortPair, startProcess, waitUntil, which, run };
