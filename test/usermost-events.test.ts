import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { base, container, eventsOf, userCount, USERMOST_TIME } from './support/usermost.ts';

describe.each(backends())('Usermost events ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
  });
  afterAll(() => t.close());

  const events = `${base('acme')}/events`;
  const batch = `${base('acme')}/eventsBatch`;

  it('records an event for an unknown user, creating the user', async () => {
    const before = await userCount(t, acme.tenantId);
    const c = container(
      await t.req({
        method: 'POST',
        url: events,
        key: acme.keys.editor,
        payload: {
          userId: 'walker',
          eventName: 'purchase',
          eventTime: '2013-01-26T07:31:05+0000',
          params: { amount: 12.5, items: ['a', 'b'], gift: false },
        },
      }),
      201,
    );
    expect(c.response.data).toEqual({
      id: expect.any(Number),
      userId: 'walker',
      eventName: 'purchase',
      eventTime: '2013-01-26T07:31:05+0000',
      params: { amount: 12.5, items: ['a', 'b'], gift: false },
      createdAt: expect.stringMatching(USERMOST_TIME),
    });
    expect(await userCount(t, acme.tenantId)).toBe(before + 1);
    const u = container(await t.req({ method: 'GET', url: `${base('acme')}/users/walker`, key: acme.keys.viewer }), 200)
      .response.data;
    expect(u).toEqual({
      userId: 'walker',
      createdAt: expect.stringMatching(USERMOST_TIME),
      updatedAt: expect.stringMatching(USERMOST_TIME),
    });
    // A known user gets the event without being changed.
    container(await t.req({ method: 'POST', url: events, payload: { userId: 'walker', eventName: 'logout' } }), 201);
    expect(await userCount(t, acme.tenantId)).toBe(before + 1);
    expect(container(await t.req({ method: 'GET', url: `${base('acme')}/users/walker` }), 200).response.data).toEqual(
      u,
    );
  });

  it('defaults eventTime to now and params to {}; reads the documented time forms into UTC', async () => {
    const d = container(
      await t.req({ method: 'POST', url: events, payload: { userId: 'timer', eventName: 'ping' } }),
      201,
    ).response.data;
    expect(d.params).toEqual({});
    expect(d.eventTime).toMatch(USERMOST_TIME);
    expect(Math.abs(Date.parse(d.eventTime.replace('+0000', 'Z')) - Date.now())).toBeLessThan(60_000);
    const forms: [string, string][] = [
      ['2013-01-26T07:31+0000', '2013-01-26T07:31:00+0000'],
      ['2013-01-26T07:31:05Z', '2013-01-26T07:31:05+0000'],
      ['2013-01-26T07:31:05.999Z', '2013-01-26T07:31:05+0000'],
      ['2013-01-26T09:31:05+0200', '2013-01-26T07:31:05+0000'],
      ['2013-01-26T02:31:05-05:00', '2013-01-26T07:31:05+0000'],
      ['2013-01-01T00:30:00+0100', '2012-12-31T23:30:00+0000'],
    ];
    for (const [sent, shown] of forms) {
      const e = container(
        await t.req({ method: 'POST', url: events, payload: { userId: 'timer', eventName: 'form', eventTime: sent } }),
        201,
      ).response.data;
      expect(e.eventTime, sent).toBe(shown);
    }
  });

  it('lists events newest first (by event time), by page', async () => {
    const times = [
      '2020-01-03T00:00:00+0000',
      '2020-01-01T00:00:00+0000',
      '2020-01-05T00:00:00+0000',
      '2020-01-02T00:00:00+0000',
      '2020-01-04T00:00:00+0000',
    ];
    for (const [i, eventTime] of times.entries()) {
      container(
        await t.req({ method: 'POST', url: events, payload: { userId: 'lister', eventName: `e${i}`, eventTime } }),
        201,
      );
    }
    // Two at the same time: the later recorded comes first.
    container(
      await t.req({
        method: 'POST',
        url: events,
        payload: { userId: 'lister', eventName: 'tieA', eventTime: '2020-01-05T00:00:00+0000' },
      }),
      201,
    );
    const p1 = container(
      await t.req({ method: 'GET', url: `${base('acme')}/users/lister/events?limit=3`, key: acme.keys.viewer }),
      200,
    ).response.data;
    expect(p1).toMatchObject({ userId: 'lister', page: 1, limit: 3, total: 6 });
    expect(p1.events.map((e: any) => e.eventName)).toEqual(['tieA', 'e2', 'e4']);
    const p2 = container(await t.req({ method: 'GET', url: `${base('acme')}/users/lister/events?limit=3&page=2` }), 200)
      .response.data;
    expect(p2.events.map((e: any) => e.eventName)).toEqual(['e0', 'e3', 'e1']);
    const p3 = container(await t.req({ method: 'GET', url: `${base('acme')}/users/lister/events?limit=3&page=3` }), 200)
      .response.data;
    expect(p3).toMatchObject({ events: [], total: 6 });
    for (const e of p1.events) {
      expect(e.userId).toBe('lister');
      expect(e.eventTime).toMatch(USERMOST_TIME);
      expect(e.createdAt).toMatch(USERMOST_TIME);
    }
    for (const q of ['limit=0', 'limit=1001', 'page=0', 'page=abc']) {
      container(await t.req({ method: 'GET', url: `${base('acme')}/users/lister/events?${q}` }), 400);
    }
    container(await t.req({ method: 'GET', url: `${base('acme')}/users/nobody/events` }), 404);
  });

  it('records a batch of up to 500 events, creating unknown users, all in one answer', async () => {
    const before = await userCount(t, acme.tenantId);
    const list = Array.from({ length: 500 }, (_, i) => ({
      userId: `b${i % 3}`,
      eventName: `n${i}`,
      eventTime: '2021-06-01T12:00:00+0000',
      params: { i },
    }));
    const d = container(
      await t.req({ method: 'POST', url: batch, key: acme.keys.editor, payload: { events: list } }),
      201,
    ).response.data;
    expect(d.count).toBe(500);
    expect(d.events).toHaveLength(500);
    expect(d.events[7]).toMatchObject({
      userId: 'b1',
      eventName: 'n7',
      params: { i: 7 },
      eventTime: '2021-06-01T12:00:00+0000',
    });
    expect(await userCount(t, acme.tenantId)).toBe(before + 3);
    const b0 = await eventsOf(t, 'acme', 'b0');
    expect(b0).toHaveLength(167);
    // Same time for all: newest recorded first.
    expect(b0![0].eventName).toBe('n498');
  });

  it('rejects a whole batch when any event is bad, recording nothing and creating no user', async () => {
    container(await t.req({ method: 'POST', url: events, payload: { userId: 'keeper', eventName: 'first' } }), 201);
    const users = await userCount(t, acme.tenantId);
    const kept = await eventsOf(t, 'acme', 'keeper');
    const good = (n: number) => ({ userId: n % 2 ? 'keeper' : `brand-new-${n}`, eventName: `ok${n}` });
    const bad: [unknown, RegExp][] = [
      [
        { events: [good(1), good(2), { userId: 'keeper', eventName: 'x', eventTime: 'yesterday' }] },
        /events\.2\.eventTime/,
      ],
      [{ events: [good(1), { userId: 'keeper' }] }, /eventName/],
      [{ events: [good(2), { userId: 'keeper', eventName: 5 }] }, /eventName/],
      [{ events: [good(2), { userId: 'keeper', eventName: 'x', params: [1, 2] }] }, /params/],
      [{ events: [good(2), { userId: 'keeper', eventName: 'x', params: { big: 'x'.repeat(70 * 1024) } }] }, /64 KiB/],
      [{ events: [good(2), { userId: 'keeper', eventName: 'x', extra: 1 }] }, /extra/],
      [{ events: [good(2), { userId: 'keeper', eventName: 'x', eventTime: '2013-02-30T00:00:00+0000' }] }, /eventTime/],
      [{ events: Array.from({ length: 501 }, (_, i) => good(i)) }, /500|events/],
      [{ events: [] }, /events/],
      [{ events: 'nope' }, /events/],
      [{}, /events/],
      [[good(1)], /object/],
    ];
    for (const [payload, msg] of bad) {
      const r = container(await t.req({ method: 'POST', url: batch, payload: payload as object }), 400);
      expect(r.response.message).toMatch(msg);
    }
    expect(await userCount(t, acme.tenantId)).toBe(users);
    expect(await eventsOf(t, 'acme', 'keeper')).toEqual(kept);
    container(await t.req({ method: 'GET', url: `${base('acme')}/users/brand-new-2` }), 404);
  });

  it('answers bad single events with 400 and records nothing', async () => {
    container(await t.req({ method: 'POST', url: events, payload: { userId: 'solo', eventName: 'first' } }), 201);
    const users = await userCount(t, acme.tenantId);
    const kept = await eventsOf(t, 'acme', 'solo');
    const bad: [string | undefined, string, RegExp][] = [
      ['application/json', '{"userId":"solo","eventName":', /JSON/],
      ['text/plain', 'solo signed in', /JSON/],
      ['application/json', '{"userId":"solo"}', /eventName/],
      ['application/json', '{"eventName":"x"}', /userId/],
      ['application/json', '{"userId":"new-solo","eventName":""}', /eventName/],
      ['application/json', '{"userId":"new-solo","eventName":"x","eventTime":1359185465}', /eventTime/],
      ['application/json', '{"userId":"new-solo","eventName":"x","eventTime":"2013-01-26"}', /eventTime/],
      ['application/json', '{"userId":"new-solo","eventName":"x","eventTime":"2013-01-26T25:00:00+0000"}', /eventTime/],
      ['application/json', '{"userId":"new-solo","eventName":"x","params":"a=b"}', /params/],
      ['application/json', '{"userId":"new-solo","eventName":"x","params":null}', /params/],
      ['application/json', JSON.stringify({ userId: 'new-solo', eventName: 'x'.repeat(256) }), /eventName/],
      ['application/json', '{"userId":"new\\u0000solo","eventName":"x"}', /userId/],
      ['application/json', '{"userId":"new-solo","eventName":"x\\u0000"}', /eventName/],
      ['application/json', '{"userId":"new-solo","eventName":"\\ud800"}', /eventName/],
      ['application/json', '{"userId":"new-solo","eventName":"x","params":{"a":"\\u0000"}}', /params/],
      ['application/json', '{"userId":"new-solo","eventName":"x","params":{"a":["\\udfff"]}}', /params/],
      ['application/json', '{"userId":"new-solo","eventName":"x","params":{"\\u0000":1}}', /params/],
      [
        'application/json',
        JSON.stringify({ userId: 'new-solo', eventName: 'x', params: { a: 'x'.repeat(1100 * 1024) } }),
        /larger/,
      ],
      [undefined, '', /body/],
    ];
    for (const [type, payload, msg] of bad) {
      const r = container(
        await t.req({ method: 'POST', url: events, headers: type ? { 'content-type': type } : {}, payload }),
        400,
      );
      expect(r.response.message, payload.slice(0, 80)).toMatch(msg);
    }
    expect(await userCount(t, acme.tenantId)).toBe(users);
    expect(await eventsOf(t, 'acme', 'solo')).toEqual(kept);
  });

  it('refuses a batch body over its size limit with 400', async () => {
    const users = await userCount(t, acme.tenantId);
    const list = Array.from({ length: 200 }, (_, i) => ({
      userId: `huge${i}`,
      eventName: 'x',
      params: { pad: 'x'.repeat(60 * 1024) },
    }));
    const r = container(
      await t.req({
        method: 'POST',
        url: batch,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ events: list }),
      }),
      400,
    );
    expect(r.response.message).toMatch(/larger/);
    expect(await userCount(t, acme.tenantId)).toBe(users);
  });
});
