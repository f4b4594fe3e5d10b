import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, ROOT_KEY, TEST_ARGON2, type Fixture, type TestApp } from './support/harness.ts';
import { ISO, PASSWORD, basic, expectFailure, expectSuccess, signUp } from './support/rest-users.ts';

describe.each(backends())('/rest/users application keys ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
  });
  afterAll(() => t.close());

  const as = (username: string) => ({ authorization: basic(username, PASSWORD) });
  const createKey = async (username: string, name: string) =>
    expectSuccess(
      await t.req({
        method: 'POST',
        url: `/rest/users/${username}/keys`,
        key: null,
        headers: as(username),
        payload: { name },
      }),
      201,
    );
  const verify = (payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
    t.req({ method: 'POST', url: '/rest/keys/verify', key: null, headers, payload });
  /** A second Roster process (runtime and app) on the same database, for as long as `fn` runs. */
  const withSecondProcess = async (fn: (app2: TestApp['app']) => Promise<void>) => {
    const { startRuntime } = await import('../src/runtime.ts');
    const { buildApp } = await import('../src/http/app.ts');
    const runtime2 = await startRuntime({ databaseUrl: t.url, rootKey: ROOT_KEY, argon2: TEST_ARGON2 });
    const app2 = await buildApp(runtime2.services);
    try {
      await fn(app2);
    } finally {
      await app2.close();
      await runtime2.close();
    }
  };

  it('issues a key once, lists keys without secrets, counts usage and revokes', async () => {
    await signUp(t, 'alice');
    const k = await createKey('alice', 'my app');
    expect(k).toMatchObject({ name: 'my app', usage: 0 });
    expect(Number.isInteger(k.id)).toBe(true);
    expect(k.key).toMatch(/^rak_[A-Za-z0-9_-]{40,}$/);
    expect(k.created).toMatch(ISO);

    const list = await t.req({ method: 'GET', url: '/rest/users/alice/keys', key: null, headers: as('alice') });
    const items = expectSuccess(list);
    expect(items).toEqual([{ id: k.id, name: 'my app', created: k.created, lastUsed: null, usage: 0 }]);
    expect(list.body).not.toContain(k.key);

    const v = expectSuccess(await verify({ key: k.key }));
    expect(v).toEqual({ valid: true, username: 'alice', keyId: k.id, usage: 1 });
    expect(expectSuccess(await verify({ key: k.key, cost: 2.5 })).usage).toBe(3.5);
    // A form body, cost as text.
    const f = await t.req({
      method: 'POST',
      url: '/rest/keys/verify',
      key: null,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `key=${encodeURIComponent(k.key)}&cost=2`,
    });
    expect(expectSuccess(f).usage).toBe(5.5);
    expect(expectSuccess(await verify({ key: k.key, cost: 0 })).usage).toBe(5.5);

    const [listed] = expectSuccess(
      await t.req({ method: 'GET', url: '/rest/users/alice/keys', key: null, headers: as('alice') }),
    );
    expect(listed.usage).toBe(5.5);
    expect(listed.lastUsed).toMatch(ISO);

    const k2 = await createKey('alice', 'second');
    expectSuccess(await verify({ key: k2.key, cost: 4 }));
    expect(
      expectSuccess(await t.req({ method: 'GET', url: '/rest/users/alice', key: null, headers: as('alice') })).allusage,
    ).toBe(9.5);

    const del = await t.req({
      method: 'DELETE',
      url: `/rest/users/alice/keys/${k.id}`,
      key: null,
      headers: as('alice'),
    });
    expect(expectSuccess(del)).toEqual({ id: k.id, revoked: true });
    expectFailure(await verify({ key: k.key }), 401, /not valid/);
    expectFailure(
      await t.req({ method: 'DELETE', url: `/rest/users/alice/keys/${k.id}`, key: null, headers: as('alice') }),
      404,
    );
    const after = expectSuccess(
      await t.req({ method: 'GET', url: '/rest/users/alice/keys', key: null, headers: as('alice') }),
    );
    expect(after.map((x: { id: number }) => x.id)).toEqual([k2.id]);
    // Usage that happened stays in allusage after revocation.
    expect(
      expectSuccess(await t.req({ method: 'GET', url: '/rest/users/alice', key: null, headers: as('alice') })).allusage,
    ).toBe(9.5);
    expect(expectSuccess(await verify({ key: k2.key })).usage).toBe(5);
  });

  it('counts N parallel verifies exactly (one atomic update each)', async () => {
    await signUp(t, 'busy');
    const k = await createKey('busy', 'hot');
    const N = 50;
    const rs = await Promise.all(Array.from({ length: N }, () => verify({ key: k.key })));
    for (const r of rs) expectSuccess(r);
    // Each answer saw its own increment: the usages are exactly 1..N.
    expect(rs.map((r) => r.json().content.usage).sort((a, b) => a - b)).toEqual(
      Array.from({ length: N }, (_, i) => i + 1),
    );
    const [listed] = expectSuccess(
      await t.req({ method: 'GET', url: '/rest/users/busy/keys', key: null, headers: as('busy') }),
    );
    expect(listed.usage).toBe(N);
    expect(
      expectSuccess(await t.req({ method: 'GET', url: '/rest/users/busy', key: null, headers: as('busy') })).allusage,
    ).toBe(N);
  });

  it('answers each of many verifies arriving together by its own key: costs, revoked, unknown, other tenant, inactive owner', async () => {
    // On PostgreSQL these share one statement and commit (app-key-use-batch.ts); each must still get its own answer.
    await signUp(t, 'mix1');
    await signUp(t, 'mix2');
    await signUp(t, 'mixoff');
    const a = await createKey('mix1', 'a');
    const b = await createKey('mix2', 'b');
    const revoked = await createKey('mix1', 'revoked');
    const off = await createKey('mixoff', 'off');
    expectSuccess(
      await t.req({ method: 'DELETE', url: `/rest/users/mix1/keys/${revoked.id}`, key: null, headers: as('mix1') }),
    );
    const offId = (await t.req({ method: 'GET', url: `/admin/v1/tenants/1/users?username=mixoff` })).json().items[0].id;
    expect(
      (await t.req({ method: 'PATCH', url: `/admin/v1/tenants/1/users/${offId}`, payload: { active: false } }))
        .statusCode,
    ).toBe(200);

    const calls: { payload: Record<string, unknown>; headers?: Record<string, string>; expect: 'a' | 'b' | 401 }[] = [];
    for (let i = 0; i < 12; i++) {
      calls.push({ payload: { key: a.key, cost: 0.5 }, expect: 'a' });
      calls.push({ payload: { key: b.key, cost: 2 }, expect: 'b' });
      calls.push({ payload: { key: revoked.key }, expect: 401 });
      calls.push({ payload: { key: `rak_unknown${i}` }, expect: 401 });
      calls.push({ payload: { key: a.key }, headers: { 'x-roster-tenant': 'acme' }, expect: 401 });
      calls.push({ payload: { key: off.key }, expect: 401 });
    }
    const rs = await Promise.all(calls.map((c) => verify(c.payload, c.headers)));
    const usages = { a: [] as number[], b: [] as number[] };
    rs.forEach((r, i) => {
      const want = calls[i].expect;
      if (want === 401) return expectFailure(r, 401, /not valid/);
      const body = expectSuccess(r);
      expect(body).toMatchObject({
        valid: true,
        username: want === 'a' ? 'mix1' : 'mix2',
        keyId: want === 'a' ? a.id : b.id,
      });
      usages[want].push(body.usage);
    });
    // Each answer saw exactly the uses before it: 0.5, 1, … for a; 2, 4, … for b.
    expect(usages.a.sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => (i + 1) * 0.5));
    expect(usages.b.sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => (i + 1) * 2));
    const keysOf = async (u: string) =>
      expectSuccess(await t.req({ method: 'GET', url: `/rest/users/${u}/keys`, key: null, headers: as(u) }));
    expect((await keysOf('mix1')).map((k: { usage: number }) => k.usage)).toEqual([6]);
    expect((await keysOf('mix2')).map((k: { usage: number }) => k.usage)).toEqual([24]);
    const offKeys = expectSuccess(await t.req({ method: 'GET', url: `/rest/users/mixoff/keys` }));
    expect(offKeys.map((k: { usage: number }) => k.usage)).toEqual([0]);
  });

  it('counts parallel verifies of overlapping keys exactly across two processes (no deadlock, nothing lost)', async () => {
    const names = ['lock1', 'lock2', 'lock3', 'lock4'];
    const keys: { key: string }[] = [];
    for (const n of names) {
      await signUp(t, n);
      keys.push(await createKey(n, 'k'));
    }
    await withSecondProcess(async (app2) => {
      // The two processes use the keys in opposite orders, in several waves, so their batches overlap.
      for (let wave = 0; wave < 5; wave++) {
        const rs = await Promise.all(
          Array.from({ length: 32 }, (_, i) => {
            const app = i % 2 ? app2 : t.app;
            const key = keys[i % 2 ? 3 - ((i >> 1) % 4) : (i >> 1) % 4].key;
            return app.inject({ method: 'POST', url: '/rest/keys/verify', payload: { key } });
          }),
        );
        for (const r of rs) expectSuccess(r);
      }
      for (const n of names) {
        const [listed] = expectSuccess(
          await t.req({ method: 'GET', url: `/rest/users/${n}/keys`, key: null, headers: as(n) }),
        );
        expect(listed.usage).toBe(40);
      }
    });
  });

  it('counts parallel verifies exactly across two Roster processes on one database', async () => {
    await signUp(t, 'shared');
    const k = await createKey('shared', 'two-procs');
    await withSecondProcess(async (app2) => {
      const one = (app: typeof t.app) =>
        app.inject({ method: 'POST', url: '/rest/keys/verify', payload: { key: k.key } });
      const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => one(i % 2 ? app2 : t.app)));
      for (const r of rs) expectSuccess(r);
      const [listed] = expectSuccess(
        await t.req({ method: 'GET', url: '/rest/users/shared/keys', key: null, headers: as('shared') }),
      );
      expect(listed.usage).toBe(40);
    });
  });

  it('rejects unknown keys and bad verify input', async () => {
    await signUp(t, 'bea');
    const k = await createKey('bea', 'k');
    const unknown = await verify({ key: 'rak_not-a-real-key' });
    expectFailure(unknown, 401);
    expect(unknown.headers['www-authenticate']).toBeUndefined();
    expectFailure(await verify({}), 400, /key/);
    expectFailure(await verify({ key: k.key, cost: -1 }), 400, /cost/);
    expectFailure(await verify({ key: k.key, cost: 'lots' }), 400, /cost/);
    expectFailure(await verify({ key: k.key, extra: 1 }), 400, /extra/);
    expectFailure(
      await t.req({
        method: 'POST',
        url: '/rest/keys/verify',
        key: null,
        headers: { 'content-type': 'text/plain' },
        payload: k.key,
      }),
      415,
    );
    // None of the rejected calls counted.
    expect(expectSuccess(await verify({ key: k.key })).usage).toBe(1);
    // A key belongs to its tenant: presented to another tenant it is unknown.
    expectFailure(await verify({ key: k.key }, { 'x-roster-tenant': 'acme' }), 401);
    // A code no tenant has: the same answer as a key the tenant does not know (codes cannot be probed).
    const unknownTenant = await verify({ key: k.key }, { 'x-roster-tenant': 'nope' });
    const unknownKey = await verify({ key: 'rak_not_a_key' });
    expectFailure(unknownTenant, 401);
    expect(unknownTenant.body).toBe(unknownKey.body);
  });

  it("guards keys: only the owner or a manager key; another account's key ids are not found", async () => {
    await signUp(t, 'carl');
    await signUp(t, 'dora');
    const ck = await createKey('carl', 'carl key');
    expectFailure(await t.req({ method: 'GET', url: '/rest/users/carl/keys', key: null, headers: as('dora') }), 403);
    expectFailure(
      await t.req({
        method: 'POST',
        url: '/rest/users/carl/keys',
        key: null,
        headers: as('dora'),
        payload: { name: 'x' },
      }),
      403,
    );
    expectFailure(
      await t.req({ method: 'DELETE', url: `/rest/users/carl/keys/${ck.id}`, key: null, headers: as('dora') }),
      403,
    );
    expectFailure(
      await t.req({ method: 'DELETE', url: `/rest/users/dora/keys/${ck.id}`, key: null, headers: as('dora') }),
      404,
    );
    expectFailure(await t.req({ method: 'GET', url: '/rest/users/carl/keys', key: null }), 401);
    expectFailure(
      await t.req({
        method: 'POST',
        url: '/rest/users/carl/keys',
        key: null,
        headers: { authorization: basic('carl', 'wrong password') },
        payload: { name: 'x' },
      }),
      401,
    );
    expectSuccess(await verify({ key: ck.key }));

    // Manager keys of the default tenant (the root key acts on every tenant).
    const viewer = (
      await t.req({
        method: 'POST',
        url: '/admin/v1/tenants/1/managers',
        payload: { name: 'v', email: 'v@d.test', role: 'viewer' },
      })
    ).json().apiKey;
    const editor = (
      await t.req({
        method: 'POST',
        url: '/admin/v1/tenants/1/managers',
        payload: { name: 'e', email: 'e@d.test', role: 'editor' },
      })
    ).json().apiKey;
    expect(expectSuccess(await t.req({ method: 'GET', url: '/rest/users/carl/keys', key: viewer })).length).toBe(1);
    expectFailure(
      await t.req({ method: 'POST', url: '/rest/users/carl/keys', key: viewer, payload: { name: 'x' } }),
      403,
    );
    expectFailure(await t.req({ method: 'GET', url: '/rest/users/carl/keys', key: acme.keys.owner }), 404);
    const mk = expectSuccess(
      await t.req({ method: 'POST', url: '/rest/users/carl/keys', key: editor, payload: { name: 'by manager' } }),
      201,
    );
    expect(expectSuccess(await verify({ key: mk.key })).username).toBe('carl');
    expectSuccess(await t.req({ method: 'DELETE', url: `/rest/users/carl/keys/${mk.id}`, key: editor }));
    expectFailure(await verify({ key: mk.key }), 401);
  });

  it('rejects bad key input: missing or empty name, unknown fields, non-numeric ids', async () => {
    await signUp(t, 'eve');
    const post = (payload: unknown) =>
      t.req({ method: 'POST', url: '/rest/users/eve/keys', key: null, headers: as('eve'), payload: payload as object });
    expectFailure(await post({}), 400, /name/);
    expectFailure(await post({ name: '   ' }), 400, /name/);
    expectFailure(await post({ name: 'x'.repeat(201) }), 400, /name/);
    expectFailure(await post({ name: 'ok', usage: 100 }), 400, /usage/);
    expectFailure(
      await t.req({ method: 'DELETE', url: '/rest/users/eve/keys/abc', key: null, headers: as('eve') }),
      400,
    );
    expect(
      expectSuccess(await t.req({ method: 'GET', url: '/rest/users/eve/keys', key: null, headers: as('eve') })),
    ).toEqual([]);
  });

  it('stops counting the keys of a deleted account', async () => {
    const u = await signUp(t, 'gone');
    const k = await createKey('gone', 'k');
    expectSuccess(await verify({ key: k.key }));
    const admin = await t.req({ method: 'GET', url: `/admin/v1/tenants/1/users?limit=100` });
    const id = admin.json().items.find((x: { username: string }) => x.username === u.username).id;
    expect((await t.req({ method: 'DELETE', url: `/admin/v1/tenants/1/users/${id}` })).statusCode).toBe(204);
    expectFailure(await verify({ key: k.key }), 401);
  });
});
