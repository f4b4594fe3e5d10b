import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort } from '../test/support/process.ts';
import { fileURLToPath } from 'node:url';

export const ROOT_DIR = fileURLToPath(new URL('..', import.meta.url));

/** USER_HZ: 100 on every Linux we run on (sysconf is not reachable from Node without a native module). */
const CLOCK_TICKS = 100;

export interface Server {
  child: ChildProcess;
  base: string;
  /** Resident set size now and at its peak (VmHWM), in MiB, from /proc. */
  memory(): { rssMiB: number; peakMiB: number } | null;
  /** CPU seconds the server process (all its threads) has used so far, from /proc. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** Builds dist/ once per bench run when it is stale, as `npm start` does (the bench measures what production runs). */
let built: Promise<void> | undefined;
function build(): Promise<void> {
  return (built ??= new Promise<void>((resolve, reject) => {
    const b = spawn(process.execPath, [join(ROOT_DIR, 'scripts/build-state.mjs'), '--ensure'], {
      cwd: ROOT_DIR,
      stdio: 'inherit',
    });
    b.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the build failed (${code})`))));
  }));
}

/** The arguments `npm start` gives node (package.json: `… && exec node <arguments>`): the bench runs the same. */
function startArguments(): string[] {
  const start = (JSON.parse(readFileSync(join(ROOT_DIR, 'package.json'), 'utf8')) as { scripts: { start: string } })
    .scripts.start;
  const m = /exec node (.+)$/.exec(start);
  if (!m) throw new Error(`package.json scripts.start does not end in "exec node <arguments>": ${start}`);
  return m[1].trim().split(/\s+/);
}

/**
 * Roster as its own process (`node … dist/main.js`, what `npm start` runs), so the server and
 * autocannon do not share an event loop. Rate limits are raised out of the way: the bench measures
 * throughput, not limits.
 */
export async function startServer(opts: {
  databaseUrl: string;
  rootKey: string;
  env?: Record<string, string>;
  cpuProfDir?: string;
}): Promise<Server> {
  await build();
  const port = await freePort();
  const args: string[] = [];
  if (opts.cpuProfDir) args.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`);
  args.push(...startArguments());
  const child = spawn(process.execPath, args, {
    cwd: ROOT_DIR,
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      ROSTER_RATE_LIMIT: '10000000',
      ROSTER_RATE_LIMIT_IP: '10000000',
      ...opts.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: opts.databaseUrl,
      ROSTER_ROOT_KEY: opts.rootKey,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return watchServer(child, `http://127.0.0.1:${port}`, 'roster');
}

/**
 * A server process we started: waits until its /health answers, then reads its memory and CPU from
 * /proc. Shared by Roster and the bare baseline (bare-process.ts), so both are measured the same way.
 */
export async function watchServer(child: ChildProcess, base: string, what: string): Promise<Server> {
  let out = '';
  child.stdout!.on('data', (d) => (out = (out + d).slice(-20_000)));
  child.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited early (${child.exitCode}): ${out}`);
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${what} did not become healthy: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    base,
    memory() {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
        return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
      } catch {
        return null;
      }
    },
    cpuSeconds() {
      try {
        // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
        const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
      } catch {
        return NaN;
      }
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(force);
    },
  };
}
