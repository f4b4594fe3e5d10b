import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { backends } from './support/backends.ts';
import { ROOT_KEY } from './support/harness.ts';
import { httpRequest, ROOT_DIR, spawnRoster, type Child } from './support/process.ts';

const children: Child[] = [];
afterAll(() => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
});

/** Resolves with how the process ended, or with 'still running' once `ms` have passed (the test then fails). */
const endOf = (c: Child, ms: number) =>
  Promise.race([c.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), ms))]);

describe.each(backends())('SIGTERM with a stdout nobody reads ($name)', (backend) => {
  it('keeps serving while its log pipe is full, and exits on SIGTERM', async () => {
    const db = await backend.fresh();
    try {
      const c = await spawnRoster({ DATABASE_URL: db.url, ROSTER_ROOT_KEY: ROOT_KEY, LOG_LEVEL: 'trace' });
      children.push(c);
      // The reader stops reading: the pipe's buffer (64 KiB on Linux) fills and stays full.
      c.child.stdout!.pause();
      const seen = c.output().length;
      // Heavy logging: each request logs two lines carrying its 4 KiB URL, ~6 MiB in all.
      const path = `/health?pad=${'x'.repeat(4096)}`;
      for (let round = 0; round < 8; round++) {
        const answers = await Promise.all(Array.from({ length: 100 }, () => httpRequest(c.base, 'GET', path)));
        expect(answers.map((a) => a.status)).toEqual(Array(100).fill(200));
      }
      expect(c.output().length - seen, 'the reader took the lines: the pipe never filled').toBeLessThan(1024 * 1024);
      c.child.kill('SIGTERM');
      const end = await endOf(c, 10_000);
      expect(end).not.toBe('still running');
      // A normal exit: the logger gave up on the unread lines within its bounded flush.
      expect(end).toEqual({ code: 0, signal: null });
    } finally {
      await db.drop();
    }
  }, 90_000);
});

describe('the shutdown watchdog', () => {
  it('kills a process whose main thread is stuck, where a main-thread timer never fires', async () => {
    const script = `
      const { startExitWatchdog } = await import('./src/shutdown.ts');
      setTimeout(() => process.exit(1), 100); // the main thread's own forced exit: never runs below
      startExitWatchdog(300);
      console.log('stuck');
      const lock = new Int32Array(new SharedArrayBuffer(4));
      for (;;) Atomics.wait(lock, 0, 0); // blocked as a synchronous log write retrying EAGAIN is
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT_DIR,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const end = await Promise.race([
      new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
        child.on('exit', (code, signal) => r({ code, signal })),
      ),
      new Promise<'still running'>((r) => setTimeout(() => r('still running'), 20_000)),
    ]);
    if (end === 'still running') child.kill('SIGKILL');
    expect(out).toContain('stuck');
    expect(end).toEqual({ code: null, signal: 'SIGKILL' });
  }, 30_000);
});
