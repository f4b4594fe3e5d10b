import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from './support/harness.ts';

export const SCIM = '/scim/v2';
export const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** A SCIM client bound to one key: bodies go as application/scim+json, like Okta and Entra send them. */
export function scimClient(t: TestApp, key: string) {
  const call = (
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<LightMyRequestResponse> =>
    t.req({
      method,
      url: `${SCIM}${path}`,
      key,
      headers: body === undefined ? headers : { 'content-type': 'application/scim+json', ...headers },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
  return {
    get: (path: string, headers?: Record<string, string>) => call('GET', path, undefined, headers),
    post: (path: string, body: unknown, headers?: Record<string, string>) => call('POST', path, body, headers),
    put: (path: string, body: unknown, headers?: Record<string, string>) => call('PUT', path, body, headers),
    patch: (path: string, ops: unknown[], headers?: Record<string, string>) =>
      call('PATCH', path, { schemas: [PATCH_URN], Operations: ops }, headers),
    del: (path: string, headers?: Record<string, string>) => call('DELETE', path, undefined, headers),
    /** Creates a user and answers its SCIM id. */
    async user(userName: string, extra: Record<string, unknown> = {}): Promise<string> {
      const r = await call('POST', '/Users', { schemas: [USER_URN], userName, ...extra });
      if (r.statusCode !== 201) throw new Error(`user create failed: ${r.statusCode} ${r.body}`);
      return (r.json() as { id: string }).id;
    },
  };
}

export type ScimClient = ReturnType<typeof scimClient>;
