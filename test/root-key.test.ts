import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { deliverGeneratedRootKey } from '../src/root-key-output.ts';
import { backends } from './support/backends.ts';
import { runCli, spawnRoster, type Child } from './support/process.ts';

const started: Child[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const p of started) p.child.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'roster-key-'));
  dirs.push(d);
  return d;
}
const status = (base: string, key: string) =>
  fetch(`${base}/admin/v1/tenants`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);

describe('secret settings from files', () => {
  it('reads NAME_FILE without its trailing newline, refuses both at once, names an unreadable file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'key'), 'from-a-file-0123456789\n');
    writeFileSync(join(dir, 'db'), 'sqlite::memory:\n');
    writeFileSync(join(dir, 'redis'), 'redis://:pw@127.0.0.1:6379');
    const c = loadConfig({
      ROSTER_ROOT_KEY_FILE: join(dir, 'key'),
      DATABASE_URL_FILE: join(dir, 'db'),
      REDIS_URL_FILE: join(dir, 'redis'),
    });
    expect(c).toMatchObject({
      rootKey: 'from-a-file-0123456789',
      databaseUrl: 'sqlite::memory:',
      redisUrl: 'redis://:pw@127.0.0.1:6379',
    });
    expect(() => loadConfig({ ROSTER_ROOT_KEY: 'x'.repeat(20), ROSTER_ROOT_KEY_FILE: join(dir, 'key') })).toThrow(
      /ROSTER_ROOT_KEY and ROSTER_ROOT_KEY_FILE are both set/,
    );
    expect(() => loadConfig({ REDIS_URL_FILE: join(dir, 'missing') })).toThrow(ConfigError);
    expect(() => loadConfig({ REDIS_URL_FILE: join(dir, 'missing') })).toThrow(/REDIS_URL_FILE: cannot read .*ENOENT/);
    // A bad DATABASE_URL is named without what follows its scheme (it may hold a password).
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db/x' })).toThrow(/got "mysql:…"/);
  });

  it('a generated key goes to the terminal when stdout is one, else to a 0600 file', () => {
    const written: string[] = [];
    const tty = { isTTY: true, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    const file = join(tempDir(), 'sub', 'root-key');
    expect(deliverGeneratedRootKey('rk_root_abc', file, tty)).toEqual({ to: 'terminal' });
    expect(written.join('')).toContain('rk_root_abc');
    expect(existsSync(file)).toBe(false);
    const pipe = { isTTY: false, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    expect(deliverGeneratedRootKey('rk_root_def', file, pipe)).toEqual({ to: 'file', file });
    expect(readFileSync(file, 'utf8')).toBe('rk_root_def\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(written.join('')).not.toContain('rk_root_def');
  });
});

// Each test starts Roster processes (the sources load in seconds on a busy machine).
describe.each(backends())('the root key ($name)', { timeout: 120_000 }, (backend) => {
  it('generated on a new database: written to a 0600 file, the path logged, never the key; the key works', async () => {
    const db = await backend.fresh();
    const file = join(tempDir(), 'root-key');
    try {
      const env = { DATABASE_URL: db.url, ROSTER_GENERATED_ROOT_KEY_FILE: file };
      const a = await spawnRoster(env);
      started.push(a);
      const key = readFileSync(file, 'utf8').trim();
      expect(key).toMatch(/^rk_root_/);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(a.output()).not.toContain(key);
      expect(a.logs().some((l) => l.level === 40 && String(l.msg).includes(file))).toBe(true);
      expect(await status(a.base, key)).toBe(200);
      a.child.kill('SIGTERM');
      expect((await a.exited).code).toBe(0);

      // Once only: a second start on the same database generates nothing.
      rmSync(file);
      const b = await spawnRoster(env);
      started.push(b);
      expect(existsSync(file)).toBe(false);
      expect(await status(b.base, key)).toBe(200);
      b.child.kill('SIGTERM');
      await b.exited;
    } finally {
      await db.drop();
    }
  });

  it('ROSTER_ROOT_KEY_FILE sets it; `roster root-key rotate` then refuses in one line', async () => {
    const db = await backend.fresh();
    const file = join(tempDir(), 'configured');
    writeFileSync(file, 'file-root-key-0123456789\n', { mode: 0o600 });
    try {
      const env = { DATABASE_URL: db.url, ROSTER_ROOT_KEY_FILE: file };
      const a = await spawnRoster(env);
      started.push(a);
      expect(await status(a.base, 'file-root-key-0123456789')).toBe(200);
      const r = await runCli(['root-key', 'rotate'], env);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^roster: ROSTER_ROOT_KEY is set/)]);
      a.child.kill('SIGTERM');
      await a.exited;
    } finally {
      await db.drop();
    }
  });

  it('`roster root-key rotate` prints a new key that works at once in a running server; the old one stops', async () => {
    const db = await backend.fresh();
    const file = join(tempDir(), 'root-key');
    try {
      const env = { DATABASE_URL: db.url, ROSTER_GENERATED_ROOT_KEY_FILE: file };
      const a = await spawnRoster(env);
      started.push(a);
      const old = readFileSync(file, 'utf8').trim();
      expect(await status(a.base, old)).toBe(200);
      const r = await runCli(['root-key', 'rotate'], env);
      expect(r.code, r.stderr).toBe(0);
      const fresh = r.stdout.trim();
      expect(fresh).toMatch(/^rk_root_/);
      expect(fresh).not.toBe(old);
      // PostgreSQL: the notification reaches the server asynchronously; SQLite: at its next look-up.
      await expect.poll(() => status(a.base, old)).toBe(401);
      expect(await status(a.base, fresh)).toBe(200);
      a.child.kill('SIGTERM');
      await a.exited;
    } finally {
      await db.drop();
    }
  });
});
