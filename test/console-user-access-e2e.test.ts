import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { backends } from './support/backends.ts';
import {
  CHROMIUM,
  OWNER_PASSWORD,
  expectAccessible,
  launch,
  ownedTenant,
  screenshot,
  screenshotDir,
  serve,
  signIn,
  watchedPage,
  type Served,
} from './console/browser.ts';

const PASSWORD = 'correct horse battery';
const basic = (password: string) => `Basic ${Buffer.from(`victim:${password}`).toString('base64')}`;

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`console user access e2e: ${CHROMIUM} missing, browser tests skipped`);

describe.skipIf(!haveChromium).each(backends())(
  'console user page: lockout, groups, keys, events ($name)',
  { timeout: 60_000 },
  (backend) => {
    let s: Served;
    let browser: Browser;
    let page: Page;
    let problems: string[];
    let shots: string;
    let tenantId: number;
    let userId: number;

    const rest = (path: string, init: RequestInit) =>
      fetch(`${s.base}${path}`, { ...init, headers: { 'x-roster-tenant': 'acme', ...(init.headers as object) } });

    beforeAll(async () => {
      s = await serve(backend);
      shots = screenshotDir(backend.name);
      console.log(`console user access e2e (${backend.name}): screenshots in ${shots}`);
      const t = await ownedTenant(s);
      tenantId = t.tenantId;
      const u = await s.api('POST', `/admin/v1/tenants/${tenantId}/users`, {
        username: 'victim',
        email: 'victim@example.com',
        displayName: 'Victor Victim',
        password: PASSWORD,
      });
      expect(u.status).toBe(201);
      userId = u.json.id;
      const g = await s.api('POST', `/admin/v1/tenants/${tenantId}/groups`, {
        displayName: 'Support',
        members: [userId],
      });
      expect(g.status).toBe(201);
      const key = await rest('/rest/users/victim/keys', {
        method: 'POST',
        headers: { authorization: basic(PASSWORD), 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'laptop' }),
      });
      expect(key.status).toBe(201);
      const ev = await s.api('POST', '/v1/accounts/acme/events', {
        userId: 'victim-ext',
        eventName: 'purchase',
        params: { amount: 12 },
      });
      expect(ev.status).toBe(201);
      const linked = await s.api('PATCH', `/admin/v1/tenants/${tenantId}/users/${userId}`, { externalId: 'victim-x' });
      expect(linked.status).toBe(200);
      for (let i = 0; i < 10; i++)
        expect((await rest('/rest/users/victim', { headers: { authorization: basic(`wrong ${i}`) } })).status).toBe(
          401,
        );
      browser = await launch();
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' });
      context.setDefaultTimeout(10_000);
      ({ page, problems } = await watchedPage(context));
      await page.goto(`${s.base}/console/users/${userId}`);
      await signIn(page, t.ownerEmail, OWNER_PASSWORD);
    });
    afterAll(async () => {
      await browser?.close();
      await s?.close();
    });

    it("shows the user's groups and keys, and unlocks a locked account", async () => {
      await page.getByRole('list', { name: 'Groups of this user' }).getByRole('link', { name: 'Support' }).waitFor();
      await page.getByRole('table', { name: 'Application keys' }).getByText('laptop').waitFor();
      await page.getByText('Password logins are locked').waitFor();
      await page.getByText('No events recorded for this user.').waitFor();
      await expectAccessible(page, 'user (locked)');
      await screenshot(page, shots, 'user-access');
      await page.getByRole('button', { name: 'Unlock account' }).click();
      await page.getByText('Password logins are locked').waitFor({ state: 'detached' });
      expect((await rest('/rest/users/victim', { headers: { authorization: basic(PASSWORD) } })).status).toBe(200);
    });

    it('revokes an application key', async () => {
      await page.getByRole('button', { name: 'Revoke key laptop' }).click();
      await page.getByText('No application keys.').waitFor();
      const keys = await s.api('GET', `/admin/v1/tenants/${tenantId}/users/${userId}/app-keys`);
      expect(keys.json.items).toEqual([]);
    });

    it("shows a user's events, newest first", async () => {
      const other = await s.api('GET', `/admin/v1/tenants/${tenantId}/users?externalId=victim-ext`);
      await page.goto(`${s.base}/console/users/${other.json.items[0].id}`);
      const events = page.getByRole('table', { name: 'Events of this user' });
      await events.getByText('purchase').waitFor();
      await events.getByText('{"amount":12}').waitFor();
      await expectAccessible(page, 'user (events)');
    });

    it('filters the audit log by date', async () => {
      await page.getByRole('link', { name: 'Audit log', exact: true }).click();
      const rows = page.getByRole('table', { name: 'Audit log' }).locator('tbody tr');
      await rows.filter({ hasText: 'user.unlock' }).waitFor();
      const day = (offset: number) => {
        const d = new Date(Date.now() + offset * 86_400_000);
        return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
      };
      await page.getByLabel('From', { exact: true }).fill(day(1));
      await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(0);
      await page.getByLabel('From', { exact: true }).fill(day(0));
      await page.getByLabel('To', { exact: true }).fill(day(0));
      await rows.filter({ hasText: 'user.unlock' }).waitFor();
      await expectAccessible(page, 'audit log (dates)');
      await screenshot(page, shots, 'audit-dates');
    });

    it('logged no browser error and no 5xx', () => {
      expect(problems).toEqual([]);
    });
  },
);
