import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, type Backend } from './support/backends.ts';
import { ROOT_DIR, runCli } from './support/process.ts';

// Every command of the `roster` CLI, spawned as an operator runs it (bin/roster.js → dist/), on each database.
// Each spawn loads the CLI (seconds on a loaded machine): the cases get generous time.
const SLOW = 300_000;

const CHEAP = { ROSTER_ARGON2_MEMORY_KIB: '1024', ROSTER_ARGON2_TIME: '1', ROSTER_ROOT_KEY: 'cli-root-key-0123456789' };

/** A user error: exit 1 and exactly one line on stderr, `roster: …`, no stack trace. */
function expectOneLineError(r: { code: number | null; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^roster: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'roster-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the CLI without a database', () => {
  it(
    '--version, and --help documents DATABASE_URL and the other settings it reads',
    async () => {
      const v = await runCli(['--version'], {});
      expect(v.code).toBe(0);
      expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
      const h = await runCli(['--help'], {});
      expect(h.code).toBe(0);
      for (const name of ['DATABASE_URL', 'ROSTER_ROOT_KEY', 'ROSTER_GENERATED_ROOT_KEY_FILE', '_FILE'])
        expect(h.stdout).toContain(name);
      for (const cmd of ['tenant', 'manager', 'user', 'import', 'export', 'root-key', 'migrate'])
        expect(h.stdout).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
    },
    SLOW,
  );

  it(
    'an unreachable or unusable database is one line naming DATABASE_URL (password hidden)',
    async () => {
      const pg = await runCli(['tenant', 'list'], { DATABASE_URL: 'postgres://roster:s3cret@127.0.0.1:1/roster' });
      expectOneLineError(
        pg,
        /cannot use the database \(DATABASE_URL=postgres:\/\/roster:\*\*\*@127\.0\.0\.1:1\/roster\)/,
      );
      expect(pg.stderr).not.toContain('s3cret');
      const notADb = join(dir, 'not-a-db');
      writeFileSync(notADb, 'this is not SQLite '.repeat(100));
      const sqlite = await runCli(['tenant', 'list'], { DATABASE_URL: `sqlite:${notADb}` });
      expectOneLineError(sqlite, /cannot use the database \(DATABASE_URL=sqlite:.*\): file is not a database/);
    },
    SLOW,
  );

  it(
    'bad flags and bad settings are one line',
    async () => {
      expectOneLineError(await runCli(['tenant', 'list', '--bogus'], {}), /unknown option '--bogus'/);
      expectOneLineError(await runCli(['user', 'list'], {}), /required option '--tenant <tenant>' not specified/);
      expectOneLineError(await runCli(['user', 'show', 'x', '--tenant', '1'], {}), /must be a positive integer/);
      expectOneLineError(await runCli(['tenant', 'list'], { DATABASE_URL: 'mysql://x' }), /DATABASE_URL/);
    },
    SLOW,
  );
});

describe.each(backends())('CLI commands ($name)', (backend: Backend) => {
  let db: { url: string; drop(): Promise<void> };
  let env: Record<string, string>;
  const cli = (args: string[], input?: string) => runCli(args, env, input);
  const ok = async (args: string[], input?: string) => {
    const r = await cli(args, input);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };
  const json = async (args: string[], input?: string) => JSON.parse((await ok([...args, '--json'], input)).stdout);

  beforeAll(async () => {
    db = await backend.fresh();
    env = { ...CHEAP, DATABASE_URL: db.url };
  });
  afterAll(() => db.drop());

  it(
    'tenant list|show|create|update|delete, by id or license code',
    async () => {
      const created = await json([
        'tenant',
        'create',
        '--name',
        'Acme',
        '--license',
        'acme',
        '--password-min-length',
        '10',
      ]);
      expect(created).toMatchObject({ name: 'Acme', licenseCode: 'acme', settings: { passwordMinLength: 10 } });
      const readable = await ok(['tenant', 'create', '--name', 'Beta Corp', '--license', 'beta']);
      expect(readable.stdout).toMatch(/^licenseCode\s+beta$/m);
      expect(readable.stdout).toMatch(/^name\s+Beta Corp$/m);

      const list = await json(['tenant', 'list']);
      expect(list.map((t: { licenseCode: string }) => t.licenseCode)).toEqual(['default', 'acme', 'beta']);
      const table = (await ok(['tenant', 'list'])).stdout.trim().split('\n');
      expect(table[0]).toMatch(/^id\s+name\s+licenseCode\s+publicSignup/);
      expect(table).toHaveLength(4);
      expect(table[3]).toMatch(/^\d+\s+Beta Corp\s+beta\s+true\s+8\s/);

      expect(await json(['tenant', 'show', 'acme'])).toEqual(created);
      expect(await json(['tenant', 'show', String(created.id)])).toEqual(created);
      const updated = await json(['tenant', 'update', 'acme', '--name', 'Acme Inc', '--public-signup', 'false']);
      expect(updated).toMatchObject({ id: created.id, name: 'Acme Inc', settings: { publicSignup: false } });
      const renamed = await json(['tenant', 'update', String(created.id), '--license', 'acme-2']);
      expect(renamed.licenseCode).toBe('acme-2');
      await ok(['tenant', 'update', 'acme-2', '--license', 'acme']);

      expectOneLineError(await cli(['tenant', 'update', 'acme']), /nothing to change/);
      expectOneLineError(await cli(['tenant', 'create', '--name', 'Again', '--license', 'acme']), /licenseCode "acme"/);
      expectOneLineError(await cli(['tenant', 'show', 'nope']), /tenant not found: .*"nope"/);
      expectOneLineError(await cli(['tenant', 'show', 'no/such']), /must be a tenant id or license code/);
      expectOneLineError(await cli(['tenant', 'delete', 'beta']), /add --yes to confirm/);
      await ok(['tenant', 'delete', 'beta', '--yes']);
      expectOneLineError(await cli(['tenant', 'show', 'beta']), /not found/);
    },
    SLOW,
  );

  it(
    'manager list|create|update|delete|rotate-key',
    async () => {
      await ok(['tenant', 'create', '--name', 'Gamma', '--license', 'gamma']);
      // Readable: the key alone on stdout, what it belongs to on stderr.
      const made = await ok([
        'manager',
        'create',
        '--tenant',
        'gamma',
        '--name',
        'Ann',
        '--email',
        'ann@g.test',
        '--role',
        'owner',
      ]);
      expect(made.stdout).toMatch(/^rk_\S+\n$/);
      expect(made.stderr).toMatch(/ann@g\.test, owner.*shown once/);
      const bob = await json([
        'manager',
        'create',
        '--tenant',
        'gamma',
        '--name',
        'Bob',
        '--email',
        'bob@g.test',
        '--role',
        'viewer',
      ]);
      expect(bob).toMatchObject({ name: 'Bob', role: 'viewer', apiKey: expect.stringMatching(/^rk_/) });

      const list = await json(['manager', 'list', '--tenant', 'gamma']);
      expect(list.map((m: { email: string }) => m.email)).toEqual(['ann@g.test', 'bob@g.test']);
      expect(JSON.stringify(list)).not.toMatch(/rk_|keyDigest/);
      expect((await ok(['manager', 'list', '--tenant', 'gamma'])).stdout).toMatch(
        /^\d+\s+Bob\s+bob@g\.test\s+viewer\s+false/m,
      );

      const promoted = await json(['manager', 'update', String(bob.id), '--role', 'admin', '--name', 'Robert']);
      expect(promoted).toMatchObject({ id: bob.id, role: 'admin', name: 'Robert' });
      const rotated = await json(['manager', 'rotate-key', String(bob.id), '--tenant', 'gamma']);
      expect(rotated.apiKey).toMatch(/^rk_/);
      expect(rotated.apiKey).not.toBe(bob.apiKey);

      const ann = list[0];
      expectOneLineError(await cli(['manager', 'delete', String(ann.id)]), /at least one owner/);
      expectOneLineError(
        await cli(['manager', 'rotate-key', String(bob.id), '--tenant', 'default']),
        /not a manager of tenant/,
      );
      expectOneLineError(await cli(['manager', 'update', String(bob.id)]), /nothing to change/);
      expectOneLineError(
        await cli(['manager', 'create', '--tenant', 'gamma', '--name', 'X', '--email', 'x@g.test', '--role', 'boss']),
        /must be one of viewer, editor, admin, owner/,
      );
      await ok(['manager', 'delete', String(bob.id), '--tenant', 'gamma']);
      expectOneLineError(await cli(['manager', 'delete', String(bob.id)]), /manager \d+ not found/);
      expect(await json(['manager', 'list', '--tenant', 'gamma'])).toHaveLength(1);
    },
    SLOW,
  );

  it(
    'user list|show|create|update|delete',
    async () => {
      const t = await json(['tenant', 'create', '--name', 'Delta', '--license', 'delta']);
      const ada = await json(
        [
          'user',
          'create',
          '--tenant',
          'delta',
          '--username',
          'ada',
          '--email',
          'ada@d.test',
          '--first-name',
          'Ada',
          '--active',
          'false',
          '--gender',
          'female',
          '--attr',
          'plan=gold',
          '--attr',
          'seats=3',
          '--password-stdin',
        ],
        'correct horse battery\n',
      );
      expect(ada).toMatchObject({
        tenantId: t.id,
        username: 'ada',
        firstName: 'Ada',
        active: false,
        gender: 'female',
        attributes: { plan: 'gold', seats: 3 },
        hasPassword: true,
      });
      expect(JSON.stringify(ada)).not.toMatch(/passwordHash|correct horse/);
      const bob = await json(['user', 'create', '--tenant', String(t.id), '--username', 'bob', '--last-name', 'Byron']);

      const shown = await json(['user', 'show', String(ada.id), '--tenant', 'delta']);
      expect(shown).toMatchObject({ id: ada.id, username: 'ada', groups: [] });
      expect((await ok(['user', 'show', String(ada.id), '--tenant', 'delta'])).stdout).toMatch(
        /^email\s+ada@d\.test$/m,
      );

      const page = await json(['user', 'list', '--tenant', 'delta', '--sort', '-username']);
      expect(page.items.map((u: { username: string }) => u.username)).toEqual(['bob', 'ada']);
      expect(page.nextCursor).toBeNull();
      const gold = await json(['user', 'list', '--tenant', 'delta', '--filter', 'attr.plan=gold']);
      expect(gold.items.map((u: { id: number }) => u.id)).toEqual([ada.id]);
      expect((await json(['user', 'list', '--tenant', 'delta', '--search', 'byron'])).items).toHaveLength(1);
      const first = await ok(['user', 'list', '--tenant', 'delta', '--limit', '1']);
      expect(first.stdout.trim().split('\n')).toHaveLength(2);
      expect(first.stdout).toMatch(/^id\s+username\s+email/);
      expect(first.stderr).toMatch(/^more: --cursor \S+$/m);

      const changed = await json([
        'user',
        'update',
        String(ada.id),
        '--tenant',
        'delta',
        '--last-name',
        'Lovelace',
        '--attr',
        'seats=null',
        '--attr',
        'tier=2',
        '--clear',
        'firstName',
      ]);
      expect(changed).toMatchObject({
        lastName: 'Lovelace',
        firstName: null,
        attributes: { plan: 'gold', tier: 2 },
        version: 2,
      });
      expectOneLineError(await cli(['user', 'update', String(ada.id), '--tenant', 'delta']), /nothing to change/);
      expectOneLineError(
        await cli(['user', 'create', '--tenant', 'delta', '--username', 'ada']),
        /a user with this username already exists/,
      );
      expectOneLineError(
        await cli(['user', 'create', '--tenant', 'delta', '--username', 'x', '--email', 'nope']),
        /email/,
      );
      expectOneLineError(await cli(['user', 'list', '--tenant', 'delta', '--filter', 'shoeSize=3']), /"shoeSize"/);
      expectOneLineError(
        await cli(['user', 'show', String(bob.id), '--tenant', 'gamma-none']),
        /tenant not found: .*"gamma-none"/,
      );
      // Another tenant's user is not found, not shown.
      expectOneLineError(await cli(['user', 'show', String(bob.id), '--tenant', 'default']), /user \d+ not found/);

      await ok(['user', 'delete', String(bob.id), '--tenant', 'delta']);
      expectOneLineError(await cli(['user', 'show', String(bob.id), '--tenant', 'delta']), /user \d+ not found/);
    },
    SLOW,
  );

  it(
    'import tells CSV from NDJSON (files and stdin), --format forces; export stops quietly on a closed pipe',
    async () => {
      await ok(['tenant', 'create', '--name', 'Echo', '--license', 'echo']);
      const csv = join(dir, `${backend.name}-users.txt`); // no telling extension: the content decides
      writeFileSync(csv, '\uFEFFusername,email,firstName\ncsv1,csv1@e.test,Cee\ncsv2,csv2@e.test,\n');
      const fromFile = await ok(['import', '--tenant', 'echo', csv]);
      expect(fromFile.stdout).toMatch(/of csv done: 2 rows, 2 created/);
      expect(fromFile.stderr).toBe(''); // not a terminal: no progress bar

      const fromStdinCsv = await ok(['import', '--tenant', 'echo', '-'], 'username,email\ncsv3,csv3@e.test\n');
      expect(fromStdinCsv.stdout).toMatch(/of csv done: 1 rows, 1 created/);

      const rows = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ username: `n${i}`, email: `n${i}@e.test` }));
      const fromStdin = await ok(['import', '--tenant', 'echo', '-'], `\n  ${rows.join('\n')}\n`);
      expect(fromStdin.stdout).toMatch(/of ndjson done: 3000 rows, 3000 created/);

      // Forced to the wrong format: every line is an error, nothing breaks.
      const forced = await cli(['import', '--tenant', 'echo', '--format', 'ndjson', '--dry-run', csv]);
      expect(forced.code).toBe(1);
      expect(forced.stdout).toMatch(/of ndjson done \(dry run\): 3 rows, 0 created.*3 failed/);

      expectOneLineError(
        await cli(['import', '--tenant', 'echo', join(dir, 'missing.ndjson')]),
        /missing\.ndjson: no such file/,
      );
      expectOneLineError(await cli(['import', '--tenant', 'echo', dir]), /not a file/);
      expectOneLineError(await cli(['import', '--tenant', 'nope', csv]), /tenant not found: .*"nope"/);
      expectOneLineError(
        await cli(['import', '--tenant', 'echo', '--mode', 'merge', csv]),
        /must be one of create, upsert/,
      );
      expectOneLineError(await cli(['export', '--tenant', '999']), /tenant not found: .*"999"/);

      // `roster export … | head -1`: the reader goes away after one line.
      const child = spawn(process.execPath, ['bin/roster.js', 'export', '--tenant', 'echo'], {
        cwd: ROOT_DIR,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      let firstLine = '';
      child.stdout.on('data', (d: Buffer) => {
        firstLine += d;
        if (firstLine.includes('\n')) child.stdout.destroy();
      });
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(JSON.parse(firstLine.split('\n')[0])).toMatchObject({ username: 'csv1' });
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    },
    SLOW,
  );
});
