import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { expect } from 'vitest';
import { buildApp, type App } from '../../src/http/app.ts';
import { startRuntime, type Runtime } from '../../src/runtime.ts';
import type { Backend } from '../support/backends.ts';
import { ROOT_KEY, TEST_ARGON2 } from '../support/harness.ts';

/** Debian's Chromium, headless (CI installs the package when missing). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Where each run writes its screenshots (printed, so a reviewer can look at them). */
export function screenshotDir(backend: string): string {
  const dir = join(tmpdir(), 'roster-console-screenshots', backend);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface Served {
  app: App;
  runtime: Runtime;
  base: string;
  /** The management API as root (or with a key), through the real HTTP stack. */
  api(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; json: any }>;
  close(): Promise<void>;
}

/** A real Roster on a fresh database, listening on a free port (the browser talks HTTP to it). */
export async function serve(backend: Backend): Promise<Served> {
  const db = await backend.fresh();
  const runtime = await startRuntime({ databaseUrl: db.url, rootKey: ROOT_KEY, argon2: TEST_ARGON2 });
  const app = await buildApp(runtime.services);
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    runtime,
    base,
    async api(method, path, body, key = ROOT_KEY) {
      const r = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await r.text();
      return { status: r.status, json: text ? JSON.parse(text) : null };
    },
    async close() {
      await app.close();
      await runtime.close();
      await db.drop();
    },
  };
}

export const launch = (): Promise<Browser> =>
  chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });

/**
 * A page that records what would tell a person something broke: uncaught errors, console errors
 * (other than the browser's own notes on API answers the test provokes) and any 5xx answer.
 */
export async function watchedPage(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text()))
      problems.push(`console error: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 500) problems.push(`${r.status()} from ${r.url()}`);
  });
  return { page, problems };
}

/** No serious or critical accessibility violation on the page as it is now. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  const r = await new AxeBuilder({ page }).analyze();
  const bad = r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`);
  expect(bad, `accessibility of ${name}`).toEqual([]);
}

/**
 * Signs in through the form as a manager. With several tenants the form asks for the license code
 * after the first try; it is filled in then (or at once when the field shows).
 */
export async function signIn(p: Page, email: string, password: string, licenseCode = 'acme'): Promise<void> {
  await p.getByRole('textbox', { name: 'Email', exact: true }).fill(email);
  await p.getByRole('textbox', { name: 'Password', exact: true }).fill(password);
  const code = p.getByRole('textbox', { name: 'License code', exact: true });
  if (await code.isVisible()) await code.fill(licenseCode);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p
    .getByRole('alert')
    .or(p.getByRole('button', { name: 'Sign out' }))
    .first()
    .waitFor();
  if (await p.getByRole('alert').filter({ hasText: 'license code' }).isVisible()) {
    await code.fill(licenseCode);
    await p.getByRole('button', { name: 'Sign in' }).click();
  }
}

export const OWNER_PASSWORD = 'console passphrase 1';

/** A tenant "Acme Corp" (license code acme) with an owner who has a console password. */
export async function ownedTenant(s: Served): Promise<{ tenantId: number; ownerKey: string; ownerEmail: string }> {
  const t = await s.api('POST', '/admin/v1/tenants', { name: 'Acme Corp', licenseCode: 'acme' });
  expect(t.status).toBe(201);
  const ownerEmail = 'olivia@acme.test';
  const m = await s.api('POST', `/admin/v1/tenants/${t.json.id}/managers`, {
    name: 'Olivia Owner',
    email: ownerEmail,
    role: 'owner',
  });
  expect(m.status).toBe(201);
  const pw = await s.api('PUT', `/admin/v1/managers/${m.json.id}/password`, { password: OWNER_PASSWORD });
  expect(pw.status).toBe(200);
  return { tenantId: t.json.id, ownerKey: m.json.apiKey, ownerEmail };
}

/** A screenshot of the whole page from its top, into `dir` as `<name>.png`. */
export async function screenshot(page: Page, dir: string, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}
