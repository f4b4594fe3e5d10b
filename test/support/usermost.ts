import { expect } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from './harness.ts';

/** Seed 000 timestamps: `2013-01-26T07:31:05+0000`. */
export const USERMOST_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0000$/;

export const base = (licenseCode: string) => `/v1/accounts/${licenseCode}`;

export interface Container {
  response: { data: any; message: string; status: 'success' | 'error' };
}

/** Asserts the status and the container shape (exactly response.{data,message,status}); answers the container. */
export function container(r: LightMyRequestResponse, status: number): Container {
  expect(r.statusCode, r.body).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  const body = r.json() as Container;
  expect(Object.keys(body)).toEqual(['response']);
  expect(Object.keys(body.response).sort()).toEqual(['data', 'message', 'status']);
  expect(typeof body.response.message).toBe('string');
  expect(body.response.message.length).toBeGreaterThan(0);
  if (status < 400) {
    expect(body.response.status).toBe('success');
  } else {
    expect(body.response.status).toBe('error');
    expect(body.response.data).toBeNull();
  }
  return body;
}

/** The number of users of a tenant, through the management API (root key). */
export async function userCount(t: TestApp, tenantId: number): Promise<number> {
  const r = await t.req({ method: 'GET', url: `/admin/v1/tenants/${tenantId}/users?total=exact&limit=1` });
  return r.json().total as number;
}

/** A user's events as the Usermost API lists them (root key), or null when the user is unknown. */
export async function eventsOf(t: TestApp, licenseCode: string, userId: string): Promise<any[] | null> {
  const r = await t.req({
    method: 'GET',
    url: `${base(licenseCode)}/users/${encodeURIComponent(userId)}/events?limit=1000`,
  });
  if (r.statusCode === 404) return null;
  return r.json().response.data.events;
}
