import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT_DIR } from './support/process.ts';

/**
 * CI smoke of `npm run bench`: a tiny N and very short runs, checking only that every scenario
 * ran or said why it was skipped and that results were written. No timing assertion: CI machines
 * are shared and noisy, and speed is judged from BENCHMARKS.md runs, not here.
 */
const out = mkdtempSync(join(tmpdir(), 'roster-bench-smoke-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function runBench(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], {
      cwd: ROOT_DIR,
      // SQLite only, so the smoke does not depend on BENCH_DATABASE_URL being set in CI. Cheap argon2:
      // the 0.3 s sign-up window must see answers even while the other test fork keeps both cores
      // busy (hashing runs at nice 19; at OWASP's cost no sign-up finished in time then).
      env: { ...process.env, BENCH_DATABASE_URL: '', ROSTER_ARGON2_MEMORY_KIB: '1024', ROSTER_ARGON2_TIME: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('npm run bench (smoke)', () => {
  it('runs every scenario on a tiny database and writes its results', async () => {
    const { code, output } = await runBench([
      '--users',
      '300',
      '--duration',
      '0.3',
      '--connections',
      '2',
      '--db',
      'sqlite',
      '--out',
      out,
    ]);
    expect(code, output).toBe(0);
    const files = readdirSync(out).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    const report = JSON.parse(readFileSync(join(out, files[0]), 'utf8')) as {
      db: string;
      users: number;
      scenarios: { name: string; skipped?: string; total?: number }[];
      memory: { peakMiB?: number };
    };
    expect(report.db).toBe('sqlite');
    expect(report.users).toBe(300);
    const names = report.scenarios.map((s) => s.name);
    for (const name of [
      'health',
      'get-admin',
      'bare-get',
      'list-cursor',
      'create',
      'bare-create',
      'signup',
      'bare-hash',
    ])
      expect(names).toContain(name);
    for (const s of report.scenarios) {
      // Either it sent requests, or it says why it could not run (a dialect that is not there).
      if (s.skipped === undefined) expect(s.total, s.name).toBeGreaterThan(0);
      else expect(s.skipped, s.name).not.toMatch(/^failed/);
    }
    expect(output).toContain('| scenario |');
  }, 120_000);
});
