import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** A Roster server running as a real child process (`node --import tsx src/main.ts`). */
export interface Child {
  child: ChildProcess;
  base: string;
  port: number;
  /** Everything it wrote so far (stdout: pino JSON lines; stderr). */
  output(): string;
  /** Log lines (parsed pino JSON) so far. */
  logs(): Record<string, unknown>[];
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits until a log line satisfies the predicate. */
  waitForLog(pred: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts Roster with PORT=0 and reads the port it bound from its "Server listening at" log line.
 * Cheap argon2 unless the env says otherwise; LOG_LEVEL info so request lines can be waited on.
 * By default the sources through tsx; `command` runs something else (the compiled server, say).
 */
export async function spawnRoster(
  env: Record<string, string>,
  timeoutMs = 30_000,
  command: { cwd: string; args: string[] } = { cwd: ROOT_DIR, args: ['--import', 'tsx', 'src/main.ts'] },
): Promise<Child> {
  const child = spawn(process.execPath, command.args, {
    cwd: command.cwd,
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      ROSTER_ARGON2_MEMORY_KIB: '1024',
      ROSTER_ARGON2_TIME: '1',
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const parsed: Record<string, unknown>[] = [];
  let partial = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    out += d;
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const l of lines) {
      try {
        parsed.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        // not a log line (e.g. the root key banner)
      }
    }
    for (const w of waiters) w();
  });
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      for (const w of waiters) w();
      resolve({ code, signal });
    }),
  );

  const waitForLog: Child['waitForLog'] = (pred, ms = timeoutMs) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const hit = parsed.find(pred);
        if (hit) {
          cleanup();
          resolve(hit);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          cleanup();
          reject(
            new Error(
              `roster exited (${child.exitCode ?? child.signalCode}) before the awaited log line:\n${out.slice(-4000)}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for a log line:\n${out.slice(-4000)}`));
      }, ms);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const listening = await waitForLog(
    (l) => typeof l.msg === 'string' && l.msg.startsWith('Server listening at http://127.0.0.1:'),
  );
  const port = Number(/:(\d+)$/.exec(String(listening.msg))![1]);
  return { child, base: `http://127.0.0.1:${port}`, port, output: () => out, logs: () => parsed, exited, waitForLog };
}

/**
 * Runs a Roster command to its end: the server (`src/main.ts`, for start-ups that must fail) or the
 * `roster` CLI (`bin/roster.js`) with arguments. Answers the exit code and what it wrote.
 */
export async function runToExit(
  command: 'server' | 'cli',
  args: string[],
  env: Record<string, string>,
  cwd = ROOT_DIR,
  /** Written to its stdin (which is otherwise closed). */
  input?: string | Buffer,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const argv = command === 'server' ? ['--import', 'tsx', 'src/main.ts', ...args] : ['bin/roster.js', ...args];
  const child = spawn(process.execPath, argv, {
    cwd,
    env: { ...process.env, LOG_LEVEL: 'warn', ...(command === 'server' ? { PORT: '0' } : {}), ...env },
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (input !== undefined) child.stdin!.end(input);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}

/** The `roster` CLI with arguments, to its end. */
export const runCli = (args: string[], env: Record<string, string>, input?: string | Buffer) =>
  runToExit('cli', args, env, ROOT_DIR, input);

export interface HttpResult {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * One request on its own connection (no keep-alive pool), so that "the server accepted it" and
 * "the connection was refused" are clear-cut. Rejects with the socket error (ECONNREFUSED...).
 */
export function httpRequest(
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; headers?: Record<string, string>; onSent?: () => void } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = request(
      `${base}${path}`,
      {
        method,
        agent: false,
        headers: {
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }
            : {}),
          ...opts.headers,
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.on('finish', () => opts.onSent?.());
    req.end(payload);
  });
}

// ---- a private PostgreSQL cluster, for tests that stop and start the database server

export interface PgCluster {
  /** postgres://… of the `roster` database in this cluster. */
  url: string;
  port: number;
  start(): void;
  /** `fast`: the server disconnects clients and shuts down; `immediate`: like a crash. */
  stop(mode?: 'fast' | 'immediate'): void;
  destroy(): void;
}

/** The directory of initdb/pg_ctl, or null when PostgreSQL's server binaries are not installed. */
export function pgBinDir(): string | null {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length) return join(base, versions[0], 'bin');
  }
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    return existsSync(join(dir, 'initdb')) ? dir : null;
  } catch {
    return null;
  }
}

/**
 * A throwaway PostgreSQL cluster in a temp dir on a free port, never the shared one. PostgreSQL
 * refuses to run as root, so as root it runs as the `postgres` OS user.
 */
export async function createPgCluster(): Promise<PgCluster> {
  const bin = pgBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found');
  const dir = mkdtempSync(join(tmpdir(), 'roster-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const run = (cmd: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { stdio: 'pipe', cwd: dir })
      : execFileSync(join(bin, cmd), args, { stdio: 'pipe', cwd: dir });
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  let running = false;
  const cluster: PgCluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start() {
      const o = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
      run('pg_ctl', ['-D', data, '-o', o, '-l', join(dir, 'log'), '-w', '-t', '30', 'start']);
      running = true;
    },
    stop(mode = 'fast') {
      run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '30', 'stop']);
      running = false;
    },
    destroy() {
      try {
        if (running) cluster.stop('immediate');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  cluster.start();
  return cluster;
}
