import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { ROOT_KEY, TEST_ARGON2, startTestApp, type TestApp } from './support/harness.ts';
import { PASSWORD, basic, expectFailure, expectSuccess, signUp } from './support/rest-users.ts';
import { startRuntime } from '../src/runtime.ts';
import { buildApp } from '../src/http/app.ts';

const WINDOW_MIN = 15;

describe.each(backends())('/rest/users brute-force lockout ($name)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend);
  });
  afterAll(() => t.close());

  const get = (username: string, password: string, app = t.app) =>
    app.inject({
      method: 'GET',
      url: `/rest/users/${username}`,
      headers: { authorization: basic(username, password) },
    });
  const asRoot = (username: string) => t.req({ method: 'GET', url: `/rest/users/${username}` });
  /** Moves the lockout's clock; the database rows are real, only "now" is shifted. */
  const shiftClock = (minutes: number) => {
    t.runtime.services.loginGuard.now = () => Date.now() + minutes * 60_000;
  };

  it('locks an account after 10 failures in 15 minutes: 429 with Retry-After for right and wrong passwords, data untouched', async () => {
    await signUp(t, 'victim');
    await signUp(t, 'bystander');
    expectSuccess(await get('victim', PASSWORD));
    const before = expectSuccess(await asRoot('victim'));

    for (let i = 0; i < 10; i++) expectFailure(await get('victim', `guess-${i}`), 401);

    for (const pw of [PASSWORD, 'guess-again']) {
      const r = await get('victim', pw);
      expectFailure(r, 429, /too many failed logins/);
      const retry = Number(r.headers['retry-after']);
      expect(retry).toBeGreaterThan(WINDOW_MIN * 60 - 120);
      expect(retry).toBeLessThanOrEqual(WINDOW_MIN * 60);
    }
    // Also for writes and key management through Basic.
    expectFailure(
      await t.app.inject({
        method: 'PUT',
        url: '/rest/users/victim',
        headers: { authorization: basic('victim', PASSWORD) },
        payload: { email: 'x@example.com' },
      }),
      429,
    );
    expectFailure(
      await t.app.inject({
        method: 'POST',
        url: '/rest/users/victim/keys',
        headers: { authorization: basic('victim', PASSWORD) },
        payload: { name: 'k' },
      }),
      429,
    );

    // The account itself is untouched: same data, same lastlogin; a manager key still reads it.
    expect(expectSuccess(await asRoot('victim'))).toEqual(before);
    // Other accounts are not affected.
    expectSuccess(await get('bystander', PASSWORD));

    // 14 minutes later it is still locked; after 15 it opens, and the old failures no longer count.
    shiftClock(14);
    expectFailure(await get('victim', PASSWORD), 429);
    shiftClock(WINDOW_MIN + 1);
    expectSuccess(await get('victim', PASSWORD));
    expectFailure(await get('victim', 'one more guess'), 401);
    expectSuccess(await get('victim', PASSWORD));
  });

  it('does not lock below the limit, and only counts failures inside the window', async () => {
    shiftClock(0);
    await signUp(t, 'typo');
    for (let i = 0; i < 9; i++) expectFailure(await get('typo', `bad-${i}`), 401);
    expectSuccess(await get('typo', PASSWORD));
    // 16 minutes on, those nine are outside the window: nine more do not lock either.
    shiftClock(16);
    for (let i = 0; i < 9; i++) expectFailure(await get('typo', `bad-${i}`), 401);
    expectSuccess(await get('typo', PASSWORD));
    expectFailure(await get('typo', 'tenth'), 401);
    expectFailure(await get('typo', PASSWORD), 429);
  });

  it('lets no more than 10 guesses of a parallel burst reach the password check', async () => {
    shiftClock(0);
    await signUp(t, 'burst');
    const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => get('burst', `parallel-${i}`)));
    const codes = rs.map((r) => r.statusCode);
    for (const r of rs)
      expectFailure(r, r.statusCode, r.statusCode === 429 ? /failed logins|at once/ : /wrong username or password/);
    expect(codes.filter((c) => c === 401).length).toBeLessThanOrEqual(10);
    expect(codes.filter((c) => c !== 401 && c !== 429)).toEqual([]);
    expect(codes.filter((c) => c === 429).length).toBeGreaterThanOrEqual(20);
    // Turned-away attempts are not failures: exactly 10 wrong passwords in all, then the lock.
    let failures = codes.filter((c) => c === 401).length;
    for (let i = 0; i < 11; i++) {
      const r = await get('burst', `serial-${i}`);
      if (r.statusCode === 429) break;
      expectFailure(r, 401);
      failures++;
    }
    expect(failures).toBe(10);
    expectFailure(await get('burst', PASSWORD), 429);
  });

  it('shares the count between Roster processes (it lives in the database)', async () => {
    shiftClock(0);
    await signUp(t, 'multi');
    const runtime2 = await startRuntime({ databaseUrl: t.url, rootKey: ROOT_KEY, argon2: TEST_ARGON2 });
    const app2 = await buildApp(runtime2.services);
    try {
      for (let i = 0; i < 10; i++) expectFailure(await get('multi', `guess-${i}`, i % 2 ? app2 : t.app), 401);
      expectFailure(await get('multi', PASSWORD, app2), 429);
      expectFailure(await get('multi', PASSWORD, t.app), 429);
    } finally {
      await app2.close();
      await runtime2.close();
    }
  });

  it('counts failures per name, existing or not: an unknown name locks alike, and tenants stay apart', async () => {
    shiftClock(0);
    await signUp(t, 'real');
    // Ten failures on a name nobody has lock it exactly as they lock a real account: the same
    // 429, the same words, the same Retry-After, so a lock tells nothing about which names exist.
    for (let i = 0; i < 10; i++) {
      expectFailure(await get('no-such-user', `x${i}`), 401, /wrong username or password/);
      expectFailure(await get('real', `x${i}`), 401, /wrong username or password/);
    }
    const ghost = await get('no-such-user', 'x');
    const real = await get('real', PASSWORD);
    expectFailure(ghost, 429, /too many failed logins/);
    expect(ghost.body).toBe(real.body);
    // (the two locks began milliseconds apart: their Retry-After may differ by the second they straddle)
    expect(Math.abs(Number(ghost.headers['retry-after']) - Number(real.headers['retry-after']))).toBeLessThanOrEqual(1);
    // The name is counted as accounts are looked up: case and surrounding spaces do not escape it.
    expectFailure(await get('No-Such-User', 'x'), 429);
    // A new account with that name inherits the count until the lock ends.
    await signUp(t, 'no-such-user');
    expectFailure(await get('no-such-user', PASSWORD), 429);
    shiftClock(WINDOW_MIN + 1);
    expectSuccess(await get('no-such-user', PASSWORD));

    shiftClock(0);
    const acme = await t.req({
      method: 'POST',
      url: '/admin/v1/tenants',
      payload: { name: 'Acme', licenseCode: 'acme' },
    });
    expect(acme.statusCode).toBe(201);
    await signUp(t, 'twin');
    await signUp(t, 'twin', { tenant: 'acme' });
    for (let i = 0; i < 10; i++) expectFailure(await get('twin', `g${i}`), 401);
    expectFailure(await get('twin', PASSWORD), 429);
    const other = await t.app.inject({
      method: 'GET',
      url: '/rest/users/twin',
      headers: { authorization: basic('twin', PASSWORD), 'x-roster-tenant': 'acme' },
    });
    expectSuccess(other);
  });

  it('answers a license code no tenant has as it answers an unknown name, lock included', async () => {
    shiftClock(0);
    const as = (tenant: string, username: string, password: string) =>
      t.app.inject({
        method: 'GET',
        url: `/rest/users/${username}`,
        headers: { authorization: basic(username, password), 'x-roster-tenant': tenant },
      });
    for (let i = 0; i < 10; i++) {
      const unknownTenant = await as('no-such-tenant', 'someone', `p${i}`);
      const unknownName = await as('default', 'someone-else', `p${i}`);
      expectFailure(unknownTenant, 401, /wrong username or password/);
      expect(unknownTenant.body).toBe(unknownName.body);
      expect(unknownTenant.headers['www-authenticate']).toBe(unknownName.headers['www-authenticate']);
    }
    const a = await as('no-such-tenant', 'someone', 'p');
    const b = await as('default', 'someone-else', 'p');
    expectFailure(a, 429);
    expect(a.body).toBe(b.body);
  });
});
