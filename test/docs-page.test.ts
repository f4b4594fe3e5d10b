import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { backends } from './support/backends.ts';
import { startTestApp, type TestApp } from './support/harness.ts';

const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

describe.each(backends().slice(0, 1))('the /docs reference ($name)', (backend) => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  beforeAll(async () => {
    t = await startTestApp(backend);
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
  });
  afterAll(async () => {
    await browser?.close();
    await t.close();
  });

  it('is served with a Content-Security-Policy that allows only this server', async () => {
    const r = await t.req({ method: 'GET', url: '/docs', key: null });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/https?:|unsafe-eval/);
    expect(r.body).toContain('<title>Roster API</title>');
    expect(r.body).not.toMatch(/<script>|https?:\/\//);
    const js = await t.req({ method: 'GET', url: '/docs/scalar.js', key: null });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
  });

  it('renders the document offline: no request leaves this server, no CSP violation, no vendor logo', async () => {
    const page = await browser.newPage();
    const outside: string[] = [];
    const violations: string[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith(base) && !req.url().startsWith('data:') && !req.url().startsWith('blob:'))
        outside.push(req.url());
    });
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    await page.goto(`${base}/docs`);
    await page.getByRole('heading', { name: 'Roster API' }).first().waitFor();
    await page.getByText('management: users').first().waitFor();
    expect(await page.title()).toBe('Roster API');
    expect(await page.getByText('Powered by Scalar').filter({ visible: true }).count()).toBe(0);
    expect(await page.getByText('Ask AI').filter({ visible: true }).count()).toBe(0);
    expect(outside).toEqual([]);
    expect(violations).toEqual([]);
    await page.close();
  });
});
