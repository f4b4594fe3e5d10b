import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type TestApp } from './support/harness.ts';
import { allUsers, importFile, ndjson, userCount } from './support/imports.ts';
import { buildApp } from '../src/http/app.ts';
import { startRuntime } from '../src/runtime.ts';
import { ROOT_KEY, TEST_ARGON2 } from './support/harness.ts';

describe.each(backends())('import of users ($name)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend);
  });
  afterAll(() => t.close());

  const byName = async (tenantId: number) =>
    Object.fromEntries((await allUsers(t, tenantId)).map((u) => [u.username as string, u]));

  it('imports NDJSON with every core field, custom attributes, a plain password and timestamps', async () => {
    const { tenantId, keys } = await makeTenant(t, 'Nd', 'nd');
    const body = ndjson([
      {
        externalId: 'kc-1',
        username: 'ann',
        email: 'ann@x.io',
        firstName: 'Ann',
        middleName: 'B',
        lastName: 'Lee',
        displayName: 'Ann Lee',
        company: 'Acme',
        title: 'CTO',
        department: 'R&D',
        website: 'https://ann.io',
        phoneHome: '1',
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
        attributes: { tier: 3, vip: true, note: 'x' },
        password: 'plain-password-1',
        createdAt: '2020-01-02T03:04:05.000Z',
        lastLoginAt: '2021-01-01T00:00:00.000Z',
      },
      { username: 'bob' },
    ]);
    const job = await importFile(t, tenantId, body, { key: keys.editor });
    expect(job).toMatchObject({
      state: 'done',
      format: 'ndjson',
      mode: 'create',
      dryRun: false,
      atomic: false,
      counts: { rows: 2, created: 2, updated: 0, unchanged: 0, failed: 0 },
      errors: [],
      message: null,
    });
    const users = await byName(tenantId);
    expect(users.ann).toMatchObject({
      externalId: 'kc-1',
      email: 'ann@x.io',
      firstName: 'Ann',
      middleName: 'B',
      lastName: 'Lee',
      displayName: 'Ann Lee',
      company: 'Acme',
      title: 'CTO',
      department: 'R&D',
      website: 'https://ann.io',
      phoneHome: '1',
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
      attributes: { tier: 3, vip: true, note: 'x' },
      hasPassword: true,
      createdAt: '2020-01-02T03:04:05.000Z',
      lastLoginAt: '2021-01-01T00:00:00.000Z',
    });
    expect(users.bob).toMatchObject({
      active: true,
      verified: false,
      plan: 'free',
      billingType: 'invoice',
      attributes: {},
      hasPassword: false,
      email: null,
    });
    // The plain password was hashed with argon2id and works.
    const stored = await t.runtime.db.kysely
      .selectFrom('users')
      .select('passwordHash')
      .where('id', '=', users.ann.id as number)
      .executeTakeFirstOrThrow();
    expect(stored.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await t.runtime.services.users.login(tenantId, users.ann.id as number, 'plain-password-1')).toBe(true);
    // Each imported user is in the audit trail, secrets redacted.
    const audit = await t.req({ method: 'GET', url: `/admin/v1/tenants/${tenantId}/audit?action=user.create` });
    const events = audit.json().items as {
      target: string;
      actor: string;
      changes: Record<string, { after: unknown }>;
    }[];
    const annEvent = events.find((e) => e.target === `user:${users.ann.id}`)!;
    expect(annEvent.actor).toMatch(/^manager:\d+$/);
    expect(annEvent.changes.username.after).toBe('ann');
    expect(annEvent.changes.password.after).toBe('[redacted]');
    expect(audit.body).not.toContain('plain-password-1');
  });

  it('keeps text exactly as sent: tabs, newlines, backslashes, quotes, \\N and non-ASCII in fields and attributes', async () => {
    const { tenantId, keys } = await makeTenant(t, 'Esc', 'esc');
    const tricky = ['a\tb', 'line1\nline2\r\n', 'back\\slash \\N \\t', '"quoted" \'single\'', 'Zoë 東京 🚀', '\\'];
    const rows = tricky.map((s, i) => ({
      username: `esc${i}`,
      displayName: s,
      company: s,
      attributes: { note: s, nested: { list: [s, 1, null] } },
    }));
    rows.push({
      username: 'esc-null',
      displayName: '\\N',
      company: 'N',
      attributes: { note: '\\N', nested: { list: [] } },
    });
    const job = await importFile(t, tenantId, ndjson(rows), { key: keys.editor });
    expect(job).toMatchObject({ state: 'done', counts: { created: rows.length, failed: 0 } });
    const users = await byName(tenantId);
    for (const r of rows) {
      expect(users[r.username]).toMatchObject({
        displayName: r.displayName,
        company: r.company,
        attributes: r.attributes,
      });
    }
    const audit = await t.req({ method: 'GET', url: `/admin/v1/tenants/${tenantId}/audit?action=user.create` });
    const events = audit.json().items as { target: string; changes: Record<string, { after: unknown }> }[];
    const first = events.find((e) => e.target === `user:${users.esc0.id}`)!;
    expect(first.changes.displayName.after).toBe('a\tb');
    expect(first.changes.attributes.after).toEqual(rows[0].attributes);
  });

  it('imports CSV with a header of core names and attr.<name> columns, quoted cells and CRLF', async () => {
    const { tenantId } = await makeTenant(t, 'Csv', 'csv');
    const csv = [
      'username,email,firstName,lastName,active,attr.plan,attr.level,company',
      'carl,carl@x.io,Carl,"Smith, Jr.",false,gold,7,"Big ""Q"" Co"',
      'dora,,Dora,,true,,,',
      '',
    ].join('\r\n');
    const job = await importFile(t, tenantId, csv, { type: 'text/csv; charset=utf-8' });
    expect(job).toMatchObject({ state: 'done', format: 'csv', counts: { rows: 2, created: 2, failed: 0 } });
    const users = await byName(tenantId);
    expect(users.carl).toMatchObject({
      email: 'carl@x.io',
      lastName: 'Smith, Jr.',
      active: false,
      company: 'Big "Q" Co',
      attributes: { plan: 'gold', level: 7 },
    });
    expect(users.dora).toMatchObject({ email: null, lastName: null, active: true, company: null, attributes: {} });
  });

  it('reports each failed row with its line and reason; the other rows go in', async () => {
    const { tenantId } = await makeTenant(t, 'Errs', 'errs');
    await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${tenantId}/users`,
      payload: { username: 'taken', email: 'taken@x.io' },
    });
    const lines = [
      JSON.stringify({ username: 'ok1' }),
      JSON.stringify({ username: 'bad-mail', email: 'nope' }),
      '{"username": "broken"',
      '',
      JSON.stringify({ username: 'TAKEN' }),
      JSON.stringify({ username: 'ok2', nope: 1 }),
      JSON.stringify({ username: 'short', password: 'abc' }),
      JSON.stringify({ username: 'dup1', email: 'same@x.io' }),
      JSON.stringify({ username: 'dup2', email: 'SAME@x.io' }),
      '[1,2]',
      JSON.stringify({ username: 'hash', passwordHash: '$md5$whatever' }),
      JSON.stringify({ username: 'ok3', gender: 'x' }),
      JSON.stringify({ username: 'ok4' }),
    ];
    const job = await importFile(t, tenantId, lines.join('\n'));
    expect(job.state).toBe('done');
    expect(job.counts).toEqual({ rows: 12, created: 3, updated: 0, unchanged: 0, failed: 9 });
    const msg = Object.fromEntries(job.errors.map((e) => [e.line, e.message]));
    expect(job.errors.map((e) => e.line)).toEqual([2, 3, 5, 6, 7, 9, 10, 11, 12]);
    expect(msg[2]).toMatch(/^line 2: .*email/);
    expect(msg[3]).toMatch(/^line 3 is not valid JSON/);
    expect(msg[5]).toMatch(/username "TAKEN" already exists/);
    expect(msg[6]).toMatch(/unknown field "nope"/);
    expect(msg[7]).toMatch(/password must be at least 8/);
    expect(msg[9]).toMatch(/same email as line 8/);
    expect(msg[10]).toMatch(/JSON object/);
    expect(msg[11]).toMatch(/passwordHash .*unsupported format/);
    expect(msg[12]).toMatch(/gender/);
    expect(Object.keys(await byName(tenantId)).sort()).toEqual(['dup1', 'ok1', 'ok4', 'taken']);
  });

  it('create mode refuses existing users; upsert matches on externalId, then username, then email', async () => {
    const { tenantId } = await makeTenant(t, 'Up', 'up');
    const first = ndjson([
      { externalId: 'e1', username: 'u1', email: 'u1@x.io', firstName: 'One' },
      { username: 'u2', email: 'u2@x.io', firstName: 'Two' },
      { email: 'u3@x.io', firstName: 'Three' },
    ]);
    expect((await importFile(t, tenantId, first)).counts).toMatchObject({ created: 3 });
    const again = await importFile(t, tenantId, first);
    expect(again.counts).toMatchObject({ created: 0, failed: 3 });
    expect(again.errors[0].message).toMatch(/already exists/);

    const ids = Object.fromEntries((await allUsers(t, tenantId)).map((u) => [u.email as string, u]));
    const upsert = ndjson([
      { externalId: 'e1', username: 'u1-renamed', firstName: 'One!' }, // by externalId (username changes)
      { username: 'U2', lastName: 'Deux' }, // by username, case-insensitively (the new spelling is kept)
      { email: 'u3@x.io', firstName: 'Three' }, // by email; nothing differs
      { username: 'u4', email: 'u4@x.io' }, // new
      { externalId: 'e9', username: 'u2' }, // no externalId match, username matches u2: same user twice
    ]);
    const up = await importFile(t, tenantId, upsert, { query: 'mode=upsert' });
    expect(up.counts).toEqual({ rows: 5, created: 1, updated: 2, unchanged: 1, failed: 1 });
    expect(up.errors).toEqual([{ line: 5, message: 'line 5: matches the same user as line 2' }]);
    const after = Object.fromEntries((await allUsers(t, tenantId)).map((u) => [u.email as string, u]));
    expect(after['u1@x.io']).toMatchObject({ id: ids['u1@x.io'].id, username: 'u1-renamed', firstName: 'One!' });
    expect(after['u2@x.io']).toMatchObject({
      id: ids['u2@x.io'].id,
      username: 'U2',
      firstName: 'Two',
      lastName: 'Deux',
    });
    expect(after['u3@x.io']).toEqual(ids['u3@x.io']);
    expect(after['u4@x.io']).toBeDefined();
    const etag = async (email: string) =>
      (await t.req({ method: 'GET', url: `/admin/v1/tenants/${tenantId}/users/${ids[email].id}` })).headers.etag;
    expect([await etag('u1@x.io'), await etag('u2@x.io'), await etag('u3@x.io')]).toEqual(['W/"2"', 'W/"2"', 'W/"1"']);
  });

  it('upsert of the same file twice changes nothing the second time (no version or updatedAt bump)', async () => {
    const { tenantId } = await makeTenant(t, 'Idem', 'idem');
    const file = ndjson([
      {
        externalId: 'x1',
        username: 'p1',
        email: 'p1@x.io',
        attributes: { b: 2, a: { z: 1, y: [1, 2] } },
        password: 'password-one',
        active: false,
      },
      {
        username: 'p2',
        plan: null,
        passwordHash: '$pbkdf2-sha256$i=1000$TmFDbC1zYWx0LTE2Ynl0ZQ$Pkj7vJtvyWXS+a7iUZK5SqAOx5okV66rxSgHk4nzvfQ',
      },
      { username: 'p3', passwordHash: { algorithm: 'md5', salt: 'pepper', hash: '449577b23045b92d84e170d699dbd5a0' } },
    ]);
    expect((await importFile(t, tenantId, file, { query: 'mode=upsert' })).counts).toMatchObject({
      created: 3,
      failed: 0,
    });
    const before = await allUsers(t, tenantId);
    const hashes = await t.runtime.db.kysely
      .selectFrom('users')
      .select(['id', 'passwordHash'])
      .where('tenantId', '=', tenantId)
      .orderBy('id')
      .execute();
    const second = await importFile(t, tenantId, file, { query: 'mode=upsert' });
    expect(second.counts).toEqual({ rows: 3, created: 0, updated: 0, unchanged: 3, failed: 0 });
    expect(await allUsers(t, tenantId)).toEqual(before);
    expect(
      await t.runtime.db.kysely
        .selectFrom('users')
        .select(['id', 'passwordHash'])
        .where('tenantId', '=', tenantId)
        .orderBy('id')
        .execute(),
    ).toEqual(hashes);
    for (const u of before) {
      const one = await t.req({ method: 'GET', url: `/admin/v1/tenants/${tenantId}/users/${u.id}` });
      expect(one.headers.etag).toBe('W/"1"');
    }
    // A changed password is a change.
    const changed = ndjson([{ externalId: 'x1', password: 'password-two' }]);
    expect((await importFile(t, tenantId, changed, { query: 'mode=upsert' })).counts).toMatchObject({ updated: 1 });
  });

  it('dry run validates everything (conflicts included) and writes nothing', async () => {
    const { tenantId } = await makeTenant(t, 'Dry', 'dry');
    await importFile(t, tenantId, ndjson([{ username: 'exists' }]));
    const file = ndjson([
      { username: 'new1', password: 'password-123' },
      { username: 'exists' },
      { username: 'new2', email: 'bad' },
      { username: 'new1' },
    ]);
    const job = await importFile(t, tenantId, file, { query: 'dryRun=true' });
    expect(job).toMatchObject({
      state: 'done',
      dryRun: true,
      message: 'dry run: nothing was written',
      counts: { rows: 4, created: 1, failed: 3 },
    });
    expect(job.errors.map((e) => e.line)).toEqual([2, 3, 4]);
    expect(await userCount(t, tenantId)).toBe(1);
    const audit = await t.req({ method: 'GET', url: `/admin/v1/tenants/${tenantId}/audit?action=user.create` });
    expect(audit.json().items).toHaveLength(1);
  });

  it('atomic: nothing goes in when any row fails; everything when none does', async () => {
    const { tenantId } = await makeTenant(t, 'Atom', 'atom');
    const rows = Array.from({ length: 2500 }, (_, i) => ({ username: `a${i}`, email: `a${i}@x.io` }));
    const bad = [...rows.slice(0, 2400), { username: 'zz', email: 'not-mail' }, ...rows.slice(2400)];
    const failed = await importFile(t, tenantId, ndjson(bad), { query: 'atomic=true' });
    expect(failed).toMatchObject({ state: 'failed', atomic: true, counts: { rows: 2501, created: 0, failed: 1 } });
    expect(failed.message).toMatch(/nothing was written/);
    expect(failed.errors).toEqual([{ line: 2401, message: expect.stringMatching(/^line 2401: .*email/) }]);
    expect(await userCount(t, tenantId)).toBe(0);
    expect(
      (await t.req({ method: 'GET', url: `/admin/v1/tenants/${tenantId}/audit?action=user.create` })).json().items,
    ).toHaveLength(0);

    const ok = await importFile(t, tenantId, ndjson(rows), { query: 'atomic=true' });
    expect(ok).toMatchObject({ state: 'done', counts: { rows: 2500, created: 2500, failed: 0 } });
    expect(await userCount(t, tenantId)).toBe(2500);
  });

  it('answers bad files with clear errors: binary junk, a 10 MB line, wrong CSV columns; atomic writes nothing', async () => {
    const { tenantId } = await makeTenant(t, 'Bad', 'bad');
    const url = `/admin/v1/tenants/${tenantId}/imports`;
    const junk = Buffer.concat([
      Buffer.from(ndjson([{ username: 'before-junk' }])),
      Buffer.from([0x00, 0xff, 0xfe, 0x12, 0x80, 0x00, 0x01]),
    ]);
    const j = await t.req({
      method: 'POST',
      url: `${url}?atomic=true`,
      headers: { 'content-type': 'application/x-ndjson' },
      payload: junk,
    });
    expect(j.statusCode).toBe(400);
    expect(j.json().error).toMatchObject({ code: 'import.bad_file', message: expect.stringMatching(/not text/) });
    const latin1 = await t.req({
      method: 'POST',
      url,
      headers: { 'content-type': 'text/csv' },
      payload: Buffer.from('username\nJos\xe9\n', 'latin1'),
    });
    expect(latin1.statusCode).toBe(400);
    expect(latin1.json().error.message).toMatch(/UTF-8/);

    const wrongCols = await t.req({
      method: 'POST',
      url,
      headers: { 'content-type': 'text/csv' },
      payload: 'user name,e-mail,firstName\nann,ann@x.io,Ann\n',
    });
    expect(wrongCols.statusCode).toBe(400);
    expect(wrongCols.json().error.message).toMatch(
      /unknown columns "user name", "e-mail" in the CSV header \(line 1\)/,
    );
    const empty = await t.req({ method: 'POST', url, headers: { 'content-type': 'text/csv' }, payload: '' });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.message).toMatch(/empty/);

    // A 10 MB line: that row fails (memory stays bounded), the others go in unless atomic.
    const huge = `{"username":"huge","attributes":{"blob":"${'x'.repeat(10 * 1024 * 1024)}"}}`;
    const file = [JSON.stringify({ username: 'l1' }), huge, JSON.stringify({ username: 'l3' })].join('\n');
    const atomic = await importFile(t, tenantId, file, { query: 'atomic=true' });
    expect(atomic).toMatchObject({ state: 'failed', counts: { rows: 3, created: 0, failed: 1 } });
    expect(atomic.errors).toEqual([{ line: 2, message: 'line 2 the line is longer than 1 MiB' }]);
    expect(await userCount(t, tenantId)).toBe(0);
    const lenient = await importFile(t, tenantId, file);
    expect(lenient).toMatchObject({ state: 'done', counts: { rows: 3, created: 2, failed: 1 } });

    // A CSV row with the wrong number of cells, and a CSV that stops parsing half-way (atomic).
    const csv = 'username,email\nc1,c1@x.io\nc2\nc3,"unterminated\n';
    const c = await importFile(t, tenantId, csv, { type: 'text/csv', query: 'atomic=true' });
    expect(c.state).toBe('failed');
    expect(c.message).toMatch(/CSV does not parse.*nothing was written/);
    expect(await userCount(t, tenantId)).toBe(2);

    expect(
      (await t.req({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: '{}' })).statusCode,
    ).toBe(415);
    expect(
      (
        await t.req({
          method: 'POST',
          url: `${url}?mode=merge`,
          headers: { 'content-type': 'text/csv' },
          payload: 'username\n',
        })
      ).statusCode,
    ).toBe(400);
  });

  it('CSV upsert: a second run of the same file changes nothing', async () => {
    const { tenantId } = await makeTenant(t, 'CsvUp', 'csvup');
    const csv =
      'externalId,username,email,verified,plan,attr.n,attr.s,passwordHash\n' +
      'k1,k1,k1@x.io,true,gold,5,"a,b",$pbkdf2-sha512$i=1000$TmFDbC1zYWx0LTE2Ynl0ZQ$rlMUgiCVRImeAYp4+nmawaXsJd+iI5wZ9WQR16EQVVVtOKx3JrxKmHCAyFSTMjXm/Ng6Om8Ij3wj3UvR00u0Zw\n' +
      'k2,k2,,,,,,"{""algorithm"":""sha256"",""salt"":""pepper"",""hash"":""b2f146a7358bad9124bb3a8368ebe4ec738899c5868ef93a0a33062b62d8e884""}"\n';
    expect((await importFile(t, tenantId, csv, { type: 'text/csv', query: 'mode=upsert' })).counts).toMatchObject({
      created: 2,
      failed: 0,
    });
    const before = await allUsers(t, tenantId);
    expect(before[0]).toMatchObject({
      verified: true,
      plan: 'gold',
      attributes: { n: 5, s: 'a,b' },
      hasPassword: true,
    });
    expect(before[1]).toMatchObject({ email: null, verified: false, plan: 'free', attributes: {}, hasPassword: true });
    const again = await importFile(t, tenantId, csv, { type: 'text/csv', query: 'mode=upsert' });
    expect(again.counts).toEqual({ rows: 2, created: 0, updated: 0, unchanged: 2, failed: 0 });
    expect(await allUsers(t, tenantId)).toEqual(before);
  });

  it('keeps the job in the database: another Roster process on the same database answers it; OpenAPI lists the routes', async () => {
    const { tenantId } = await makeTenant(t, 'Multi', 'multi');
    const job = await importFile(t, tenantId, ndjson([{ username: 'm1' }, { username: 'm2', email: 'x' }]));
    const rt2 = await startRuntime({ databaseUrl: t.url, rootKey: ROOT_KEY, argon2: TEST_ARGON2 });
    const app2 = await buildApp(rt2.services);
    try {
      const r = await app2.inject({
        method: 'GET',
        url: `/admin/v1/tenants/${tenantId}/imports/${job.id}`,
        headers: { authorization: `Bearer ${ROOT_KEY}` },
      });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({
        id: job.id,
        state: 'done',
        counts: { rows: 2, created: 1, failed: 1 },
        errors: [{ line: 2 }],
      });
      const missing = await app2.inject({
        method: 'GET',
        url: `/admin/v1/tenants/${tenantId}/imports/999999`,
        headers: { authorization: `Bearer ${ROOT_KEY}` },
      });
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error.code).toBe('import.not_found');
    } finally {
      await app2.close();
      await rt2.close();
    }
    const spec = (await t.req({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/admin/v1/tenants/{id}/imports',
        '/admin/v1/tenants/{id}/imports/{jobId}',
        '/admin/v1/tenants/{id}/export',
      ]),
    );
  });

  it('checks roles: editors import, viewers read jobs but cannot import, other tenants are not found', async () => {
    const a = await makeTenant(t, 'RoleA', 'rolea');
    const b = await makeTenant(t, 'RoleB', 'roleb');
    const url = `/admin/v1/tenants/${a.tenantId}/imports`;
    const post = (key: string | null) =>
      t.req({
        method: 'POST',
        url,
        key,
        headers: { 'content-type': 'application/x-ndjson' },
        payload: ndjson([{ username: 'r' }]),
      });
    expect((await post(a.keys.viewer)).statusCode).toBe(403);
    expect((await post(b.keys.owner)).statusCode).toBe(404);
    expect((await post(null)).statusCode).toBe(401);
    const job = await importFile(t, a.tenantId, ndjson([{ username: 'r' }]), { key: a.keys.editor });
    expect((await t.req({ method: 'GET', url: `${url}/${job.id}`, key: a.keys.viewer })).statusCode).toBe(200);
    expect((await t.req({ method: 'GET', url: `${url}/${job.id}`, key: b.keys.owner })).statusCode).toBe(404);
    expect(
      (await t.req({ method: 'GET', url: `/admin/v1/tenants/${b.tenantId}/imports/${job.id}`, key: b.keys.owner }))
        .statusCode,
    ).toBe(404);
    expect(await userCount(t, a.tenantId)).toBe(1);
  });
});
