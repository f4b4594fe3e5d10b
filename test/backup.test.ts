import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gunzipSync, gzipSync } from 'node:zlib';
import { backends, type Backend } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { allUsers, importFile, ndjson } from './support/imports.ts';
import { PASSWORD, basic, expectSuccess, signUp } from './support/rest-users.ts';
import { scimClient } from './scim-support.ts';
import { Store } from '../src/store/store.ts';

/** Two keys: the source's, and another one (a restore elsewhere cannot open the source's sealed secrets). */
const SECRET_KEY = 'backup-test-secret-key-0123456789abcdef';
const OTHER_SECRET_KEY = 'another-secret-key-0123456789abcdef-xyz';
const BULK_USERS = 300;
const CONSOLE_PASSWORD = 'owner console password';

interface Source {
  t: TestApp;
  acme: Fixture;
  appKey: string;
  groupId: string;
  webhookId: number;
}

/** A tenant with something of everything: settings, managers (one with a console password), users, groups, keys, a webhook. */
async function makeSource(backend: Backend): Promise<Source> {
  const t = await startTestApp(backend, { webhooks: { secretKey: SECRET_KEY } });
  const acme = await makeTenant(t, 'Acme', 'acme');
  const patch = await t.req({
    method: 'PATCH',
    url: `/admin/v1/tenants/${acme.tenantId}`,
    payload: { settings: { passwordMinLength: 10 } },
  });
  expect(patch.statusCode, patch.body).toBe(200);
  const managers = (
    await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/managers`, key: acme.keys.owner })
  ).json().items as { id: number; role: string }[];
  const owner = managers.find((m) => m.role === 'owner')!;
  const pw = await t.req({
    method: 'PUT',
    url: `/admin/v1/managers/${owner.id}/password`,
    key: acme.keys.owner,
    payload: { password: CONSOLE_PASSWORD },
  });
  expect(pw.statusCode, pw.body).toBe(200);
  const h = { 'x-roster-tenant': 'acme' };
  await signUp(t, 'alice', { tenant: 'acme', password: PASSWORD });
  await signUp(t, 'bob', { tenant: 'acme', password: 'bob password 123' });
  const key = expectSuccess(
    await t.req({
      method: 'POST',
      url: '/rest/users/alice/keys',
      key: null,
      headers: { ...h, authorization: basic('alice', PASSWORD) },
      payload: { name: 'ci' },
    }),
    201,
  );
  const rows = Array.from({ length: BULK_USERS }, (_, i) => ({
    username: `bulk${i}`,
    email: `bulk${i}@example.com`,
    firstName: i % 7 === 0 ? null : `First ${i}`,
    attributes: { n: i, tier: i % 2 ? 'gold' : 'free' },
  }));
  const job = await importFile(t, acme.tenantId, ndjson(rows));
  expect(job.errors).toEqual([]);
  const users = await allUsers(t, acme.tenantId);
  const alice = users.find((u) => u.username === 'alice')!;
  const bulk = users.filter((u) => String(u.username).startsWith('bulk')).slice(0, 5);
  const scim = scimClient(t, acme.keys.admin);
  const g = await scim.post('/Groups', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
    displayName: 'Admins',
    members: [alice, ...bulk].map((u) => ({ value: String(u.id) })),
  });
  expect(g.statusCode, g.body).toBe(201);
  const w = await t.req({
    method: 'POST',
    url: `/admin/v1/tenants/${acme.tenantId}/webhooks`,
    key: acme.keys.admin,
    payload: { url: 'https://hooks.example.com/roster', events: ['user.*'], description: 'CRM' },
  });
  expect(w.statusCode, w.body).toBe(201);
  return { t, acme, appKey: key.key, groupId: g.json().id, webhookId: w.json().id };
}

const backupOf = async (t: TestApp, tenantId: number, query = '', key?: string) =>
  t.req({ method: 'GET', url: `/admin/v1/tenants/${tenantId}/backup${query}`, ...(key ? { key } : {}) });

const restoreInto = (t: TestApp, file: Buffer, query = '', key?: string, type = 'application/gzip') =>
  t.req({
    method: 'POST',
    url: `/admin/v1/tenants/restore${query}`,
    headers: { 'content-type': type },
    payload: file,
    ...(key ? { key } : {}),
  });

const linesOf = (gz: Buffer) =>
  gunzipSync(gz)
    .toString('utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const tenantCount = async (t: TestApp) =>
  ((await t.req({ method: 'GET', url: '/admin/v1/tenants?limit=1000' })).json().items as unknown[]).length;

const comparable = (u: Record<string, unknown>) => {
  const { id: _i, tenantId: _t, ...rest } = u;
  return rest;
};

describe.each(backends())('backup of a tenant ($name)', (backend) => {
  let src: Source;
  let file: Buffer;
  beforeAll(async () => {
    src = await makeSource(backend);
    const r = await backupOf(src.t, src.acme.tenantId, '?withAudit=true');
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['content-type']).toBe('application/gzip');
    expect(r.headers['content-disposition']).toBe('attachment; filename="acme.roster.ndjson.gz"');
    file = r.rawPayload;
  }, 60_000);
  afterAll(() => src.t.close());

  it('holds a versioned header, every section in order, and secrets only as stored', () => {
    const lines = linesOf(file);
    expect(lines[0]).toMatchObject({
      type: 'roster-backup',
      format: 1,
      database: backend.name,
      tenant: { id: src.acme.tenantId, licenseCode: 'acme' },
      withAudit: true,
    });
    expect(String(lines[0].rosterVersion)).toMatch(/^\d+\.\d+\.\d+/);
    expect(lines[1]).toMatchObject({ type: 'tenant', licenseCode: 'acme', settings: { passwordMinLength: 10 } });
    const types = lines.map((l) => l.type);
    expect(types.filter((x) => x === 'user')).toHaveLength(BULK_USERS + 2);
    expect(types.filter((x) => x === 'manager')).toHaveLength(4);
    expect(types.filter((x) => x === 'member')).toHaveLength(6);
    expect(types.filter((x) => x === 'appKey')).toHaveLength(1);
    expect(types.filter((x) => x === 'webhook')).toHaveLength(1);
    expect(types.filter((x) => x === 'audit').length).toBeGreaterThan(5);
    expect(lines[lines.length - 1]).toMatchObject({ type: 'end', counts: { user: BULK_USERS + 2, manager: 4 } });
    const text = gunzipSync(file).toString('utf8');
    // Never a plain secret: no API key, app key, password or webhook secret.
    for (const secret of [...Object.values(src.acme.keys), src.appKey, PASSWORD, CONSOLE_PASSWORD, 'whsec_'])
      expect(text).not.toContain(secret);
    const alice = lines.find((l) => l.type === 'user' && l.username === 'alice')!;
    expect(String(alice.passwordHash)).toMatch(/^\$argon2id\$/);
    expect(String(lines.find((l) => l.type === 'webhook')!.secret)).toMatch(/^enc:v1:/);
    expect(String(lines.find((l) => l.type === 'manager')!.keyDigest)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads one snapshot while writes go on: a write made meanwhile is not in it', async () => {
    const store = Store.of(src.t.runtime.db);
    const snapshot = await store.openBackup();
    try {
      expect(await snapshot.tenant(src.acme.tenantId)).toMatchObject({ licenseCode: 'acme' });
      // Not blocked by the open snapshot (it holds no write lock), and committed before the users are read.
      await signUp(src.t, 'latecomer', { tenant: 'acme' });
      const users = await snapshot.users(src.acme.tenantId, 0, 1000);
      expect(users).toHaveLength(BULK_USERS + 2);
      expect(users.some((u) => u.username === 'latecomer')).toBe(false);
    } finally {
      await snapshot.end();
    }
    const again = linesOf((await backupOf(src.t, src.acme.tenantId)).rawPayload);
    expect(again.some((l) => l.username === 'latecomer')).toBe(true);
  });

  it('answers to owners of the tenant and root only', async () => {
    expect((await backupOf(src.t, src.acme.tenantId, '', src.acme.keys.owner)).statusCode).toBe(200);
    for (const role of ['admin', 'editor', 'viewer'] as const) {
      const r = await backupOf(src.t, src.acme.tenantId, '', src.acme.keys[role]);
      expect(r.statusCode, role).toBe(403);
    }
    const other = await makeTenant(src.t, 'Other', 'other');
    expect((await backupOf(src.t, src.acme.tenantId, '', other.keys.owner)).statusCode).toBe(404);
    expect((await backupOf(src.t, 999_999)).statusCode).toBe(404);
    const anon = await src.t.req({ method: 'GET', url: `/admin/v1/tenants/${src.acme.tenantId}/backup`, key: null });
    expect(anon.statusCode).toBe(401);
    // Restoring creates a tenant: root only.
    expect((await restoreInto(src.t, file, '?as=by-owner', src.acme.keys.owner)).statusCode).toBe(403);
    expect((await restoreInto(src.t, file, '?as=by-owner', other.keys.owner)).statusCode).toBe(403);
  });

  describe.each(backends())('restored into a fresh $name database', (target) => {
    let dst: TestApp;
    let restored: {
      tenant: { id: number; licenseCode: string };
      counts: Record<string, number>;
      webhooksDisabled: number;
    };
    beforeAll(async () => {
      dst = await startTestApp(target, { webhooks: { secretKey: SECRET_KEY } });
      const r = await restoreInto(dst, file);
      expect(r.statusCode, r.body).toBe(201);
      restored = r.json();
    }, 60_000);
    afterAll(() => dst.close());

    it('gives back every user, and their old passwords work', async () => {
      expect(restored.tenant.licenseCode).toBe('acme');
      expect(restored.counts).toMatchObject({ user: BULK_USERS + 2, manager: 4, group: 1, member: 6, appKey: 1 });
      const before = (await allUsers(src.t, src.acme.tenantId)).filter((u) => u.username !== 'latecomer');
      const after = await allUsers(dst, restored.tenant.id);
      expect(after.map(comparable)).toEqual(before.map(comparable));
      const h = { 'x-roster-tenant': 'acme' };
      const login = await dst.req({
        method: 'GET',
        url: '/rest/users/alice',
        key: null,
        headers: { ...h, authorization: basic('alice', PASSWORD) },
      });
      expect(expectSuccess(login).username).toBe('alice');
      const wrong = await dst.req({
        method: 'GET',
        url: '/rest/users/bob',
        key: null,
        headers: { ...h, authorization: basic('bob', 'not the password') },
      });
      expect(wrong.statusCode).toBe(401);
      const settings = (await dst.req({ method: 'GET', url: `/admin/v1/tenants/${restored.tenant.id}` })).json();
      expect(settings.settings.passwordMinLength).toBe(10);
    });

    it("keeps every manager's key and role, the application key and the groups", async () => {
      const id = restored.tenant.id;
      const list = await dst.req({
        method: 'GET',
        url: `/admin/v1/tenants/${id}/users?limit=1`,
        key: src.acme.keys.viewer,
      });
      expect(list.statusCode, list.body).toBe(200);
      const denied = await dst.req({
        method: 'DELETE',
        url: `/admin/v1/tenants/${id}/users/1`,
        key: src.acme.keys.viewer,
      });
      expect(denied.statusCode).toBe(403);
      const managers = await dst.req({
        method: 'GET',
        url: `/admin/v1/tenants/${id}/managers`,
        key: src.acme.keys.owner,
      });
      expect(managers.statusCode, managers.body).toBe(200);
      expect(
        managers
          .json()
          .items.map((m: { role: string }) => m.role)
          .sort(),
      ).toEqual(['admin', 'editor', 'owner', 'viewer']);
      const v = await dst.req({
        method: 'POST',
        url: '/rest/keys/verify',
        key: null,
        headers: { 'x-roster-tenant': 'acme' },
        payload: { key: src.appKey },
      });
      expect(expectSuccess(v)).toMatchObject({ valid: true, username: 'alice' });
      const groups = await scimClient(dst, src.acme.keys.admin).get('/Groups');
      expect(groups.statusCode, groups.body).toBe(200);
      const [g] = groups.json().Resources;
      expect(g.displayName).toBe('Admins');
      const names = new Set(
        (await allUsers(dst, id))
          .filter((u) => g.members.some((m: { value: string }) => m.value === String(u.id)))
          .map((u) => u.username),
      );
      expect(names).toEqual(new Set(['alice', 'bulk0', 'bulk1', 'bulk2', 'bulk3', 'bulk4']));
    });

    it("keeps a manager's console password", async () => {
      const r = await dst.req({
        method: 'POST',
        url: '/admin/v1/session',
        key: null,
        payload: { email: 'owner@acme.test', password: CONSOLE_PASSWORD, licenseCode: 'acme' },
      });
      expect(r.statusCode, r.body).toBe(200);
    });

    it('keeps the audit trail with references to the new ids, and records the restore', async () => {
      const id = restored.tenant.id;
      const events = (await dst.req({ method: 'GET', url: `/admin/v1/tenants/${id}/audit?limit=1000` })).json().items;
      expect(events[0]).toMatchObject({ action: 'tenant.restore', actor: 'root', target: `tenant:${id}` });
      const alice = (await allUsers(dst, id)).find((u) => u.username === 'alice')!;
      expect(
        events.some(
          (e: { action: string; target: string }) => e.action === 'user.create' && e.target === `user:${alice.id}`,
        ),
      ).toBe(true);
    });

    it('keeps a webhook secret sealed under the same ROSTER_SECRET_KEY', async () => {
      expect(restored.webhooksDisabled).toBe(0);
      const hooks = await dst.req({ method: 'GET', url: `/admin/v1/tenants/${restored.tenant.id}/webhooks` });
      expect(hooks.json().items).toMatchObject([{ url: 'https://hooks.example.com/roster', active: true }]);
    });

    it('refuses a license code that exists, and restores a copy under another without touching the first', async () => {
      const again = await restoreInto(dst, file);
      expect(again.statusCode).toBe(409);
      expect(again.json().error.code).toBe('tenant.license_code_taken');
      // A copy in the same database: the managers' key digests are taken, so it is refused whole.
      const count = await tenantCount(dst);
      const copy = await restoreInto(dst, file, '?as=acme-copy');
      expect(copy.statusCode, copy.body).toBe(409);
      expect(copy.json().error).toMatchObject({ code: 'restore.conflict' });
      expect(copy.json().error.message).toMatch(/^line \d+: a manager's API key is already in use/);
      expect(await tenantCount(dst)).toBe(count);
    });
  });

  it('restores under another ROSTER_SECRET_KEY with the webhook switched off, saying why', async () => {
    const dst = await startTestApp(backend, { webhooks: { secretKey: OTHER_SECRET_KEY } });
    try {
      const r = await restoreInto(dst, file);
      expect(r.statusCode, r.body).toBe(201);
      expect(r.json().webhooksDisabled).toBe(1);
      const hooks = await dst.req({ method: 'GET', url: `/admin/v1/tenants/${r.json().tenant.id}/webhooks` });
      expect(hooks.json().items[0]).toMatchObject({
        active: false,
        disabledReason: expect.stringMatching(/rotate the secret/),
      });
    } finally {
      await dst.close();
    }
  });

  describe('a bad file writes nothing and names its problem', () => {
    let dst: TestApp;
    beforeAll(async () => {
      dst = await startTestApp(backend);
    });
    afterAll(() => dst.close());

    const text = () => gunzipSync(file).toString('utf8');
    const refused = async (body: Buffer, status: number, message: RegExp, type?: string) => {
      const before = await tenantCount(dst);
      const r = await restoreInto(dst, body, '', undefined, type);
      expect(r.statusCode, r.body).toBe(status);
      expect(r.json().error.message).toMatch(message);
      expect(await tenantCount(dst)).toBe(before);
      expect((await dst.req({ method: 'GET', url: '/admin/v1/tenants?limit=1000' })).body).not.toContain('"acme"');
    };

    it('truncated gzip', async () => {
      await refused(file.subarray(0, Math.floor(file.length * 0.7)), 400, /not a whole gzip stream.*truncated/);
    });

    it('damaged bytes', async () => {
      const bad = Buffer.from(file);
      for (let i = 200; i < 260; i++) bad[i] ^= 0xff;
      await refused(bad, 400, /gzip|line \d+/);
    });

    it('cut at a line boundary: no end record', async () => {
      const lines = text().split('\n');
      await refused(gzipSync(lines.slice(0, 200).join('\n') + '\n'), 400, /ends after line 200 without its end record/);
    });

    it('a broken line, by its number', async () => {
      const lines = text().split('\n');
      lines[150] = '{"type":"user", not json';
      await refused(gzipSync(lines.join('\n')), 400, /^line 151: is not valid JSON/);
    });

    it('a record that does not fit its schema', async () => {
      const lines = text().split('\n');
      const i = lines.findIndex((l) => l.includes('"type":"user"'));
      lines[i] = lines[i].replace(/"passwordHash":/, '"passwordHash":12,"x":');
      await refused(gzipSync(lines.join('\n')), 400, new RegExp(`^line ${i + 1}: user record`));
    });

    it('sections out of order', async () => {
      const lines = text().split('\n');
      const m = lines.findIndex((l) => l.includes('"type":"manager"'));
      const moved = lines.splice(m, 1)[0];
      lines.splice(lines.length - 3, 0, moved);
      await refused(gzipSync(lines.join('\n')), 400, /a manager record after the/);
    });

    it('counts that do not match the end record', async () => {
      const lines = text().split('\n');
      const i = lines.findIndex((l) => l.includes('"type":"member"'));
      lines.splice(i, 1);
      await refused(gzipSync(lines.join('\n')), 400, /the end record counts 6 member records, the file holds 5/);
    });

    it('a member naming a user the backup does not hold', async () => {
      const lines = text().split('\n');
      const i = lines.findIndex((l) => l.includes('"type":"member"'));
      lines[i] = lines[i].replace(/"userId":\d+/, '"userId":987654321');
      await refused(
        gzipSync(lines.join('\n')),
        400,
        new RegExp(`^line ${i + 1}: user 987654321 is not in this backup`),
      );
    });

    it('a body that is not a file', async () => {
      const r = await restoreInto(dst, Buffer.from('{}'), '', undefined, 'application/json');
      expect(r.statusCode).toBe(415);
    });

    it('not a backup at all', async () => {
      await refused(Buffer.from('{"username":"ann"}\n'), 400, /not a Roster backup/, 'application/x-ndjson');
      await refused(Buffer.alloc(0), 400, /empty/);
    });

    it('an uncompressed backup restores as well', async () => {
      const r = await restoreInto(dst, Buffer.from(text()), '?as=plain', undefined, 'application/x-ndjson');
      expect(r.statusCode, r.body).toBe(201);
      expect(r.json().tenant.licenseCode).toBe('plain');
    });
  });
});
