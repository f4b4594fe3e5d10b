import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { ENTERPRISE_URN, GROUP_URN, SCIM, USER_URN, scimClient, type ScimClient } from './scim-support.ts';

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

describe.each(backends())('SCIM discovery, search and Bulk ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let scim: ScimClient;
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    scim = scimClient(t, acme.keys.viewer);
  });
  afterAll(() => t.close());

  it('describes exactly what is supported in ServiceProviderConfig', async () => {
    const r = await scim.get('/ServiceProviderConfig');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(r.json()).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: true, maxOperations: 1000, maxPayloadSize: 1048576 },
      filter: { supported: true, maxResults: 1000 },
      changePassword: { supported: true },
      sort: { supported: true },
      etag: { supported: true },
      authenticationSchemes: [{ type: 'oauthbearertoken', primary: true }],
      meta: { resourceType: 'ServiceProviderConfig' },
    });
  });

  it('publishes the User, EnterpriseUser and Group schemas and the two resource types', async () => {
    const s = await scim.get('/Schemas');
    expect(s.statusCode).toBe(200);
    const ids = s.json().Resources.map((x: { id: string }) => x.id);
    expect(ids).toEqual([USER_URN, ENTERPRISE_URN, GROUP_URN]);
    expect(s.json().totalResults).toBe(3);
    const user = (await scim.get(`/Schemas/${USER_URN}`)).json();
    const attr = (name: string) => user.attributes.find((a: { name: string }) => a.name === name);
    expect(attr('userName')).toMatchObject({ type: 'string', required: true, caseExact: false, uniqueness: 'server' });
    expect(attr('password')).toMatchObject({ mutability: 'writeOnly', returned: 'never' });
    expect(attr('groups')).toMatchObject({ mutability: 'readOnly', multiValued: true });
    expect(attr('emails').subAttributes.map((a: { name: string }) => a.name)).toEqual([
      'value',
      'display',
      'type',
      'primary',
    ]);
    expect(attr('addresses').subAttributes.map((a: { name: string }) => a.name)).toEqual([
      'formatted',
      'streetAddress',
      'locality',
      'region',
      'postalCode',
      'country',
      'display',
      'type',
      'primary',
    ]);
    expect(attr('x509Certificates')).toMatchObject({ type: 'complex', multiValued: true });
    expect(user.meta).toMatchObject({
      resourceType: 'Schema',
      location: expect.stringContaining(`${SCIM}/Schemas/${USER_URN}`),
    });
    const group = (await scim.get(`/Schemas/${GROUP_URN}`)).json();
    expect(group.attributes.map((a: { name: string }) => a.name)).toEqual(['displayName', 'members']);
    expect((await scim.get('/Schemas/urn:nope')).statusCode).toBe(404);
    expect((await scim.get('/Schemas?filter=id%20pr')).statusCode).toBe(403);

    const rt = await scim.get('/ResourceTypes');
    expect(rt.json().Resources).toEqual([
      expect.objectContaining({
        id: 'User',
        name: 'User',
        endpoint: '/Users',
        schema: USER_URN,
        schemaExtensions: [{ schema: ENTERPRISE_URN, required: false }],
      }),
      expect.objectContaining({
        id: 'Group',
        name: 'Group',
        endpoint: '/Groups',
        schema: GROUP_URN,
        schemaExtensions: [],
      }),
    ]);
    expect((await scim.get('/ResourceTypes/Group')).json()).toMatchObject({
      id: 'Group',
      meta: { resourceType: 'ResourceType' },
    });
    expect((await scim.get('/ResourceTypes/Device')).statusCode).toBe(404);
    expect((await t.req({ method: 'GET', url: `${SCIM}/ServiceProviderConfig`, key: null })).statusCode).toBe(401);
    // /Me is not offered (a manager key is no user); Roster answers no 5xx to a client's request, so 404
    const me = await scim.get('/Me');
    expect(me.statusCode).toBe(404);
    expect(me.json()).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404' });
  });

  it('runs Bulk operations with bulkId references, forward ones included', async () => {
    const admin = scimClient(t, acme.keys.admin);
    const r = await admin.post('/Bulk', {
      schemas: [BULK_REQUEST],
      Operations: [
        // refers to a user created further down: it waits for it
        {
          method: 'POST',
          path: '/Groups',
          bulkId: 'g1',
          data: {
            schemas: [GROUP_URN],
            displayName: 'Bulk Group',
            members: [{ type: 'User', value: 'bulkId:u1' }, { value: 'bulkId:u2' }],
          },
        },
        {
          method: 'POST',
          path: '/Users',
          bulkId: 'u1',
          data: { schemas: [USER_URN], userName: 'bulk.one', [ENTERPRISE_URN]: { manager: { value: 'bulkId:u2' } } },
        },
        { method: 'POST', path: '/Users', bulkId: 'u2', data: { schemas: [USER_URN], userName: 'bulk.two' } },
        {
          method: 'PATCH',
          path: '/Users/bulkId:u2',
          data: { Operations: [{ op: 'replace', path: 'title', value: 'Patched' }] },
        },
      ],
    });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:BulkResponse']);
    const byId = Object.fromEntries(
      body.Operations.filter((o: { bulkId?: string }) => o.bulkId).map((o: { bulkId: string }) => [o.bulkId, o]),
    );
    expect(byId.u1).toMatchObject({
      method: 'POST',
      status: '201',
      version: 'W/"1"',
      location: expect.stringContaining(`${SCIM}/Users/`),
    });
    expect(byId.u2.status).toBe('201');
    expect(byId.g1.status).toBe('201');
    const u1 = byId.u1.location.split('/').pop();
    const u2 = byId.u2.location.split('/').pop();
    const g = (await admin.get(`/Groups/${byId.g1.location.split('/').pop()}`)).json();
    expect(g.members.map((m: { value: string }) => m.value).sort()).toEqual([u1, u2].sort());
    const one = (await admin.get(`/Users/${u1}`)).json();
    expect(one[ENTERPRISE_URN].manager.value).toBe(u2);
    expect((await admin.get(`/Users/${u2}`)).json().title).toBe('Patched');
    const patchResult = body.Operations.find((o: { method: string }) => o.method === 'PATCH');
    expect(patchResult).toMatchObject({ status: '200', version: 'W/"2"' });
  });

  it('reports each failed operation as a SCIM error and stops after failOnErrors errors', async () => {
    const admin = scimClient(t, acme.keys.admin);
    const existing = await admin.user('bulk.existing');
    const r = await admin.post('/Bulk', {
      schemas: [BULK_REQUEST],
      failOnErrors: 2,
      Operations: [
        { method: 'POST', path: '/Users', bulkId: 'dup', data: { userName: 'BULK.EXISTING' } },
        { method: 'PUT', path: `/Users/${existing}`, version: 'W/"9"', data: { userName: 'bulk.existing' } },
        { method: 'POST', path: '/Users', bulkId: 'never', data: { userName: 'bulk.never' } },
      ],
    });
    expect(r.statusCode).toBe(200);
    const ops = r.json().Operations;
    expect(ops).toHaveLength(2);
    expect(ops[0]).toMatchObject({
      method: 'POST',
      bulkId: 'dup',
      status: '409',
      response: { status: '409', scimType: 'uniqueness' },
    });
    expect(ops[1]).toMatchObject({ method: 'PUT', status: '412', response: { status: '412' } });
    expect(
      (await admin.get(`/Users?filter=${encodeURIComponent('userName eq "bulk.never"')}`)).json().totalResults,
    ).toBe(0);

    const mixed = await admin.post('/Bulk', {
      schemas: [BULK_REQUEST],
      Operations: [
        { method: 'DELETE', path: `/Users/${existing}` },
        { method: 'POST', path: '/Devices', data: {} },
        { method: 'PATCH', path: '/Users/bulkId:missing', data: { Operations: [{ op: 'remove', path: 'title' }] } },
        { method: 'GET', path: `/Users/${existing}` },
        {
          method: 'POST',
          path: '/Groups',
          bulkId: 'c1',
          data: { displayName: 'Loop A', members: [{ value: 'bulkId:c2' }] },
        },
        {
          method: 'POST',
          path: '/Groups',
          bulkId: 'c2',
          data: { displayName: 'Loop B', members: [{ value: 'bulkId:c1' }] },
        },
      ],
    });
    const m = mixed.json().Operations;
    expect(m.map((o: { status: string }) => o.status)).toEqual(['204', '400', '400', '400', '409', '409']);
    expect(m[1].response.scimType).toBe('invalidPath');
    expect((await admin.get(`/Users/${existing}`)).statusCode).toBe(404);

    // a viewer's Bulk writes are refused one by one
    const denied = await scim.post('/Bulk', {
      schemas: [BULK_REQUEST],
      Operations: [{ method: 'POST', path: '/Users', bulkId: 'x', data: { userName: 'nope' } }],
    });
    expect(denied.json().Operations[0]).toMatchObject({ status: '403' });
    const tooMany = await admin.post('/Bulk', {
      schemas: [BULK_REQUEST],
      Operations: Array.from({ length: 1001 }, () => ({ method: 'DELETE', path: '/Users/1' })),
    });
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json().status).toBe('413');
  });

  it('searches with POST /Users/.search, /Groups/.search and /.search across both', async () => {
    const admin = scimClient(t, acme.keys.admin);
    await admin.user('search.me', { name: { givenName: 'Searchy' } });
    await admin.post('/Groups', { displayName: 'search.group' });
    const us = await scim.post('/Users/.search', {
      schemas: [SEARCH_REQUEST],
      filter: 'userName sw "search."',
      attributes: ['userName'],
      startIndex: 1,
      count: 10,
    });
    expect(us.statusCode).toBe(200);
    expect(us.json()).toMatchObject({ totalResults: 1, Resources: [{ userName: 'search.me' }] });
    expect(us.json().Resources[0]).not.toHaveProperty('name');
    const gs = await scim.post('/Groups/.search', {
      schemas: [SEARCH_REQUEST],
      filter: 'displayName eq "SEARCH.GROUP"',
      excludedAttributes: ['members'],
    });
    expect(gs.json()).toMatchObject({ totalResults: 1, Resources: [{ displayName: 'search.group' }] });
    const both = await scim.post('/.search', {
      schemas: [SEARCH_REQUEST],
      filter: 'meta.created gt "2000-01-01T00:00:00Z"',
      count: 1000,
    });
    expect(both.statusCode).toBe(200);
    const types = both.json().Resources.map((x: { meta: { resourceType: string } }) => x.meta.resourceType);
    expect(types).toContain('User');
    expect(types).toContain('Group');
    expect(both.json().totalResults).toBe(types.length);
    // userName exists on users only: groups simply do not match
    const usersOnly = await scim.post('/.search', { schemas: [SEARCH_REQUEST], filter: 'userName eq "search.me"' });
    expect(usersOnly.json()).toMatchObject({ totalResults: 1, Resources: [{ userName: 'search.me' }] });
    // paging runs across both types
    const total = both.json().totalResults;
    const last = await scim.post('/.search', {
      schemas: [SEARCH_REQUEST],
      filter: 'meta.created gt "2000-01-01T00:00:00Z"',
      startIndex: total,
      count: 5,
    });
    expect(last.json()).toMatchObject({
      totalResults: total,
      itemsPerPage: 1,
      Resources: [{ meta: { resourceType: 'Group' } }],
    });
    expect((await scim.post('/.search', { filter: 'nosuch eq 1' })).json()).toMatchObject({
      status: '400',
      scimType: 'invalidFilter',
    });
  });
});
