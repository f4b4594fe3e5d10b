import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { backends } from './support/backends.ts';
import {
  CHROMIUM,
  expectAccessible,
  launch,
  screenshotDir,
  serve,
  signIn,
  watchedPage,
  type Served,
} from './console/browser.ts';

const PASSWORD = 'console passphrase 1';
const POLL = { timeout: 10_000 };
const FIRST_NAMES = ['Ada', 'Brian', 'Chloe', 'Dmitri', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas'];

// CI installs Debian's chromium (.ci/run); a machine without it skips the browser tests, loudly.
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`console e2e: ${CHROMIUM} missing, browser tests skipped`);

describe.skipIf(!haveChromium).each(backends())('admin console in Chromium ($name)', { timeout: 60_000 }, (backend) => {
  let s: Served;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  let shots: string;
  let tenantId: number;
  let ownerKey: string;
  const userIds: Record<string, number> = {};

  const shot = async (name: string) => {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  };
  const url = (path: string) => `${s.base}/console${path}`;

  beforeAll(async () => {
    s = await serve(backend);
    shots = screenshotDir(backend.name);
    console.log(`console e2e (${backend.name}): screenshots in ${shots}`);
    const t = await s.api('POST', '/admin/v1/tenants', { name: 'Acme Corp', licenseCode: 'acme' });
    tenantId = t.json.id;
    for (const [name, role] of [
      ['Olivia Owner', 'owner'],
      ['Larry Locked', 'viewer'],
    ] as const) {
      const email = `${name.split(' ')[0]!.toLowerCase()}@acme.test`;
      const m = await s.api('POST', `/admin/v1/tenants/${tenantId}/managers`, { name, email, role });
      expect(m.status).toBe(201);
      if (role === 'owner') ownerKey = m.json.apiKey;
      expect((await s.api('PUT', `/admin/v1/managers/${m.json.id}/password`, { password: PASSWORD })).status).toBe(200);
    }
    for (let i = 0; i < 30; i++) {
      const first = FIRST_NAMES[i % 10]!;
      const username = `${first.toLowerCase()}${String(i).padStart(2, '0')}`;
      const r = await s.api('POST', `/admin/v1/tenants/${tenantId}/users`, {
        username,
        email: `${username}@example.com`,
        firstName: first,
        lastName: `Lastname${String(29 - i).padStart(2, '0')}`,
        company: i % 3 === 0 ? 'Initech' : 'Globex',
        active: i % 7 !== 0,
      });
      expect(r.status).toBe(201);
      userIds[username] = r.json.id;
    }
    browser = await launch();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: s.base });
    context.setDefaultTimeout(10_000);
    ({ page, problems } = await watchedPage(context));
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('GET / leads to the sign-in page, which says what is wrong with a bad password', async () => {
    await page.goto(s.base + '/');
    await expect.poll(() => new URL(page.url()).pathname, POLL).toBe('/console/signin');
    await page.getByRole('textbox', { name: 'Email', exact: true }).waitFor();
    await expectAccessible(page, 'sign-in');
    await shot('sign-in');
    await signIn(page, 'olivia@acme.test', 'not the password');
    await page.getByRole('alert').filter({ hasText: 'Wrong email or password.' }).waitFor();
    await page.locator('label', { hasText: 'Root operator' }).click();
    await page.getByRole('textbox', { name: 'Root key', exact: true }).waitFor();
    await expectAccessible(page, 'sign-in (root)');
    await page.locator('label', { hasText: 'Manager' }).click();
  });

  it('locks an account out after repeated wrong passwords and says so', async () => {
    const other = await watchedPage(context);
    await other.page.goto(url('/signin'));
    await signIn(other.page, 'larry@acme.test', 'wrong 0');
    for (let i = 1; i < 10; i++) {
      await other.page.getByRole('textbox', { name: 'Password', exact: true }).fill(`wrong ${i}`);
      await other.page.getByRole('button', { name: 'Sign in' }).click();
      await other.page.getByRole('alert').filter({ hasText: 'Wrong email or password.' }).waitFor();
    }
    await other.page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
    await other.page.getByRole('button', { name: 'Sign in' }).click();
    await other.page.getByRole('alert').filter({ hasText: 'Too many failed sign-ins' }).waitFor();
    expect(other.problems).toEqual([]);
    await other.page.close();
  });

  it('signs an owner in to the dashboard, with counts and the daily chart', async () => {
    await signIn(page, 'olivia@acme.test', PASSWORD);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    for (const link of ['Users', 'Managers', 'Audit log', 'Settings'])
      await page.getByRole('link', { name: link, exact: true }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.getByText('30', { exact: true }).first().waitFor();
    await page.locator('.recharts-surface').first().waitFor();
    await expectAccessible(page, 'dashboard');
    await shot('dashboard');
  });

  it('searches, sorts and pages the users table', async () => {
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    const table = page.getByRole('table', { name: 'Users' });
    const firstCell = table.locator('tbody tr').first().locator('td').nth(1);
    await firstCell.filter({ hasText: 'ada00' }).waitFor();
    await expectAccessible(page, 'users');
    await shot('users');

    await page.getByRole('searchbox', { name: 'Search users', exact: true }).fill('grace');
    await expect.poll(() => table.locator('tbody tr').count(), POLL).toBe(3);
    await page.getByRole('searchbox', { name: 'Search users', exact: true }).fill('');
    await expect.poll(() => table.locator('tbody tr').count(), POLL).toBe(25);

    await table.getByRole('button', { name: 'Username' }).click();
    await firstCell.filter({ hasText: 'ada00' }).waitFor();
    await table.getByRole('button', { name: /Username/ }).click();
    await firstCell.filter({ hasText: 'jonas29' }).waitFor();
    await expect(table.getByRole('columnheader', { name: /Username/ }).getAttribute('aria-sort')).resolves.toBe(
      'descending',
    );

    await page.getByLabel('Page size', { exact: true }).first().click();
    await page.getByRole('option', { name: '10', exact: true }).click();
    await expect.poll(() => table.locator('tbody tr').count(), POLL).toBe(10);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Page 2', { exact: false }).waitFor();
    await firstCell.filter({ hasText: 'grace16' }).waitFor(); // descending: jonas29 … grace26, then grace16 …
  });

  it('edits a user: the change shows through SCIM and in the audit log', async () => {
    const id = userIds['chloe02']!;
    await page.goto(url(`/users/${id}`));
    const company = page.getByRole('textbox', { name: 'Company', exact: true });
    await expect.poll(() => company.inputValue(), POLL).toBe('Globex');
    await company.fill('Umbrella');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await expectAccessible(page, 'user');
    await shot('user');
    const scim = await s.api('GET', `/scim/v2/Users/${id}`, undefined, ownerKey);
    expect(scim.status).toBe(200);
    expect(JSON.stringify(scim.json)).toContain('"organization":"Umbrella"');

    await page.getByRole('link', { name: 'Audit log', exact: true }).click();
    await page.getByRole('textbox', { name: 'Target', exact: true }).fill(`user:${id}`);
    const row = page.getByRole('table', { name: 'Audit log' }).locator('tbody tr').first();
    await row.filter({ hasText: 'user.update' }).waitFor();
    await row.getByRole('button', { name: 'company' }).click();
    await row.getByText('Umbrella').waitFor();
    await row.getByText('Globex').waitFor();
    await expectAccessible(page, 'audit log');
    await shot('audit-log');
  });

  it('shows a concurrent change instead of overwriting it (412)', async () => {
    const id = userIds['dmitri03']!;
    await page.goto(url(`/users/${id}`));
    const title = page.getByRole('textbox', { name: 'Title', exact: true });
    await expect
      .poll(() => page.getByRole('textbox', { name: 'Username', exact: true }).inputValue(), POLL)
      .toBe('dmitri03');
    const theirs = await s.api('PATCH', `/admin/v1/tenants/${tenantId}/users/${id}`, { title: 'Theirs' }, ownerKey);
    expect(theirs.status).toBe(200);
    await title.fill('Mine');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').filter({ hasText: 'This user was changed by someone else' }).waitFor();
    await shot('user-conflict');
    const now = await s.api('GET', `/admin/v1/tenants/${tenantId}/users/${id}`);
    expect(now.json.title).toBe('Theirs');
    await page.getByRole('button', { name: 'Reload' }).click();
    await expect.poll(() => title.inputValue(), POLL).toBe('Theirs');
  });

  it('creates a manager and shows its key once, with a copy button', async () => {
    await page.getByRole('link', { name: 'Managers', exact: true }).click();
    await page.getByRole('table', { name: 'Managers' }).getByText('olivia@acme.test').waitFor();
    await expectAccessible(page, 'managers');
    await shot('managers');
    await page.getByRole('button', { name: 'New manager' }).click();
    const dialog = page.getByRole('dialog', { name: 'New manager' });
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Nora New');
    await dialog.getByRole('textbox', { name: 'Email', exact: true }).fill('nora@acme.test');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const keyDialog = page.getByRole('dialog', { name: 'API key of Nora New' });
    await keyDialog.getByText('It is shown only this once').waitFor();
    const key = (await keyDialog.getByLabel('New API key').innerText()).trim();
    expect(key).toMatch(/^rk_/);
    await expectAccessible(page, 'new key');
    await shot('manager-key');
    await keyDialog.getByRole('button', { name: 'Copy key' }).click();
    await keyDialog.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    const who = await s.api('GET', '/admin/v1/session', undefined, key);
    expect(who.json.manager).toMatchObject({ email: 'nora@acme.test', role: 'viewer' });
    await keyDialog.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('table', { name: 'Managers' }).getByText('nora@acme.test').waitFor();
    expect(await page.content()).not.toContain(key);
  });

  it('shows the settings and works on a phone-width window', async () => {
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await expect
      .poll(() => page.getByRole('textbox', { name: 'Tenant name', exact: true }).inputValue())
      .toBe('Acme Corp');
    await expectAccessible(page, 'settings');
    await shot('settings');
    await page.setViewportSize({ width: 390, height: 844 });
    await page
      .getByRole('link', { name: 'Users', exact: true })
      .click({ force: true })
      .catch(() => {});
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByRole('table', { name: 'Users' }).waitFor();
    await expectAccessible(page, 'users (phone)');
    await shot('users-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('refuses a forged state-changing request that lacks the CSRF token', async () => {
    const forged = await page.evaluate(async (tid) => {
      const r = await fetch(`/admin/v1/tenants/${tid}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'forged' }),
        credentials: 'include',
      });
      return { status: r.status, body: await r.json() };
    }, tenantId);
    expect(forged.status).toBe(403);
    expect(forged.body.error.code).toBe('auth.csrf');
    const found = await s.api('GET', `/admin/v1/tenants/${tenantId}/users?q=forged`);
    expect(found.json.items).toEqual([]);
  });

  it('returns to sign-in when the session expires, then to the page the person was on', async () => {
    await page.goto(url('/managers'));
    await page.getByRole('table', { name: 'Managers' }).waitFor();
    s.runtime.services.console.now = () => Date.now() + 31 * 60_000;
    try {
      await page.getByRole('link', { name: 'Users', exact: true }).click();
      await page.getByText('Your session has ended').waitFor();
      expect(new URL(page.url()).searchParams.get('next')).toBe('/users');
    } finally {
      s.runtime.services.console.now = Date.now;
    }
    await signIn(page, 'olivia@acme.test', PASSWORD);
    await page.getByRole('table', { name: 'Users' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/users');
  });

  it('signs out: the session ends at once', async () => {
    const cookie = (await context.cookies()).find((c) => c.name === 'roster_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin/v1' });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    const r = await fetch(`${s.base}/admin/v1/session`, { headers: { cookie: `roster_session=${cookie.value}` } });
    expect(r.status).toBe(401);
  });

  it('logged no browser error and no 5xx on any page', () => {
    expect(problems).toEqual([]);
  });
});
