import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, ROOT_KEY, type Fixture, type TestApp } from './support/harness.ts';

interface Ev {
  id: number;
  tenantId: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  changes: Record<string, { before: unknown; after: unknown }>;
}

describe.each(backends())('audit trail ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let other: Fixture;
  let managerIds: Record<string, number>;
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    other = await makeTenant(t, 'Other', 'other');
    const ms = (await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/managers` })).json().items as {
      id: number;
      role: string;
    }[];
    managerIds = Object.fromEntries(ms.map((m) => [m.role, m.id]));
  });
  afterAll(() => t.close());

  const users = (id: number) => `/admin/v1/tenants/${id}/users`;
  const audit = async (
    tenantId: number,
    query = '',
    key: string = ROOT_KEY,
  ): Promise<{ items: Ev[]; nextCursor: string | null }> => {
    const r = await t.req({ method: 'GET', url: `/admin/v1/tenants/${tenantId}/audit${query}`, key });
    expect(r.statusCode, r.body).toBe(200);
    return r.json();
  };

  it('records user create, patch, replace and delete with actor, target and before/after', async () => {
    const c = await t.req({
      method: 'POST',
      url: users(acme.tenantId),
      key: acme.keys.editor,
      payload: { username: 'ann', email: 'ann@x.io', company: 'Acme', password: 'first-secret-pw' },
    });
    expect(c.statusCode).toBe(201);
    const id = c.json().id as number;
    await t.req({
      method: 'PATCH',
      url: `${users(acme.tenantId)}/${id}`,
      key: acme.keys.editor,
      payload: { title: 'CTO', password: 'second-secret-pw' },
    });
    await t.req({
      method: 'PUT',
      url: `${users(acme.tenantId)}/${id}`,
      key: acme.keys.owner,
      payload: { username: 'ann', email: 'ann@x.io' },
    });
    expect(
      (await t.req({ method: 'DELETE', url: `${users(acme.tenantId)}/${id}`, key: acme.keys.admin })).statusCode,
    ).toBe(204);

    const { items } = await audit(acme.tenantId, `?target=user:${id}`);
    expect(items.map((e) => e.action)).toEqual(['user.delete', 'user.update', 'user.update', 'user.create']);
    const [del, put, patch, create] = items;
    expect(create).toMatchObject({
      tenantId: acme.tenantId,
      actor: `manager:${managerIds.editor}`,
      target: `user:${id}`,
    });
    expect(create.changes).toMatchObject({
      username: { before: null, after: 'ann' },
      company: { before: null, after: 'Acme' },
      password: { before: null, after: '[redacted]' },
    });
    expect(patch.actor).toBe(`manager:${managerIds.editor}`);
    expect(patch.changes).toEqual({
      title: { before: null, after: 'CTO' },
      password: { before: '[redacted]', after: '[redacted]' },
    });
    expect(put.actor).toBe(`manager:${managerIds.owner}`);
    // PUT clears what was not sent; the password stays (not part of the change)
    expect(put.changes).toEqual({ company: { before: 'Acme', after: null }, title: { before: 'CTO', after: null } });
    expect(del.actor).toBe(`manager:${managerIds.admin}`);
    expect(del.changes).toMatchObject({
      username: { before: 'ann', after: null },
      email: { before: 'ann@x.io', after: null },
      password: { before: '[redacted]', after: null },
    });
    expect(Date.parse(create.at)).toBeLessThanOrEqual(Date.parse(del.at));
    const all = JSON.stringify(items);
    expect(all).not.toContain('first-secret-pw');
    expect(all).not.toContain('second-secret-pw');
    expect(all).not.toMatch(/\$argon2/);
  });

  it('records a create with every field the created user has, as it reads back; a refused create records nothing', async () => {
    // On PostgreSQL the event is written in the same statement as the user, from the values before the row exists.
    const payload = {
      username: 'Full.Name',
      email: 'Full@X.io',
      externalId: 'ext-full',
      firstName: 'Fu',
      lastName: 'Ll',
      company: 'Acme',
      title: 'Dr',
      gender: 'female',
      active: false,
      verified: true,
      plan: 'pro',
      attributes: { zeta: 1, alpha: { nested: [1, 'x', null] }, mixedCase: true },
    };
    const c = await t.req({ method: 'POST', url: users(acme.tenantId), key: acme.keys.editor, payload });
    expect(c.statusCode, c.body).toBe(201);
    const user = c.json();
    const { items } = await audit(acme.tenantId, `?target=user:${user.id}`);
    expect(items).toHaveLength(1);
    const [ev] = items;
    expect(ev).toMatchObject({
      tenantId: acme.tenantId,
      actor: `manager:${managerIds.editor}`,
      action: 'user.create',
      target: `user:${user.id}`,
    });
    const audited = [
      'externalId',
      'username',
      'email',
      'firstName',
      'middleName',
      'lastName',
      'displayName',
      'company',
      'title',
      'department',
      'website',
      'phoneHome',
      'phoneOffice',
      'phoneMobile',
      'phoneTollFree',
      'phoneOther',
      'pager',
      'fax',
      'gender',
      'active',
      'verified',
      'plan',
      'billingType',
      'attributes',
      'directory',
    ];
    const read = (
      await t.req({ method: 'GET', url: `${users(acme.tenantId)}/${user.id}`, key: acme.keys.editor })
    ).json();
    // Exactly the fields the user has (not null), each with the value a read of the user shows.
    expect(Object.keys(ev.changes).sort()).toEqual(
      audited.filter((f) => read[f] !== null && read[f] !== undefined).sort(),
    );
    for (const [field, change] of Object.entries(ev.changes))
      expect(change, field).toEqual({ before: null, after: read[field] });
    expect(ev.changes.active.after).toBe(false);
    expect(ev.changes.billingType.after).toBe('invoice');

    // A create refused by a unique index writes neither the user nor an event.
    const before = (await audit(acme.tenantId, '?action=user.create&limit=1000')).items.length;
    const dup = await t.req({
      method: 'POST',
      url: users(acme.tenantId),
      key: acme.keys.editor,
      payload: { username: 'full.name', email: 'other@x.io' },
    });
    expect(dup.statusCode).toBe(409);
    expect((await audit(acme.tenantId, '?action=user.create&limit=1000')).items.length).toBe(before);
  });

  it('records tenant and manager changes and key rotations without any key', async () => {
    const tn = await t.req({
      method: 'POST',
      url: '/admin/v1/tenants',
      payload: { name: 'Temp', licenseCode: 'temp' },
    });
    const tid = tn.json().id as number;
    await t.req({
      method: 'PATCH',
      url: `/admin/v1/tenants/${tid}`,
      payload: { name: 'Temp 2', settings: { passwordMinLength: 12 } },
    });
    const m = await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${tid}/managers`,
      payload: { name: 'Mo', email: 'mo@temp.test', role: 'editor' },
    });
    const mid = m.json().id as number;
    const firstKey = m.json().apiKey as string;
    await t.req({ method: 'PATCH', url: `/admin/v1/managers/${mid}`, payload: { role: 'admin' } });
    const rot = await t.req({ method: 'POST', url: `/admin/v1/managers/${mid}/key` });
    const secondKey = rot.json().apiKey as string;
    // the manager (now admin) reads its own tenant's trail
    const seen = await audit(tid, '', secondKey);
    expect(seen.items.map((e) => [e.action, e.target, e.actor])).toEqual([
      ['manager.key_rotate', `manager:${mid}`, 'root'],
      ['manager.update', `manager:${mid}`, 'root'],
      ['manager.create', `manager:${mid}`, 'root'],
      ['tenant.update', `tenant:${tid}`, 'root'],
      ['tenant.create', `tenant:${tid}`, 'root'],
    ]);
    expect(seen.items[0].changes).toEqual({ apiKey: { before: '[redacted]', after: '[redacted]' } });
    expect(seen.items[1].changes).toEqual({ role: { before: 'editor', after: 'admin' } });
    expect(seen.items[2].changes).toMatchObject({
      name: { before: null, after: 'Mo' },
      role: { before: null, after: 'editor' },
      apiKey: { before: null, after: '[redacted]' },
    });
    expect(seen.items[3].changes).toEqual({
      name: { before: 'Temp', after: 'Temp 2' },
      settings: {
        before: { publicSignup: true, passwordMinLength: 8 },
        after: { publicSignup: true, passwordMinLength: 12 },
      },
    });
    await t.req({ method: 'DELETE', url: `/admin/v1/managers/${mid}` });
    expect((await t.req({ method: 'DELETE', url: `/admin/v1/tenants/${tid}` })).statusCode).toBe(204);
    // the trail outlives the tenant, for the operator
    const after = await audit(tid);
    expect(after.items.slice(0, 2).map((e) => e.action)).toEqual(['tenant.delete', 'manager.delete']);
    const text = JSON.stringify(after);
    for (const k of [firstKey, secondKey]) expect(text).not.toContain(k);
    expect(text).not.toMatch(/[0-9a-f]{64}/); // no key digest either
  });

  it('records self-service writes with the user as actor', async () => {
    const s = t.runtime.services;
    const u = await s.users.createUnchecked(acme.tenantId, { username: 'self', password: 'self-secret-pw' });
    await s.users.patchUnchecked(acme.tenantId, u.id, { firstName: 'Sam' });
    await s.users.patchUnchecked(acme.tenantId, u.id, { lastName: 'Imported' }, { actor: 'import:7' });
    const { items } = await audit(acme.tenantId, `?target=user:${u.id}`);
    expect(items.map((e) => [e.action, e.actor])).toEqual([
      ['user.update', 'import:7'],
      ['user.update', `user:${u.id}`],
      ['user.create', `user:${u.id}`],
    ]);
  });

  it('pages newest first with a cursor and filters by actor, target and action', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push(
        (
          await t.req({
            method: 'POST',
            url: users(other.tenantId),
            key: other.keys.editor,
            payload: { username: `p${i}` },
          })
        ).json().id,
      );
    }
    await t.req({
      method: 'PATCH',
      url: `${users(other.tenantId)}/${ids[0]}`,
      key: other.keys.owner,
      payload: { title: 'x' },
    });
    const seen: Ev[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Ev[]; nextCursor: string | null } = await audit(
        other.tenantId,
        `?action=user.create&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.map((e) => e.target)).toEqual([...ids].reverse().map((id) => `user:${id}`));
    expect(seen.every((e, i) => i === 0 || e.id < seen[i - 1].id)).toBe(true);
    const byOwner = await audit(other.tenantId, `?actor=manager:0`);
    expect(byOwner.items).toEqual([]);
    const upd = await audit(other.tenantId, `?action=user.update&target=user:${ids[0]}`);
    expect(upd.items).toHaveLength(1);
    const ownerId = upd.items[0].actor;
    expect((await audit(other.tenantId, `?actor=${ownerId}`)).items.map((e) => e.action)).toEqual(['user.update']);
    // no other tenant's events leak in
    expect((await audit(other.tenantId, '?limit=1000')).items.every((e) => e.tenantId === other.tenantId)).toBe(true);
  });

  it('filters by a time range: from inclusive, to exclusive; refuses a bad or reversed range', async () => {
    const dated = await makeTenant(t, 'Dated', 'dated');
    for (const username of ['d0', 'd1', 'd2']) {
      await t.req({ method: 'POST', url: users(dated.tenantId), payload: { username } });
      await new Promise((r) => setTimeout(r, 15)); // distinct instants
    }
    const all = (await audit(dated.tenantId, '?action=user.create')).items;
    expect(all).toHaveLength(3);
    const [last, middle, first] = all;
    const q = (from?: string, to?: string) =>
      `?action=user.create${from ? `&from=${encodeURIComponent(from)}` : ''}${to ? `&to=${encodeURIComponent(to)}` : ''}`;
    const targets = async (from?: string, to?: string) =>
      (await audit(dated.tenantId, q(from, to))).items.map((e) => e.target);
    expect(await targets(middle.at)).toEqual([last.target, middle.target]);
    expect(await targets(undefined, middle.at)).toEqual([first.target]);
    expect(await targets(middle.at, last.at)).toEqual([middle.target]);
    expect(await targets(first.at, first.at)).toEqual([]);
    // Any offset names the same instant.
    const shifted = new Date(Date.parse(middle.at)).toISOString().replace('Z', '+00:00');
    expect(await targets(shifted)).toEqual([last.target, middle.target]);
    const url = `/admin/v1/tenants/${dated.tenantId}/audit`;
    for (const bad of ['?from=yesterday', '?to=2026-13-45T00:00:00Z', `?from=${last.at}&to=${first.at}`]) {
      const r = await t.req({ method: 'GET', url: url + bad });
      expect(r.statusCode, bad).toBe(400);
      expect(r.json().error.message, bad).toMatch(/from|to/);
    }
  });

  it('lets admins and owners read, not editors or other tenants; rejects bad queries', async () => {
    const url = `/admin/v1/tenants/${acme.tenantId}/audit`;
    expect((await t.req({ method: 'GET', url, key: acme.keys.admin })).statusCode).toBe(200);
    expect((await t.req({ method: 'GET', url, key: acme.keys.editor })).statusCode).toBe(403);
    expect((await t.req({ method: 'GET', url, key: acme.keys.viewer })).statusCode).toBe(403);
    expect((await t.req({ method: 'GET', url, key: other.keys.owner })).statusCode).toBe(404);
    expect((await t.req({ method: 'GET', url, key: null })).statusCode).toBe(401);
    for (const q of ['?limit=0', '?limit=1001', '?cursor=abc', '?cursor=-1', '?nope=1', '?limit=x']) {
      const r = await t.req({ method: 'GET', url: url + q });
      expect(r.statusCode, q).toBe(400);
      expect(r.json().error.code).toBeTruthy();
    }
  });

  it('writes no event for a rejected change, and no change without its event (one transaction)', async () => {
    const before = (await audit(acme.tenantId, '?limit=1000')).items.length;
    await t.req({ method: 'POST', url: users(acme.tenantId), payload: { username: 'dupe' } });
    expect((await t.req({ method: 'POST', url: users(acme.tenantId), payload: { username: 'DUPE' } })).statusCode).toBe(
      409,
    );
    expect(
      (await t.req({ method: 'PATCH', url: `${users(acme.tenantId)}/999999`, payload: { title: 'x' } })).statusCode,
    ).toBe(404);
    expect((await t.req({ method: 'POST', url: users(acme.tenantId), payload: { email: 'bad' } })).statusCode).toBe(
      400,
    );
    expect((await audit(acme.tenantId, '?limit=1000')).items.length).toBe(before + 1);

    // With the audit table unwritable, the change itself must not happen.
    const db = t.runtime.db.kysely;
    await sql`alter table audit_events rename to audit_events_off`.execute(db);
    try {
      const r = await t.req({ method: 'POST', url: users(acme.tenantId), payload: { username: 'no-trail' } });
      expect(r.statusCode).toBeGreaterThanOrEqual(500);
      const m = await t.req({
        method: 'POST',
        url: `/admin/v1/tenants/${acme.tenantId}/managers`,
        payload: { name: 'x', email: 'x@acme.test', role: 'viewer' },
      });
      expect(m.statusCode).toBeGreaterThanOrEqual(500);
    } finally {
      await sql`alter table audit_events_off rename to audit_events`.execute(db);
    }
    const found = await t.req({ method: 'GET', url: `${users(acme.tenantId)}?username=no-trail` });
    expect(found.json().items).toEqual([]);
    const ms = (await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/managers` })).json().items as {
      email: string;
    }[];
    expect(ms.some((x) => x.email === 'x@acme.test')).toBe(false);
  });
});
