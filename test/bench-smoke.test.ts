import { spawn, type ChildProcess } from 'node:child_process';
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
let bench: ChildProcess | undefined;
afterAll(() => {
  // A bench cut short (the test timed out) stops its servers on SIGTERM.
  if (bench && bench.exitCode === null) bench.kill('SIGTERM');
  rmSync(out, { recursive: true, force: true });
});

function runBench(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = (bench = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], {
      cwd: ROOT_DIR,
      // SQLite only, so the smoke does not depend on BENCH_DATABASE_URL being set in CI. Cheap argon2:
      // the 0.3 s sign-up window must see answers even while the other test fork keeps both cores
      // busy (hashing runs at nice 19; at OWASP's cost no sign-up finished in time then).
      env: { ...process.env, BENCH_DATABASE_URL: '', ROSTER_ARGON2_MEMORY_KIB: '1024', ROSTER_ARGON2_TIME: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }));
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('npm run bench (smoke)', () => {
  // Every comparison runs three loads (reference, scenario, reference): minutes on a loaded machine.
  it('runs every scenario on a tiny database, each comparison beside its reference, and writes its results', async () => {
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
      scenarios: {
        name: string;
        skipped?: string;
        total?: number;
        rps?: number;
        target?: { text: string };
        extra?: Record<string, unknown>;
        versus?: { runs: { rps: number }[]; ratio: number; range: [number, number] };
      }[];
      memory: { peakMiB?: number };
    };
    expect(report.db).toBe('sqlite');
    expect(report.users).toBe(300);
    const byName = new Map(report.scenarios.map((s) => [s.name, s]));
    const dialects = ['accounts', 'usr', 'scim', 'admin', 'usermost'];
    const compared = [
      ...dialects.flatMap((d) => [`get-${d}-hot`, `get-${d}-random`]),
      'scim-filter-username',
      'scim-filter-externalid',
      'scim-filter-email',
      'create',
      'signup',
    ];
    const paged = ['list-accounts', 'list-accounts-deep', 'list-accounts-deepest', 'list-cursor'];
    for (const name of ['health', ...compared, ...paged, 'get-during-signup', 'keys-verify'])
      expect([...byName.keys()]).toContain(name);
    for (const s of report.scenarios) {
      // Every dialect is served: every scenario sent requests and was judged against its target.
      expect(s.skipped, s.name).toBeUndefined();
      expect(s.total, s.name).toBeGreaterThan(0);
      if (s.name !== 'health') expect(s.target?.text, s.name).toBeTruthy();
    }
    // Each comparison ran its reference before and after it, and its ratio is to their mean.
    for (const name of compared) {
      const v = byName.get(name)!.versus!;
      expect(v.runs, name).toHaveLength(2);
      for (const run of v.runs) expect(run.rps, name).toBeGreaterThan(0);
      const mean = (v.runs[0].rps + v.runs[1].rps) / 2;
      expect(v.ratio, name).toBeCloseTo(byName.get(name)!.rps! / mean, 6);
      expect(v.range[0], name).toBeLessThanOrEqual(v.range[1]);
    }
    // The deepest page is the last page of the seeded list (300 users, 50 a page).
    expect(byName.get('list-accounts-deepest')!.extra).toMatchObject({ page: 6 });
    expect(output).toContain('| scenario |');
    // Every row of the table has as many cells as its header.
    const rows = output.split('\n').filter((l) => l.startsWith('| '));
    const cells = (l: string) => l.replace(/\\\|/g, '').split('|').length;
    for (const row of rows) expect(cells(row), row).toBe(cells(rows[0]));
  }, 400_000);
});
