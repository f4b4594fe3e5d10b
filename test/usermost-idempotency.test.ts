import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, ROOT_KEY, startTestApp, TEST_ARGON2, type Fixture, type TestApp } from './support/harness.ts';
import { base, container, eventsOf, userCount } from './support/usermost.ts';
import { buildApp, type App } from '../src/http/app.ts';
import { startRuntime, type Runtime } from '../src/runtime.ts';

describe.each(backends())('Usermost x-request-id idempotency ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let other: Fixture;
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    other = await makeTenant(t, 'Other', 'other');
  });
  afterAll(() => t.close());

  const events = `${base('acme')}/events`;
  const rid = (h: string) => ({ 'x-request-id': h });

  /** A second Roster "process" on the same database: its own pool, services and app, nothing shared in memory. */
  async function secondProcess(): Promise<{ app: App; runtime: Runtime; close(): Promise<void> }> {
    const runtime = await startRuntime({ databaseUrl: t.url, rootKey: ROOT_KEY, argon2: TEST_ARGON2 });
    const app = await buildApp(runtime.services);
    await app.ready();
    return {
      app,
      runtime,
      close: async () => {
        await app.close();
        await runtime.close();
      },
    };
  }

  it('records a retried event once and answers the retry with the first answer', async () => {
    const payload = { userId: 'retry1', eventName: 'purchase', params: { amount: 5 } };
    const first = await t.req({ method: 'POST', url: events, key: acme.keys.editor, headers: rid('a1b2c3'), payload });
    container(first, 201);
    const again = await t.req({ method: 'POST', url: events, key: acme.keys.editor, headers: rid('a1b2c3'), payload });
    expect(again.statusCode).toBe(201);
    expect(again.body).toBe(first.body);
    // Another key of the same tenant retrying the same request gets the same answer.
    const byOwner = await t.req({ method: 'POST', url: events, key: acme.keys.owner, headers: rid('a1b2c3'), payload });
    expect(byOwner.body).toBe(first.body);
    expect(await eventsOf(t, 'acme', 'retry1')).toHaveLength(1);
    // Without an id, or with a new one, it is a new event.
    container(await t.req({ method: 'POST', url: events, payload }), 201);
    container(await t.req({ method: 'POST', url: events, headers: rid('a1b2c4'), payload }), 201);
    expect(await eventsOf(t, 'acme', 'retry1')).toHaveLength(3);
  });

  it('records a retried batch once, users included', async () => {
    const users = await userCount(t, acme.tenantId);
    const payload = {
      events: [
        { userId: 'batchy1', eventName: 'a' },
        { userId: 'batchy2', eventName: 'b' },
        { userId: 'batchy1', eventName: 'c' },
      ],
    };
    const first = await t.req({
      method: 'POST',
      url: `${base('acme')}/eventsBatch`,
      headers: rid('deadbeef01'),
      payload,
    });
    expect(container(first, 201).response.data.count).toBe(3);
    const again = await t.req({
      method: 'POST',
      url: `${base('acme')}/eventsBatch`,
      headers: rid('deadbeef01'),
      payload,
    });
    expect([again.statusCode, again.body]).toEqual([201, first.body]);
    expect(await eventsOf(t, 'acme', 'batchy1')).toHaveLength(2);
    expect(await eventsOf(t, 'acme', 'batchy2')).toHaveLength(1);
    expect(await userCount(t, acme.tenantId)).toBe(users + 2);
  });

  it('answers a retried identify with its first answer (201 stays 201) and applies it once', async () => {
    const first = await t.req({
      method: 'POST',
      url: `${base('acme')}/users`,
      headers: rid('u-1'),
      payload: { userId: 'idem-user', firstName: 'Ida' },
    });
    container(first, 201);
    // Changed in between by someone else: the retry must not re-apply its old value.
    container(
      await t.req({
        method: 'POST',
        url: `${base('acme')}/users`,
        payload: { userId: 'idem-user', firstName: 'Changed' },
      }),
      200,
    );
    const again = await t.req({
      method: 'POST',
      url: `${base('acme')}/users`,
      headers: rid('u-1'),
      payload: { userId: 'idem-user', firstName: 'Ida' },
    });
    expect([again.statusCode, again.body]).toEqual([201, first.body]);
    expect(
      container(await t.req({ method: 'GET', url: `${base('acme')}/users/idem-user` }), 200).response.data.firstName,
    ).toBe('Changed');
  });

  it('answers a retried delete with 200 again instead of 404', async () => {
    container(await t.req({ method: 'POST', url: `${base('acme')}/users`, payload: { userId: 'del-me' } }), 201);
    const first = await t.req({
      method: 'DELETE',
      url: `${base('acme')}/users/del-me`,
      key: acme.keys.admin,
      headers: rid('del-1'),
    });
    container(first, 200);
    const again = await t.req({
      method: 'DELETE',
      url: `${base('acme')}/users/del-me`,
      key: acme.keys.admin,
      headers: rid('del-1'),
    });
    expect([again.statusCode, again.body]).toEqual([200, first.body]);
    container(await t.req({ method: 'DELETE', url: `${base('acme')}/users/del-me`, key: acme.keys.admin }), 404);
  });

  it('remembers only successful answers: a failed request retried later is evaluated afresh', async () => {
    container(await t.req({ method: 'DELETE', url: `${base('acme')}/users/late`, headers: rid('late-1') }), 404);
    container(await t.req({ method: 'POST', url: `${base('acme')}/users`, payload: { userId: 'late' } }), 201);
    container(await t.req({ method: 'DELETE', url: `${base('acme')}/users/late`, headers: rid('late-1') }), 200);
    // An auth failure is not remembered either.
    container(
      await t.req({
        method: 'POST',
        url: events,
        key: acme.keys.viewer,
        headers: rid('auth-1'),
        payload: { userId: 'late2', eventName: 'x' },
      }),
      401,
    );
    container(
      await t.req({
        method: 'POST',
        url: events,
        key: acme.keys.editor,
        headers: rid('auth-1'),
        payload: { userId: 'late2', eventName: 'x' },
      }),
      201,
    );
  });

  it('refuses an id reused for a different request with 400, recording nothing', async () => {
    container(
      await t.req({
        method: 'POST',
        url: events,
        headers: rid('reuse-1'),
        payload: { userId: 'reuser', eventName: 'one' },
      }),
      201,
    );
    const users = await userCount(t, acme.tenantId);
    const diffBody = container(
      await t.req({
        method: 'POST',
        url: events,
        headers: rid('reuse-1'),
        payload: { userId: 'reuser', eventName: 'two' },
      }),
      400,
    );
    expect(diffBody.response.message).toMatch(/reuse-1.*different request/);
    container(
      await t.req({
        method: 'POST',
        url: `${base('acme')}/eventsBatch`,
        headers: rid('reuse-1'),
        payload: { events: [{ userId: 'reuser', eventName: 'one' }] },
      }),
      400,
    );
    container(
      await t.req({
        method: 'POST',
        url: `${base('acme')}/users`,
        headers: rid('reuse-1'),
        payload: { userId: 'someone-new' },
      }),
      400,
    );
    expect(await eventsOf(t, 'acme', 'reuser')).toHaveLength(1);
    expect(await userCount(t, acme.tenantId)).toBe(users);
  });

  it('keeps ids per tenant: the same id on another license is another request', async () => {
    const payload = { userId: 'tenant-user', eventName: 'x' };
    container(await t.req({ method: 'POST', url: events, headers: rid('cafe01'), payload }), 201);
    container(
      await t.req({
        method: 'POST',
        url: `${base('other')}/events`,
        key: other.keys.editor,
        headers: rid('cafe01'),
        payload,
      }),
      201,
    );
    expect(await eventsOf(t, 'acme', 'tenant-user')).toHaveLength(1);
    expect(await eventsOf(t, 'other', 'tenant-user')).toHaveLength(1);
    // And a tenant-A key retrying on B's license is still 401, not a replay.
    container(
      await t.req({
        method: 'POST',
        url: `${base('other')}/events`,
        key: acme.keys.editor,
        headers: rid('cafe01'),
        payload,
      }),
      401,
    );
  });

  it('refuses a malformed x-request-id with 400, recording nothing', async () => {
    for (const id of ['', 'has space', 'x'.repeat(129), 'semi;colon']) {
      const r = container(
        await t.req({ method: 'POST', url: events, headers: rid(id), payload: { userId: 'bad-id', eventName: 'x' } }),
        400,
      );
      expect(r.response.message).toMatch(/x-request-id/);
    }
    container(await t.req({ method: 'GET', url: `${base('acme')}/users/bad-id` }), 404);
  });

  it('records concurrent duplicates once and gives them all the same answer', async () => {
    const payload = { userId: 'stampede', eventName: 'click' };
    const rs = await Promise.all(
      Array.from({ length: 8 }, () => t.req({ method: 'POST', url: events, headers: rid('stampede-1'), payload })),
    );
    for (const r of rs) expect([r.statusCode, r.body]).toEqual([201, rs[0].body]);
    expect(await eventsOf(t, 'acme', 'stampede')).toHaveLength(1);
    const ids = await Promise.all(
      Array.from({ length: 4 }, () =>
        t.req({
          method: 'POST',
          url: `${base('acme')}/users`,
          headers: rid('stampede-2'),
          payload: { userId: 'stampede-u', n: 1 },
        }),
      ),
    );
    for (const r of ids) expect([r.statusCode, r.body]).toEqual([201, ids[0].body]);
  });

  it('holds across processes sharing the database', async () => {
    const p2 = await secondProcess();
    try {
      const payload = { userId: 'multi', eventName: 'x' };
      const first = await t.req({ method: 'POST', url: events, headers: rid('multi-1'), payload });
      const h = { authorization: `Bearer ${acme.keys.editor}`, 'x-request-id': 'multi-1' };
      const again = await p2.app.inject({ method: 'POST', url: events, headers: h, payload });
      expect([again.statusCode, again.body]).toEqual([201, first.body]);
      if (backend.name === 'postgres') {
        // Concurrent duplicates split over both processes. (Two SQLite connections in one Node
        // process would only block each other's synchronous busy wait; separate processes do not.)
        const rs = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            i % 2
              ? p2.app.inject({ method: 'POST', url: events, headers: { ...h, 'x-request-id': 'multi-2' }, payload })
              : t.req({ method: 'POST', url: events, headers: rid('multi-2'), payload }),
          ),
        );
        for (const r of rs) expect([r.statusCode, r.body]).toEqual([201, rs[0].body]);
      } else {
        container(
          await p2.app.inject({ method: 'POST', url: events, headers: { ...h, 'x-request-id': 'multi-2' }, payload }),
          201,
        );
        expect((await t.req({ method: 'POST', url: events, headers: rid('multi-2'), payload })).statusCode).toBe(201);
      }
      expect(await eventsOf(t, 'acme', 'multi')).toHaveLength(2);
    } finally {
      await p2.close();
    }
  });

  it('forgets an id after 24 hours, and a process purges expired answers', async () => {
    const payload = { userId: 'old-timer', eventName: 'x' };
    container(await t.req({ method: 'POST', url: events, headers: rid('aged-1'), payload }), 201);
    container(await t.req({ method: 'POST', url: events, headers: rid('aged-1'), payload }), 201);
    expect(await eventsOf(t, 'acme', 'old-timer')).toHaveLength(1);
    // Make the remembered answer 24 h and a minute old.
    const db = t.runtime.db.kysely;
    const aged = Date.now() - 24 * 60 * 60 * 1000 - 60_000;
    await db.updateTable('idempotencyKeys').set({ createdAt: aged }).where('requestId', '=', 'aged-1').execute();
    container(await t.req({ method: 'POST', url: events, headers: rid('aged-1'), payload }), 201);
    expect(await eventsOf(t, 'acme', 'old-timer')).toHaveLength(2);
    // Remembered again from now on.
    container(await t.req({ method: 'POST', url: events, headers: rid('aged-1'), payload }), 201);
    expect(await eventsOf(t, 'acme', 'old-timer')).toHaveLength(2);

    // Expired rows are deleted by a process's first idempotent write (then at most once a minute).
    await db
      .updateTable('idempotencyKeys')
      .set({ createdAt: aged })
      .where('requestId', 'in', ['a1b2c3', 'cafe01'])
      .execute();
    const recent = Date.now() - 23 * 60 * 60 * 1000;
    await db.updateTable('idempotencyKeys').set({ createdAt: recent }).where('requestId', '=', 'deadbeef01').execute();
    const p2 = await secondProcess();
    try {
      await p2.app.inject({
        method: 'POST',
        url: events,
        headers: { authorization: `Bearer ${acme.keys.editor}`, 'x-request-id': 'purge-trigger' },
        payload,
      });
    } finally {
      await p2.close();
    }
    const left = (await db.selectFrom('idempotencyKeys').select('requestId').execute()).map((r) => r.requestId);
    expect(left).not.toContain('a1b2c3');
    expect(left).not.toContain('cafe01');
    expect(left).toContain('deadbeef01');
    expect(left).toContain('purge-trigger');
  });
});
