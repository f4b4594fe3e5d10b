import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import type { InjectOptions } from 'fastify';
import { backends, type Backend } from './support/backends.ts';
import { makeTenant, ROOT_KEY, TEST_ARGON2, type Fixture, type TestApp } from './support/harness.ts';
import { ndjson, waitJob } from './support/imports.ts';
import { startReceiver, type Receiver } from './support/webhooks.ts';
import { parseMetrics, valueOf } from './support/prometheus.ts';
import { buildApp, type App } from '../src/http/app.ts';
import { startRuntime, type Runtime } from '../src/runtime.ts';
import { ConfigError, loadConfig, webhookConfig, type WebhookConfig } from '../src/config.ts';
import { SecretBox } from '../src/services/secret-box.ts';
import { isPrivateAddress } from '../src/services/webhook-sender.ts';

const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';

/** A Roster with its delivery worker running, on a fresh database, with a quick retry schedule. */
async function startWebhookApp(backend: Backend, over: Partial<WebhookConfig> = {}) {
  const db = await backend.fresh();
  const runtime: Runtime = await startRuntime(
    {
      databaseUrl: db.url,
      rootKey: ROOT_KEY,
      argon2: TEST_ARGON2,
      webhooks: {
        ...webhookConfig(),
        allowPrivate: true,
        timeoutMs: 1000,
        retryScheduleMs: [50],
        pollMs: 20,
        ...over,
      },
    },
    { deliverWebhooks: true },
  );
  const app: App = await buildApp(runtime.services);
  await app.ready();
  const t = {
    app,
    runtime,
    url: db.url,
    req: ({ key, headers, ...o }: InjectOptions & { key?: string }) =>
      app.inject({ ...o, headers: { authorization: `Bearer ${key ?? ROOT_KEY}`, ...(headers as object) } }),
    async close() {
      await app.close();
      await runtime.close();
      await db.drop();
    },
  } as unknown as TestApp;
  return t;
}

describe.each(backends())('webhooks ($name)', (backend) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  afterAll(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(over: Partial<WebhookConfig> = {}, behaviour?: Parameters<typeof startReceiver>[0]) {
    const t = await startWebhookApp(backend, over);
    cleanups.push(() => t.close());
    const rx = await startReceiver(behaviour);
    cleanups.push(() => rx.close());
    const acme = await makeTenant(t, 'Acme', 'acme');
    return { t, rx, acme };
  }

  async function subscribe(t: TestApp, f: Fixture, rx: Receiver, events: string[] = ['user.*']) {
    const r = await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${f.tenantId}/webhooks`,
      key: f.keys.admin,
      payload: { url: rx.url, events, description: 'CRM' },
    } as never);
    expect(r.statusCode, r.body).toBe(201);
    return r.json() as { id: number; secret: string; active: boolean };
  }

  type DeliveryWire = {
    id: number;
    state: string;
    attempts: number;
    log: { status: number | null; error: string | null; response: string | null }[];
  };
  /** A subscription's delivery log, read until `pred` holds (outcomes are recorded just after the answer). */
  async function deliveriesOf(
    t: TestApp,
    f: Fixture,
    id: number,
    pred: (items: DeliveryWire[]) => boolean,
  ): Promise<{ items: DeliveryWire[] }> {
    for (let i = 0; ; i++) {
      const r = await t.req({
        method: 'GET',
        url: `/admin/v1/tenants/${f.tenantId}/webhooks/${id}/deliveries?limit=100`,
        key: f.keys.admin,
      } as never);
      expect(r.statusCode, r.body).toBe(200);
      const body = r.json() as { items: DeliveryWire[] };
      if (pred(body.items) || i > 1500) return body;
      await new Promise((res) => setTimeout(res, 20));
    }
  }

  const createUser = (t: TestApp, f: Fixture, username: string, extra: object = {}) =>
    t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${f.tenantId}/users`,
      payload: { username, email: `${username}@acme.test`, ...extra },
    });

  it('manages subscriptions (admin role): the secret once, validation, update, rotate, delete, all audited', async () => {
    const { t, rx, acme } = await setup();
    const base = `/admin/v1/tenants/${acme.tenantId}/webhooks`;
    for (const role of ['viewer', 'editor'] as const) {
      const r = await t.req({
        method: 'POST',
        url: base,
        key: acme.keys[role],
        payload: { url: rx.url, events: ['*'] },
      } as never);
      expect(r.statusCode, role).toBe(403);
    }
    const sub = await subscribe(t, acme, rx, ['user.create', 'group.*']);
    expect(sub.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(sub).toMatchObject({ active: true, events: ['user.create', 'group.*'], description: 'CRM' });

    const list = await t.req({ method: 'GET', url: base, key: acme.keys.admin } as never);
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(sub.secret);
    expect(list.json().items).toHaveLength(1);
    const one = await t.req({ method: 'GET', url: `${base}/${sub.id}`, key: acme.keys.admin } as never);
    expect(one.json()).not.toHaveProperty('secret');

    const bad = [
      [{ url: 'ftp://x.test/', events: ['*'] }, 'webhook.invalid_url'],
      [{ url: 'not a url', events: ['*'] }, 'webhook.invalid_url'],
      [{ url: 'http://u:p@x.test/', events: ['*'] }, 'webhook.invalid_url'],
      [{ url: rx.url, events: ['user.'] }, 'webhook.invalid_events'],
      [{ url: rx.url, events: ['User.Create'] }, 'webhook.invalid_events'],
    ] as const;
    for (const [payload, code] of bad) {
      const r = await t.req({ method: 'POST', url: base, key: acme.keys.admin, payload } as never);
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.json().error.code).toBe(code);
    }
    const empty = await t.req({
      method: 'POST',
      url: base,
      key: acme.keys.admin,
      payload: { url: rx.url, events: [] },
    } as never);
    expect(empty.statusCode).toBe(400);

    const upd = await t.req({
      method: 'PATCH',
      url: `${base}/${sub.id}`,
      key: acme.keys.admin,
      payload: { events: ['user.*'], active: false },
    } as never);
    expect(upd.statusCode, upd.body).toBe(200);
    expect(upd.json()).toMatchObject({ events: ['user.*'], active: false });

    const rot = await t.req({ method: 'POST', url: `${base}/${sub.id}/rotate-secret`, key: acme.keys.admin } as never);
    expect(rot.statusCode, rot.body).toBe(200);
    expect(rot.json().secret).toMatch(/^whsec_/);
    expect(rot.json().secret).not.toBe(sub.secret);
    const overlap = Date.parse(rot.json().previousSecretExpiresAt) - Date.now();
    expect(overlap).toBeGreaterThan(23 * 3600_000);
    expect(overlap).toBeLessThanOrEqual(24 * 3600_000);

    // another tenant's admin sees nothing of it
    const other = await makeTenant(t, 'Other', 'other');
    expect((await t.req({ method: 'GET', url: `${base}/${sub.id}`, key: other.keys.admin } as never)).statusCode).toBe(
      404,
    );

    expect(
      (await t.req({ method: 'DELETE', url: `${base}/${sub.id}`, key: acme.keys.admin } as never)).statusCode,
    ).toBe(204);
    expect((await t.req({ method: 'GET', url: `${base}/${sub.id}`, key: acme.keys.admin } as never)).statusCode).toBe(
      404,
    );

    const trail = (await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/audit?limit=100` })).json();
    const actions = trail.items.map((e: { action: string }) => e.action);
    for (const a of ['webhook.create', 'webhook.update', 'webhook.rotate_secret', 'webhook.delete'])
      expect(actions).toContain(a);
    expect(trail.items.find((e: { action: string }) => e.action === 'webhook.rotate_secret').changes.secret).toEqual({
      before: '[redacted]',
      after: '[redacted]',
    });
    expect(JSON.stringify(trail)).not.toContain(sub.secret);
    expect(JSON.stringify(trail)).not.toContain(rot.json().secret);
  });

  it('delivers every change of every path in commit order, verifiable with the standardwebhooks library', async () => {
    const { t, rx, acme } = await setup();
    const sub = await subscribe(t, acme, rx, ['user.*', 'group.*']);
    const verifier = new Webhook(sub.secret);

    expect((await createUser(t, acme, 'ann', { password: 'Secret-password-1' })).statusCode).toBe(201);
    const bob = await createUser(t, acme, 'bob');
    expect(bob.statusCode).toBe(201);
    const bobId = bob.json().id;
    expect(
      (
        await t.req({
          method: 'PATCH',
          url: `/admin/v1/tenants/${acme.tenantId}/users/${bobId}`,
          payload: { displayName: 'Bob B.' },
        })
      ).statusCode,
    ).toBe(200);
    const scim = await t.req({
      method: 'POST',
      url: '/scim/v2/Users',
      key: acme.keys.editor,
      payload: { schemas: [USER_URN], userName: 'carol' },
    } as never);
    expect(scim.statusCode, scim.body).toBe(201);
    const grp = await t.req({
      method: 'POST',
      url: '/scim/v2/Groups',
      key: acme.keys.editor,
      payload: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Sales' },
    } as never);
    expect(grp.statusCode, grp.body).toBe(201);
    const imp = await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${acme.tenantId}/imports`,
      headers: { 'content-type': 'application/x-ndjson' },
      payload: ndjson([{ username: 'imp1' }, { username: 'imp2' }]),
    });
    expect(imp.statusCode, imp.body).toBe(202);
    await waitJob(t, acme.tenantId, imp.json().id);
    expect(
      (await t.req({ method: 'DELETE', url: `/admin/v1/tenants/${acme.tenantId}/users/${bobId}` })).statusCode,
    ).toBe(204);
    // not subscribed: no delivery
    await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${acme.tenantId}/managers`,
      payload: { name: 'm', email: 'm@acme.test', role: 'viewer' },
    });

    // the trail, oldest first, restricted to what the subscription asked for, is what arrives
    const trail = (await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/audit?limit=1000` })).json();
    const expected = (trail.items as { id: number; action: string }[])
      .filter((e) => /^(user|group)\./.test(e.action))
      .reverse();
    expect(expected.length).toBe(8);
    const got = await rx.until((r) => r.length >= expected.length);
    expect(got.map((r) => r.json.id)).toEqual(expected.map((e) => `evt_${e.id}`));
    expect(got.map((r) => r.json.type)).toEqual([
      'user.create',
      'user.create',
      'user.update',
      'user.create',
      'group.create',
      'user.create',
      'user.create',
      'user.delete',
    ]);
    for (const r of got) {
      // throws when the signature, id or timestamp does not verify
      expect(verifier.verify(r.body, r.headers as Record<string, string>)).toEqual(r.json);
      expect(r.headers['webhook-id']).toBe(r.json.id);
      expect(r.json.tenant).toBe(acme.tenantId);
    }
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(
        got[0].body,
        got[0].headers as Record<string, string>,
      ),
    ).toThrow();
    const annCreated = got[0].json;
    expect(annCreated).toMatchObject({
      type: 'user.create',
      actor: 'root',
      data: { before: { username: null }, after: { username: 'ann' } },
    });
    expect(got[0].body).not.toContain('Secret-password-1');
    expect(got[2].json.data).toEqual({ before: { displayName: null }, after: { displayName: 'Bob B.' } });
    expect(got[3].json.actor).toMatch(/^manager:\d+$/);

    // the delivery log shows each one sent, one attempt, status 200 (recorded just after the answer)
    const log = await deliveriesOf(t, acme, sub.id, (items) => items.every((d) => d.state === 'sent'));
    expect(log.items).toHaveLength(8);
    for (const d of log.items) {
      expect(d).toMatchObject({ state: 'sent', attempts: 1, nextAttemptAt: null });
      expect(d.log).toEqual([expect.objectContaining({ status: 200, error: null, response: 'ok' })]);
    }

    // metrics
    const m = parseMetrics((await t.app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(valueOf(m, 'roster_webhook_deliveries_total', { outcome: 'sent' })).toBe(8);
    expect(valueOf(m, 'roster_webhook_pending_deliveries')).toBe(0);
    expect(valueOf(m, 'roster_webhook_oldest_pending_age_seconds')).toBe(0);

    // redeliver: the same event (same webhook-id) once more
    const first = log.items.at(-1)!;
    const again = await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${acme.tenantId}/webhooks/${sub.id}/deliveries/${first.id}/redeliver`,
      key: acme.keys.admin,
    } as never);
    expect(again.statusCode, again.body).toBe(202);
    const after = await rx.until((r) => r.length === 9);
    expect(after[8].json.id).toBe(got[0].json.id);
    expect(verifier.verify(after[8].body, after[8].headers as Record<string, string>)).toEqual(got[0].json);
  });

  it('retries after a 500 and after a timeout, in order, logging each attempt', async () => {
    // 1st request: 500; 2nd: never answers (times out); then 200
    const { t, rx, acme } = await setup({ timeoutMs: 300 }, (n) => (n === 0 ? 500 : n === 1 ? 'hang' : 200));
    const sub = await subscribe(t, acme, rx);
    await createUser(t, acme, 'first');
    await createUser(t, acme, 'second');
    const got = await rx.until((r) => r.length >= 4);
    // the first event three times (500, timeout, 200), and only then the second
    expect(got.map((r) => r.json.data.after.username)).toEqual(['first', 'first', 'first', 'second']);
    expect(new Set(got.slice(0, 3).map((r) => r.json.id)).size).toBe(1);
    const log = await deliveriesOf(
      t,
      acme,
      sub.id,
      (items) => items.length === 2 && items.every((d) => d.state === 'sent'),
    );
    const firstDelivery = log.items.at(-1)!;
    expect(firstDelivery.state).toBe('sent');
    expect(firstDelivery.attempts).toBe(3);
    expect(firstDelivery.log.map((a: { status: number | null }) => a.status)).toEqual([500, null, 200]);
    expect(firstDelivery.log[0].response).toContain('failing on purpose');
    expect(firstDelivery.log[1].error).toMatch(/timed out/);
    const m = parseMetrics((await t.app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(valueOf(m, 'roster_webhook_deliveries_total', { outcome: 'failed' })).toBe(2);
  });

  it('switches a subscription off after failing for the configured time (audited), and resumes when switched on', async () => {
    const { t, rx, acme } = await setup({ disableAfterMs: 300 }, () => 500);
    const sub = await subscribe(t, acme, rx);
    await createUser(t, acme, 'doomed');
    const url = `/admin/v1/tenants/${acme.tenantId}/webhooks/${sub.id}`;
    let state: { active: boolean; disabledReason: string | null } = { active: true, disabledReason: null };
    for (let i = 0; i < 500 && state.active; i++) {
      await new Promise((r) => setTimeout(r, 20));
      state = (await t.req({ method: 'GET', url, key: acme.keys.admin } as never)).json();
    }
    expect(state.active).toBe(false);
    expect(state.disabledReason).toMatch(/failed/);
    const trail = (
      await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/audit?action=webhook.disable` })
    ).json();
    expect(trail.items).toEqual([expect.objectContaining({ actor: 'system', target: `webhook:${sub.id}` })]);
    const tries = rx.received.length;
    expect(tries).toBeGreaterThanOrEqual(2);
    // nothing is sent while off; switched on again, the pending event goes out
    rx.behaviour = () => 200;
    await createUser(t, acme, 'while-off');
    const on = await t.req({ method: 'PATCH', url, key: acme.keys.admin, payload: { active: true } } as never);
    expect(on.json()).toMatchObject({ active: true, disabledReason: null, failingSince: null });
    const got = await rx.until((r) => r.some((x) => x.json.data.after.username === 'doomed' && r.indexOf(x) >= tries));
    expect(got[tries].json.data.after.username).toBe('doomed');
  });

  it('sends nothing for a change that rolled back', async () => {
    const { t, rx, acme } = await setup();
    await subscribe(t, acme, rx);
    // an atomic import with one bad row: all of it rolls back, audit events and outbox rows included
    const imp = await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${acme.tenantId}/imports?atomic=true`,
      headers: { 'content-type': 'application/x-ndjson' },
      payload: ndjson([{ username: 'rolled1' }, { username: 'rolled2' }, { username: 'bad', email: 'not-an-email' }]),
    });
    expect(imp.statusCode, imp.body).toBe(202);
    expect((await waitJob(t, acme.tenantId, imp.json().id)).state).toBe('failed');
    // a conflict: no user, no event
    expect((await createUser(t, acme, 'dup')).statusCode).toBe(201);
    expect((await createUser(t, acme, 'dup')).statusCode).toBe(409);
    await createUser(t, acme, 'marker');
    const got = await rx.until((r) => r.some((x) => x.json.data.after.username === 'marker'));
    expect(got.map((r) => r.json.data.after.username)).toEqual(['dup', 'marker']);
  });

  it('signs with the old secret beside the new one after a rotation (secrets encrypted at rest)', async () => {
    const { t, rx, acme } = await setup({ secretKey: 'a-secret-key-of-more-than-32-characters' });
    const sub = await subscribe(t, acme, rx);
    const rot = (
      await t.req({
        method: 'POST',
        url: `/admin/v1/tenants/${acme.tenantId}/webhooks/${sub.id}/rotate-secret`,
        key: acme.keys.admin,
      } as never)
    ).json();
    await createUser(t, acme, 'rotated');
    const [r] = await rx.until((x) => x.length === 1);
    expect(String(r.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(new Webhook(sub.secret).verify(r.body, r.headers as Record<string, string>)).toEqual(r.json);
    expect(new Webhook(rot.secret).verify(r.body, r.headers as Record<string, string>)).toEqual(r.json);
    const stored = await t.runtime.db.kysely
      .selectFrom('webhookSubscriptions')
      .select(['secret', 'previousSecret'])
      .executeTakeFirstOrThrow();
    expect(stored.secret).toMatch(/^enc:v1:/);
    expect(stored.previousSecret).toMatch(/^enc:v1:/);
    expect(JSON.stringify(stored)).not.toContain(rot.secret.slice(6));
    expect(JSON.stringify(stored)).not.toContain(sub.secret.slice(6));
  });

  it('refuses private and loopback targets unless allowed (SSRF), after DNS resolution', async () => {
    const { t, rx, acme } = await setup({ allowPrivate: false });
    const sub = await subscribe(t, acme, rx);
    // a name that resolves to loopback is refused as well as the literal address
    const byName = await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${acme.tenantId}/webhooks`,
      key: acme.keys.admin,
      payload: { url: rx.url.replace('127.0.0.1', 'localhost'), events: ['user.*'] },
    } as never);
    expect(byName.statusCode).toBe(201);
    await createUser(t, acme, 'ssrf');
    const url = `/admin/v1/tenants/${acme.tenantId}/webhooks`;
    let logs: { log: { error: string | null }[] }[][] = [];
    for (let i = 0; i < 500; i++) {
      logs = await Promise.all(
        [sub.id, byName.json().id].map(
          async (id) =>
            (await t.req({ method: 'GET', url: `${url}/${id}/deliveries`, key: acme.keys.admin } as never)).json()
              .items,
        ),
      );
      if (logs.every((items) => items[0]?.log.length > 0)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const items of logs) expect(items[0].log[0].error).toMatch(/^refused: .*private or reserved/);
    expect(rx.received).toHaveLength(0);
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '169.254.169.254',
      '192.168.0.1',
      '172.20.0.1',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '100.64.0.1',
    ])
      expect(isPrivateAddress(a), a).toBe(true);
    for (const a of ['93.184.216.34', '2606:2800:220:1::1', '8.8.8.8']) expect(isPrivateAddress(a), a).toBe(false);
  });
});

describe('webhook settings', () => {
  it('reads durations with units and refuses bad values by name', () => {
    expect(webhookConfig()).toMatchObject({
      allowPrivate: false,
      timeoutMs: 10_000,
      retryScheduleMs: [5000, 30_000, 120_000, 600_000, 3_600_000, 21_600_000, 86_400_000],
      disableAfterMs: 3 * 86_400_000,
      secretKey: null,
    });
    expect(
      webhookConfig({ ROSTER_WEBHOOK_RETRY_SCHEDULE: '100ms,2s', ROSTER_WEBHOOK_ALLOW_PRIVATE: 'true' }),
    ).toMatchObject({ retryScheduleMs: [100, 2000], allowPrivate: true });
    for (const [name, value] of [
      ['ROSTER_WEBHOOK_RETRY_SCHEDULE', '5s,,1m'],
      ['ROSTER_WEBHOOK_TIMEOUT', '10'],
      ['ROSTER_WEBHOOK_DISABLE_AFTER', '0d'],
      ['ROSTER_WEBHOOK_ALLOW_PRIVATE', 'yes'],
      ['ROSTER_SECRET_KEY', 'too-short'],
    ])
      expect(() => loadConfig({ [name]: value }), name).toThrow(new RegExp(name));
    expect(() => loadConfig({ ROSTER_WEBHOOK_TIMEOUT: 'x' })).toThrow(ConfigError);
  });

  it('keeps signing secrets encrypted at rest when ROSTER_SECRET_KEY is set', () => {
    const box = new SecretBox('k'.repeat(40));
    const sealed = box.seal('whsec_abc');
    expect(sealed).toMatch(/^enc:v1:/);
    expect(sealed).not.toContain('whsec_abc');
    expect(box.open(sealed)).toBe('whsec_abc');
    expect(() => new SecretBox('j'.repeat(40)).open(sealed)).toThrow();
    expect(() => new SecretBox(null).open(sealed)).toThrow(/ROSTER_SECRET_KEY/);
    expect(new SecretBox(null).seal('whsec_abc')).toBe('whsec_abc');
  });
});
