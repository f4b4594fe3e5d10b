import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backends } from './support/backends.ts';
import { makeTenant, ROOT_KEY, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { PASSWORD, basic, expectSuccess, signUp } from './support/rest-users.ts';
import { ROOT_DIR, runCli } from './support/process.ts';

/** The CLI with stdin and stdout on files, as `roster … < in > out` in a shell. */
async function shell(args: string[], env: Record<string, string>, io: { stdin?: string; stdout?: string }) {
  const input = io.stdin ? openSync(io.stdin, 'r') : 'ignore';
  const output = io.stdout ? openSync(io.stdout, 'w') : 'pipe';
  try {
    const child = spawn(process.execPath, ['bin/roster.js', ...args], {
      cwd: ROOT_DIR,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: [input, output, 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    return { code, stdout, stderr };
  } finally {
    if (typeof input === 'number') closeSync(input);
    if (typeof output === 'number') closeSync(output);
  }
}

/** `roster backup` on one database, `roster restore` into a fresh one of each kind. */
describe.each(backends())('roster backup and restore ($name)', (backend) => {
  let src: TestApp;
  let acme: Fixture;
  let dir: string;
  let file: string;
  const env = (url: string) => ({ DATABASE_URL: url, ROSTER_ROOT_KEY: ROOT_KEY });
  beforeAll(async () => {
    src = await startTestApp(backend);
    acme = await makeTenant(src, 'Acme', 'acme');
    await signUp(src, 'alice', { tenant: 'acme' });
    dir = mkdtempSync(join(tmpdir(), 'roster-backup-cli-'));
    file = join(dir, 'acme.roster.ndjson.gz');
    const out = await runCli(['backup', '--tenant', 'acme', '--file', file, '--with-audit'], env(src.url));
    expect(out.code, out.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await src.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the backup to --file, readable by its owner only', () => {
    expect(readFileSync(file).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it.each(backends().map((b) => [b.name, b] as const))('restores it into a fresh %s database', async (_n, target) => {
    const dst = await startTestApp(target);
    try {
      const out = await runCli(['restore', '--file', file], env(dst.url));
      expect(out.code, out.stderr).toBe(0);
      const summary = JSON.parse(out.stdout);
      expect(summary).toMatchObject({ tenant: { licenseCode: 'acme' }, counts: { user: 1, manager: 4 } });
      const login = await dst.req({
        method: 'GET',
        url: '/rest/users/alice',
        key: null,
        headers: { 'x-roster-tenant': 'acme', authorization: basic('alice', PASSWORD) },
      });
      expect(expectSuccess(login).username).toBe('alice');
      const users = await dst.req({
        method: 'GET',
        url: `/admin/v1/tenants/${summary.tenant.id}/users`,
        key: acme.keys.owner,
      });
      expect(users.statusCode, users.body).toBe(200);
      // Again: the license code is taken, said in one line.
      const again = await runCli(['restore', '--file', file], env(dst.url));
      expect(again.code).toBe(1);
      expect(again.stderr.trim()).toMatch(/^roster: a tenant with license code "acme" already exists in this database/);
      expect(again.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await dst.close();
    }
  });

  it('writes to stdout and restores from stdin (> file, < file)', async () => {
    const piped = join(dir, 'piped.gz');
    const out = await shell(['backup', '--tenant', String(acme.tenantId)], env(src.url), { stdout: piped });
    expect(out.code, out.stderr).toBe(0);
    const dst = await startTestApp(backend);
    try {
      const r = await shell(['restore'], env(dst.url), { stdin: piped });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ tenant: { licenseCode: 'acme' }, counts: { user: 1 } });
    } finally {
      await dst.close();
    }
  });

  it('says what is wrong in one line: a missing file, a truncated one, an unknown tenant', async () => {
    const missing = await runCli(['restore', '--file', join(dir, 'nope.gz')], env(src.url));
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(`roster: ${join(dir, 'nope.gz')}: no such file`);
    const cut = join(dir, 'cut.gz');
    const whole = readFileSync(file);
    writeFileSync(cut, whole.subarray(0, whole.length - 20));
    const fresh = await startTestApp(backend);
    try {
      const truncated = await runCli(['restore', '--file', cut], env(fresh.url));
      expect(truncated.code).toBe(1);
      expect(truncated.stderr.trim()).toMatch(/^roster: the file is not a whole gzip stream .*truncated$/);
      // Nothing of it was written.
      const tenants = (await fresh.req({ method: 'GET', url: '/admin/v1/tenants' })).json().items;
      expect(tenants.map((x: { licenseCode: string }) => x.licenseCode)).toEqual(['default']);
    } finally {
      await fresh.close();
    }
    const unknown = await runCli(['backup', '--tenant', 'nobody', '--file', join(dir, 'x.gz')], env(src.url));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe('roster: no tenant has the id or license code "nobody"');
  });
});
