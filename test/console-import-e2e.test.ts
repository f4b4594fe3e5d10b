import { existsSync, readFileSync } from 'node:fs';
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

const ROWS = 2000;
const POLL = { timeout: 20_000 };

/** ROWS users, of which line 4 repeats an existing username and line 7 has no valid email. */
function csvFile(): string {
  const lines = ['username,email,firstName,lastName,attr.team'];
  for (let i = 0; i < ROWS; i++) {
    const line = lines.length + 1;
    const username = line === 4 ? 'taken' : `user${String(i).padStart(5, '0')}`;
    const email = line === 7 ? 'not-an-email' : `${username}@example.com`;
    lines.push(`${username},${email},First${i},Last${i},team${i % 5}`);
  }
  return lines.join('\n') + '\n';
}

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`console import e2e: ${CHROMIUM} missing, browser tests skipped`);

describe.skipIf(!haveChromium).each(backends())(
  'console import & export in Chromium ($name)',
  { timeout: 90_000 },
  (backend) => {
    let s: Served;
    let browser: Browser;
    let page: Page;
    let problems: string[];
    let shots: string;
    let tenantId: number;

    beforeAll(async () => {
      s = await serve(backend);
      shots = screenshotDir(backend.name);
      console.log(`console import e2e (${backend.name}): screenshots in ${shots}`);
      const t = await ownedTenant(s);
      tenantId = t.tenantId;
      const taken = await s.api('POST', `/admin/v1/tenants/${tenantId}/users`, { username: 'taken' });
      expect(taken.status).toBe(201);
      browser = await launch();
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' });
      context.setDefaultTimeout(15_000);
      ({ page, problems } = await watchedPage(context));
      await page.goto(`${s.base}/console/`);
      await signIn(page, t.ownerEmail, OWNER_PASSWORD);
    });
    afterAll(async () => {
      await browser?.close();
      await s?.close();
    });

    const total = async () =>
      (await s.api('GET', `/admin/v1/tenants/${tenantId}/users?limit=1&total=exact`)).json.total as number;

    it('dry-runs a CSV file first: per-row errors in a table, nothing written', async () => {
      await page.getByRole('link', { name: 'Import & export', exact: true }).click();
      await page.getByRole('heading', { name: 'Import users' }).waitFor();
      await expect(page.getByRole('button', { name: 'Run import' }).isDisabled()).resolves.toBe(true);
      await expectAccessible(page, 'import & export');
      await page
        .locator('input[type=file]')
        .setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csvFile()) });
      await page.getByRole('button', { name: 'Dry run' }).click();
      const status = page.getByRole('status').filter({ hasText: 'Dry run:' });
      await status.filter({ hasText: `2 of ${ROWS} rows have errors` }).waitFor({ timeout: POLL.timeout });
      const errors = page.getByRole('table', { name: 'Row errors' });
      const rows = errors.locator('tbody tr');
      await expect.poll(() => rows.count()).toBe(2);
      await expect(rows.nth(0).locator('td').first().innerText()).resolves.toBe('4');
      await expect(rows.nth(0).innerText()).resolves.toMatch(/taken|exists/i);
      await expect(rows.nth(1).locator('td').first().innerText()).resolves.toBe('7');
      await expect(rows.nth(1).innerText()).resolves.toMatch(/email/i);
      const counts = page.getByRole('group', { name: 'Dry run counts' });
      await counts.getByText(String(ROWS - 2), { exact: true }).waitFor();
      expect(await total()).toBe(1);
      await expectAccessible(page, 'import dry run');
      await screenshot(page, shots, 'import-dry-run');
    });

    it('runs the import with a live progress bar to completion and the final counts', async () => {
      const seen: number[] = [];
      const bar = page.getByRole('progressbar', { name: 'Import progress' });
      await page.getByRole('button', { name: 'Run import' }).click();
      await bar.waitFor();
      const done = page.getByRole('status').filter({ hasText: 'Import finished' });
      await expect
        .poll(async () => {
          seen.push(Number(await bar.getAttribute('aria-valuenow')));
          return done.isVisible();
        }, POLL)
        .toBe(true);
      await expect(done.innerText()).resolves.toBe(
        `Import finished: ${ROWS - 2} created, 0 updated, 0 unchanged, 2 failed.`,
      );
      await expect(bar.getAttribute('aria-valuenow')).resolves.toBe('100');
      // The bar only moves forward.
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(await total()).toBe(ROWS - 1);
      await expectAccessible(page, 'import finished');
      await screenshot(page, shots, 'import-finished');
    });

    it('downloads an export as CSV', async () => {
      await page.getByRole('checkbox', { name: 'Include password hashes' }).check();
      await page.getByText('The file will hold password hashes').waitFor();
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download export' }).click(),
      ]);
      expect(download.suggestedFilename()).toBe(`users-${tenantId}.csv`);
      const text = readFileSync((await download.path())!, 'utf8');
      const lines = text.trim().split('\n');
      expect(lines[0]).toContain('passwordHash');
      expect(lines[0]).toContain('attr.team');
      expect(lines).toHaveLength(ROWS); // header, "taken" and ROWS - 2 imported
      expect(text).toContain('user00000@example.com');
      await screenshot(page, shots, 'export');
    });

    it('works on a phone-width window', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.getByRole('heading', { name: 'Import users' }).waitFor();
      await expectAccessible(page, 'import & export (phone)');
      await screenshot(page, shots, 'import-phone');
      await page.setViewportSize({ width: 1280, height: 800 });
    });

    it('logged no browser error and no 5xx', () => {
      expect(problems).toEqual([]);
    });
  },
);
