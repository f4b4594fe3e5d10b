import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backends } from './support/backends.ts';
import { makeTenant, ROOT_KEY, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { allUsers, importFile, ndjson } from './support/imports.ts';
import { runCli } from './support/process.ts';

/** Users with every field set in some way: nulls, unicode, commas, quotes, newlines, every attribute type. */
const SOURCE = [
  {
    externalId: 'ext-1',
    username: 'Ann',
    email: 'Ann@Example.com',
    firstName: 'Ann',
    middleName: 'Q',
    lastName: 'Lee, "Jr."',
    displayName: 'Ann\nLee',
    company: 'Acme',
    title: 'CTO',
    department: 'R&D',
    website: 'https://a.io',
    phoneHome: '+1 1',
    phoneOffice: '2',
    phoneMobile: '3',
    phoneTollFree: '4',
    phoneOther: '5',
    pager: '6',
    fax: '7',
    gender: 'female',
    active: false,
    verified: true,
    plan: 'gold',
    billingType: 'card',
    attributes: {
      n: 12,
      f: 1.5,
      b: false,
      s: 'text',
      numeric: '123',
      empty: '',
      quoted: '"q"',
      nested: { a: [1, 'x', null] },
      nil: null,
      comma: 'a,b',
    },
    password: 'ann-password-1',
    createdAt: '2019-05-06T07:08:09.010Z',
    lastLoginAt: '2020-01-01T00:00:00.000Z',
  },
  { username: 'bob', passwordHash: '$2b$04$m1BJoIHfw.aigkYJb5rmFuqN9bmwE08fIrAvIGfk0bo.D3vVpU/EW' },
  { email: 'only-mail@x.io', firstName: 'Zoë', lastName: 'Ünal', attributes: { tier: 'b' }, gender: 'other' },
  {
    externalId: 'ext-4',
    passwordHash: { algorithm: 'sha1', salt: 'pepper', hash: '71d4100afbfe3e8fc3de76406006f6ca87143c69' },
  },
];

const comparable = (u: Record<string, unknown>) => {
  const { id: _i, tenantId: _t, version: _v, ...rest } = u;
  return rest;
};

describe.each(backends())('export of users ($name)', (backend) => {
  let t: TestApp;
  let src: Fixture;
  let dir: string;
  beforeAll(async () => {
    t = await startTestApp(backend);
    src = await makeTenant(t, 'Source', 'source');
    dir = mkdtempSync(join(tmpdir(), 'roster-export-test-'));
    const job = await importFile(t, src.tenantId, ndjson(SOURCE));
    expect(job.errors).toEqual([]);
    // A later edit: version and updatedAt move on.
    const ann = (await allUsers(t, src.tenantId)).find((u) => u.username === 'Ann')!;
    expect(
      (
        await t.req({
          method: 'PATCH',
          url: `/admin/v1/tenants/${src.tenantId}/users/${ann.id}`,
          payload: { title: 'CEO' },
        })
      ).statusCode,
    ).toBe(200);
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const exportUrl = (tenantId: number, q = '') => `/admin/v1/tenants/${tenantId}/export${q}`;
  const hashesOf = async (tenantId: number) =>
    (
      await t.runtime.db.kysely
        .selectFrom('users')
        .select(['passwordHash'])
        .where('tenantId', '=', tenantId)
        .orderBy('id')
        .execute()
    ).map((r) => r.passwordHash);

  it('streams NDJSON to owners only; hashes only with withPasswordHashes=true', async () => {
    for (const role of ['admin', 'editor', 'viewer'] as const) {
      expect((await t.req({ method: 'GET', url: exportUrl(src.tenantId), key: src.keys[role] })).statusCode).toBe(403);
    }
    const other = await makeTenant(t, 'Other', 'other');
    expect((await t.req({ method: 'GET', url: exportUrl(src.tenantId), key: other.keys.owner })).statusCode).toBe(404);
    expect((await t.req({ method: 'GET', url: exportUrl(src.tenantId), key: null })).statusCode).toBe(401);
    expect((await t.req({ method: 'GET', url: exportUrl(src.tenantId, '?format=xml') })).statusCode).toBe(400);

    const r = await t.req({ method: 'GET', url: exportUrl(src.tenantId), key: src.keys.owner });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = r.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(SOURCE.length);
    expect(lines.every((l) => !('passwordHash' in l) && !('tenantId' in l))).toBe(true);
    expect(r.body).not.toContain('$2b$');
    expect(lines.map(comparable)).toEqual((await allUsers(t, src.tenantId)).map(comparable));

    const h = await t.req({
      method: 'GET',
      url: exportUrl(src.tenantId, '?withPasswordHashes=true'),
      key: src.keys.owner,
    });
    const withHashes = h.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(withHashes.map((l) => l.passwordHash)).toEqual(await hashesOf(src.tenantId));
    expect(withHashes[0].passwordHash).toMatch(/^\$argon2id\$/);
    expect(withHashes[3].passwordHash).toMatch(/^\$roster-salted\$sha1\$/);
  });

  it('round trip: export → import into an empty tenant reproduces every user field for field, and passwords', async () => {
    const body = (await t.req({ method: 'GET', url: exportUrl(src.tenantId, '?withPasswordHashes=true') })).body;
    const dst = await makeTenant(t, 'Copy', 'copy');
    const job = await importFile(t, dst.tenantId, body, { query: 'atomic=true' });
    expect(job).toMatchObject({ state: 'done', counts: { rows: SOURCE.length, created: SOURCE.length, failed: 0 } });
    const [a, b] = [await allUsers(t, src.tenantId), await allUsers(t, dst.tenantId)];
    expect(b.map(comparable)).toEqual(a.map(comparable));
    expect(await hashesOf(dst.tenantId)).toEqual(await hashesOf(src.tenantId));
    // Importing the export again in upsert mode changes nothing.
    const again = await importFile(t, dst.tenantId, body, { query: 'mode=upsert' });
    expect(again.counts).toMatchObject({ unchanged: SOURCE.length, created: 0, updated: 0, failed: 0 });
    // The copied (bcrypt) hash still signs in.
    const bob = b.find((u) => u.username === 'bob')!;
    expect(await t.runtime.services.users.login(dst.tenantId, bob.id as number, 'pw123456')).toBe(true);
  });

  it('pages through thousands of users by id (keyset), in order', async () => {
    const big = await makeTenant(t, 'Big', 'big');
    const rows = Array.from({ length: 2345 }, (_, i) => ({ username: `u${i}`, attributes: { i } }));
    expect((await importFile(t, big.tenantId, ndjson(rows))).counts.created).toBe(2345);
    const r = await t.req({ method: 'GET', url: exportUrl(big.tenantId) });
    const lines = r.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.attributes.i)).toEqual(rows.map((_, i) => i));
    const ids = lines.map((l) => l.id as number);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    const csv = await t.req({ method: 'GET', url: exportUrl(big.tenantId, '?format=csv') });
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.body.trimEnd().split('\r\n')).toHaveLength(2346);
  });

  it('CLI: export as CSV and NDJSON, import them into empty tenants; field for field', async () => {
    const env = {
      DATABASE_URL: t.url,
      ROSTER_ROOT_KEY: ROOT_KEY,
      ROSTER_ARGON2_MEMORY_KIB: '1024',
      ROSTER_ARGON2_TIME: '1',
    };
    const source = await allUsers(t, src.tenantId);
    for (const format of ['csv', 'ndjson'] as const) {
      const out = await runCli(
        ['export', '--tenant', String(src.tenantId), '--format', format, '--with-password-hashes'],
        env,
      );
      expect(out.code, out.stderr).toBe(0);
      const file = join(dir, `users.${format}`);
      writeFileSync(file, out.stdout);
      const dst = await makeTenant(t, `Cli ${format}`, `cli-${format}`);
      const imp = await runCli(['import', '--tenant', String(dst.tenantId), file, '--atomic'], env);
      expect(imp.code, imp.stdout + imp.stderr).toBe(0);
      expect(imp.stdout).toMatch(
        new RegExp(
          `done \\(atomic\\): ${SOURCE.length} rows, ${SOURCE.length} created, 0 updated, 0 unchanged, 0 failed`,
        ),
      );
      expect((await allUsers(t, dst.tenantId)).map(comparable)).toEqual(source.map(comparable));
      expect(await hashesOf(dst.tenantId)).toEqual(await hashesOf(src.tenantId));
    }
    // Per-row errors: listed by line, exit code 1; a missing tenant is one clear line.
    const bad = join(dir, 'bad.ndjson');
    writeFileSync(bad, ndjson([{ username: 'fine' }, { username: 'x', email: 'nope' }]));
    const b = await runCli(['import', '--tenant', String(src.tenantId), bad, '--dry-run'], env);
    expect(b.code).toBe(1);
    expect(b.stdout).toMatch(/dry run.*2 rows, 1 created, 0 updated, 0 unchanged, 1 failed/);
    expect(b.stdout).toMatch(/line 2: email "nope" is not a valid email address/);
    const missing = await runCli(['import', '--tenant', '999', bad], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/tenant not found/);
  }, 180_000); // seven CLI processes, each loading the code: over a minute on a loaded machine
});
