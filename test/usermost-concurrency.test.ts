import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { base } from './support/usermost.ts';

/** Identify is an upsert: without If-Match, concurrent identifies of one user all succeed, on both databases. */
describe.each(backends())('Usermost identify under concurrency ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
  });
  afterAll(() => t.close());

  const identify = (body: Record<string, unknown>) =>
    t.req({ method: 'POST', url: `${base('acme')}/users`, key: acme.keys.owner, payload: body });

  it('30 parallel identical identifies of a new user: one 201, the rest 200, one user', async () => {
    const answers = await Promise.all(
      Array.from({ length: 30 }, () => identify({ userId: 'race-1', email: 'race-1@x.test' })),
    );
    const statuses = answers.map((a) => a.statusCode).sort();
    expect(statuses, answers.map((a) => a.body).join('\n')).toEqual([...Array(29).fill(200), 201].sort());
    const list = await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/users?externalId=race-1` });
    expect(list.json().items).toHaveLength(1);
  });

  it('30 parallel updates of one user all succeed, and every attribute merge is kept', async () => {
    expect((await identify({ userId: 'race-2', email: 'race-2@x.test' })).statusCode).toBe(201);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => identify({ userId: 'race-2', firstName: `F${i}`, [`a${i}`]: i })),
    );
    expect(
      answers.map((a) => a.statusCode),
      answers.map((a) => a.body).join('\n'),
    ).toEqual(Array(30).fill(200));
    const user = (await t.req({ method: 'GET', url: `${base('acme')}/users/race-2`, key: acme.keys.owner })).json()
      .response.data;
    for (let i = 0; i < 30; i++) expect(user[`a${i}`], JSON.stringify(user)).toBe(i);
  });
});
