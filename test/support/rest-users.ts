import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { TestApp } from './harness.ts';

/** Helpers shared by the /rest/users suites. */
export const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;

export const PASSWORD = 'correct horse battery';

/** Signs up through the public endpoint (no key); fails the test unless it answers 201. */
export async function signUp(
  t: TestApp,
  username: string,
  opts: { email?: string; password?: string; tenant?: string } = {},
) {
  const r = await t.req({
    method: 'POST',
    url: '/rest/users',
    key: null,
    headers: opts.tenant ? { 'x-roster-tenant': opts.tenant } : {},
    payload: { username, email: opts.email ?? `${username}@example.com`, password: opts.password ?? PASSWORD },
  });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().content;
}

/** Asserts the failure envelope: {"status":0,"message":"…"} and nothing else, with this HTTP status. */
export function expectFailure(r: LightMyRequestResponse, status: number, message?: RegExp) {
  expect(r.statusCode, r.body).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  const body = r.json();
  expect(Object.keys(body).sort()).toEqual(['message', 'status']);
  expect(body.status).toBe(0);
  expect(typeof body.message).toBe('string');
  expect(body.message.length).toBeGreaterThan(0);
  if (message) expect(body.message).toMatch(message);
  return body;
}

/** Asserts the success envelope and answers its content. */
export function expectSuccess(r: LightMyRequestResponse, status = 200) {
  expect(r.statusCode, r.body).toBe(status);
  const body = r.json();
  expect(body.status).toBe(1);
  expect(body.message).toBe('');
  expect(body).toHaveProperty('content');
  return body.content;
}

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
