import { expect } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from './harness.ts';

export interface UsrUser {
  userId: number;
  contactName: string | null;
  emailAddress: string | null;
  defaultAccountId: number;
  username: string | null;
  active: 0 | 1;
}

export const USR_KEYS = ['active', 'contactName', 'defaultAccountId', 'emailAddress', 'userId', 'username'];

/** A request as the documented examples make it: the body as text under `Content-Type: text/javascript`. */
export function usrReq(
  t: TestApp,
  method: string,
  url: string,
  key: string | null | undefined,
  body?: unknown,
  contentType = 'text/javascript',
) {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return t.req({
    method: method as 'POST',
    url,
    key,
    headers: payload !== undefined && contentType ? { 'content-type': contentType } : {},
    ...(payload !== undefined ? { payload } : {}),
  });
}

/** Asserts the API's error envelope and answers its message. */
export function usrError(r: LightMyRequestResponse, status: number, code?: string): string {
  expect(r.statusCode, r.body).toBe(status);
  const body = r.json();
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message']);
  if (code) expect(body.error.code).toBe(code);
  return body.error.message as string;
}

/** Lets a tenant accept the documented 4-character example password (the core default minimum is 8). */
export async function allowShortPasswords(t: TestApp, tenantId: number): Promise<void> {
  const r = await t.req({
    method: 'PATCH',
    url: `/admin/v1/tenants/${tenantId}`,
    payload: { settings: { passwordMinLength: 4 } },
  });
  expect(r.statusCode, r.body).toBe(200);
}

let seq = 0;
/** A valid add body for a tenant; unique username and email unless given. */
export function newUser(accountId: number, extra: Record<string, unknown> = {}) {
  seq++;
  return {
    contactName: `User ${seq}`,
    emailAddress: `user${seq}@example.com`,
    defaultAccountId: accountId,
    username: `user${seq}`,
    password: 'long enough password',
    ...extra,
  };
}
