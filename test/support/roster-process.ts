import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './process.ts';

export { freePort };

export const ROOT_DIR = fileURLToPath(new URL('../..', import.meta.url));

export interface RosterProcess {
  child: ChildProcess;
  port: number;
  base: string;
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** Starts `src/main.ts` as a real process (what `npm start` runs) and waits for /health. */
export async function startRoster(env: Record<string, string>, opts: { waitHealthy?: boolean } = {}): Promise<RosterProcess> {
  const port = Number(env.PORT ?? (await freePort()));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT_DIR,
    env: { ...process.env, LOG_LEVEL: 'warn', ROSTER_ARGON2_MEMORY_KIB: '1024', ROSTER_ARGON2_TIME: '1', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const p: RosterProcess = { child, port, base: `http://127.0.0.1:${port}`, output: () => out, exited };
  if (opts.waitHealthy === false) return p;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`roster exited early (${child.exitCode}): ${out}`);
    try {
      if ((await fetch(`${p.base}/health`)).ok) return p;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`roster did not become healthy: ${out}`);
}

/** Runs the `roster` CLI and answers its exit code and output. */
export async function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['bin/roster.js', ...args], { cwd: ROOT_DIR, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}
