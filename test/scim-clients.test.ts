import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { PATCH_URN, SCIM, USER_URN, scimClient, type ScimClient } from './scim-support.ts';

/** What real SCIM clients and their test collections send, beyond the letter of RFC 7644. */
describe.each(backends())('SCIM accepts what real clients send ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let scim: ScimClient;
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    scim = scimClient(t, acme.keys.admin);
  });
  afterAll(() => t.close());

  it('serves resource endpoints in any case and with a trailing slash', async () => {
    const created = await scim.post('/users', { schemas: [USER_URN], userName: 'casey' });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    expect(created.headers.location).toMatch(new RegExp(`${SCIM}/Users/${id}$`));

    for (const path of [
      '/users',
      '/USERS',
      '/Users/',
      '/uSeRs/',
      `/Users?filter=${encodeURIComponent('userName eq "casey"')}`,
    ]) {
      const r = await scim.get(path);
      expect(r.statusCode, path).toBe(200);
      expect(
        r.json().Resources.map((u: { id: string }) => u.id),
        path,
      ).toContain(id);
    }
    const listed = await scim.get(`/users/?filter=${encodeURIComponent('userName eq "casey"')}`);
    expect(listed.json().totalResults).toBe(1);
    for (const path of [`/users/${id}`, `/USERS/${id}/`]) {
      const r = await scim.get(path);
      expect(r.statusCode, path).toBe(200);
      expect(r.json().userName).toBe('casey');
    }
    const patched = await scim.patch(`/users/${id}/`, [{ op: 'replace', path: 'title', value: 'CTO' }]);
    expect(patched.statusCode).toBe(200);
    expect(patched.json().title).toBe('CTO');
    const searched = await scim.post('/users/.SEARCH', { filter: 'userName eq "casey"' });
    expect(searched.statusCode).toBe(200);
    expect(searched.json().totalResults).toBe(1);

    const g = await scim.post('/groups/', { displayName: 'Case Group' });
    expect(g.statusCode).toBe(201);
    expect((await scim.get(`/GROUPS/${g.json().id}`)).json().displayName).toBe('Case Group');
    for (const path of ['/serviceproviderconfig', '/SCHEMAS/', '/resourcetypes']) {
      expect((await scim.get(path)).statusCode, path).toBe(200);
    }
    // An id is not an endpoint name: it is matched as sent, and a path that is no endpoint is still a SCIM 404.
    expect((await scim.get('/Users/casey')).statusCode).toBe(404);
    const none = await scim.get('/nosuch/');
    expect(none.statusCode).toBe(404);
    expect(none.json()).toMatchObject({ status: '404' });
  });

  it('takes unquoted values in filters where unambiguous: words, numbers kept as written, date-times with any fraction and offset', async () => {
    const s = scimClient(t, (await makeTenant(t, 'Bare', 'bare')).keys.admin);
    await s.user('Olga', { name: { familyName: 'Employee' }, externalId: '0012', active: true });
    await s.user('oscar', { name: { familyName: 'Other' }, externalId: '12', active: false });
    await s.user('pam', { name: { familyName: 'Employee' }, emails: [{ value: 'pam@example.com', type: 'work' }] });
    const names = async (f: string) => {
      const r = await s.get(`/Users?filter=${encodeURIComponent(f)}&sortBy=userName`);
      expect(r.statusCode, `${f}: ${r.body}`).toBe(200);
      return r.json().Resources.map((u: { userName: string }) => u.userName);
    };
    expect(await names('userName sw O')).toEqual(['Olga', 'oscar']);
    expect(await names('name.familyName eq Employee')).toEqual(['Olga', 'pam']);
    expect(await names('(name.familyName eq Employee) and not (userName eq pam)')).toEqual(['Olga']);
    expect(await names('externalId eq 0012')).toEqual(['Olga']);
    expect(await names('externalId eq 12')).toEqual(['oscar']);
    expect(await names('active eq False')).toEqual(['oscar']);
    expect(await names('emails[type eq work and value ew example.com]')).toEqual(['pam']);
    expect(await names('meta.created gt 2015-10-10T14:38:21.8617979-07:00')).toEqual(['Olga', 'oscar', 'pam']);
    expect(await names('meta.created lt 2015-10-10T14:38:21.8617979-07:00')).toEqual([]);
    expect(
      await names('meta.created ge 2015-10-10T14:38:21Z and meta.lastModified le 2999-01-01T00:00:00.1+02:00'),
    ).toEqual(['Olga', 'oscar', 'pam']);
    expect(await names('meta.created lt 2999-12-31T23:59:59.123456789+05:30')).toEqual(['Olga', 'oscar', 'pam']);
    for (const bad of ['title eq Sales Manager', 'userName eq', 'meta.created gt yesterday', 'userName sw (O)']) {
      const r = await s.get(`/Users?filter=${encodeURIComponent(bad)}`);
      expect(r.statusCode, bad).toBe(400);
      expect(r.json(), bad).toMatchObject({ scimType: 'invalidFilter' });
    }
  });

  it('takes attribute names in any case in filters, PATCH paths, bodies and attributes', async () => {
    const s = scimClient(t, (await makeTenant(t, 'Case', 'case')).keys.admin);
    const r = await s.post('/Users', {
      SCHEMAS: [USER_URN],
      UserName: 'mixed',
      Name: { GivenName: 'Mia', FamilyName: 'Case' },
      Emails: [{ Value: 'mia@example.com', Type: 'work', Primary: 'True' }],
      PhoneNumbers: [{ VALUE: '+1 555', TYPE: 'mobile' }],
      Active: 'true',
    });
    expect(r.statusCode, r.body).toBe(201);
    const id = r.json().id;
    expect(r.json()).toMatchObject({
      userName: 'mixed',
      name: { givenName: 'Mia', familyName: 'Case' },
      emails: [{ value: 'mia@example.com', primary: true }],
      phoneNumbers: [{ value: '+1 555', type: 'mobile' }],
      active: true,
    });
    const names = async (f: string) => {
      const l = await s.get(`/Users?filter=${encodeURIComponent(f)}`);
      expect(l.statusCode, `${f}: ${l.body}`).toBe(200);
      return l.json().Resources.map((u: { userName: string }) => u.userName);
    };
    expect(await names('meta.Created gt "2015-01-01T00:00:00Z"')).toEqual(['mixed']);
    expect(await names('emails.Value co "mia@"')).toEqual(['mixed']);
    expect(await names('Emails[Type eq "work" and Primary eq true]')).toEqual(['mixed']);
    expect(await names('NAME.FAMILYNAME eq "case" and USERNAME eq "MIXED"')).toEqual(['mixed']);
    expect(await names('phoneNumbers[TYPE eq "mobile"]')).toEqual(['mixed']);

    const p = await s.patch(`/Users/${id}`, [
      { op: 'Replace', path: 'Emails[Type eq "work"].Value', value: 'mia@corp.example' },
      { op: 'replace', path: 'Name.GivenName', value: 'Mya' },
      { op: 'add', path: 'TITLE', value: 'Lead' },
      { op: 'replace', value: { DisplayName: 'Mya C', 'name.FamilyName': 'Kase' } },
    ]);
    expect(p.statusCode, p.body).toBe(200);
    expect(p.json()).toMatchObject({
      name: { givenName: 'Mya', familyName: 'Kase' },
      emails: [{ value: 'mia@corp.example' }],
      title: 'Lead',
      displayName: 'Mya C',
    });
    const proj = await s.get(`/Users/${id}?attributes=UserName,Emails.Value,NAME.givenName`);
    expect(proj.json()).toEqual({
      schemas: [USER_URN],
      id,
      userName: 'mixed',
      emails: [{ value: 'mia@corp.example' }],
      name: { givenName: 'Mya' },
    });
  });

  it('returns the matching entries for a value path in attributes, and leaves them out in excludedAttributes', async () => {
    const s = scimClient(t, (await makeTenant(t, 'Proj', 'proj')).keys.admin);
    const id = await s.user('phones', {
      emails: [{ value: 'ph@example.com', type: 'work', primary: true }],
      phoneNumbers: [
        { type: 'work', value: '+1 111' },
        { type: 'mobile', value: '+1 222' },
        { type: 'fax', value: '+1 333' },
      ],
    });
    const get = async (q: string) => {
      const r = await s.get(`/Users/${id}?${q}`);
      expect(r.statusCode, `${q}: ${r.body}`).toBe(200);
      return r.json();
    };
    expect(await get(`attributes=${encodeURIComponent('emails[type eq "work"]')}`)).toEqual({
      schemas: [USER_URN],
      id,
      emails: [{ value: 'ph@example.com', type: 'work', primary: true }],
    });
    expect(await get(`attributes=${encodeURIComponent('emails[type eq "home"]')}`)).toEqual({
      schemas: [USER_URN],
      id,
    });
    expect(await get(`attributes=${encodeURIComponent('phoneNumbers[type eq "mobile"]')}`)).toMatchObject({
      phoneNumbers: [{ type: 'mobile', value: '+1 222' }],
    });
    expect(
      await get(`attributes=${encodeURIComponent('userName,phoneNumbers[type eq "mobile" or type eq "fax"].value')}`),
    ).toEqual({
      schemas: [USER_URN],
      id,
      userName: 'phones',
      phoneNumbers: [{ value: '+1 222' }, { value: '+1 333' }],
    });
    expect(
      await get(`attributes=${encodeURIComponent('phoneNumbers[type eq "work"],phoneNumbers[type eq "fax"]')}`),
    ).toMatchObject({ phoneNumbers: [{ type: 'work' }, { type: 'fax' }] });
    const without = await get(`excludedAttributes=${encodeURIComponent('phoneNumbers[type eq "work"],meta')}`);
    expect(without.phoneNumbers.map((p: { type: string }) => p.type)).toEqual(['mobile', 'fax']);
    expect(without).not.toHaveProperty('meta');
    // The same on lists and on /.search with an array of attributes.
    const l = await s.get(`/Users?attributes=${encodeURIComponent('phoneNumbers[type eq "fax"].value')}`);
    expect(l.json().Resources).toEqual([{ schemas: [USER_URN], id, phoneNumbers: [{ value: '+1 333' }] }]);
    const sr = await s.post('/Users/.search', { attributes: ['phoneNumbers[type eq "work"]'] });
    expect(sr.json().Resources[0].phoneNumbers).toEqual([{ type: 'work', value: '+1 111' }]);
    const bad = await s.get(`/Users/${id}?attributes=${encodeURIComponent('emails[type eq "work"')}`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ scimType: 'invalidValue' });
  });

  it('takes booleans as strings in every position ("True", "false"), "Primary" capitalised', async () => {
    const s = scimClient(t, (await makeTenant(t, 'Bools', 'bools')).keys.admin);
    const r = await s.post('/Users', {
      userName: 'bool',
      active: 'False',
      emails: [
        { value: 'home@example.com', type: 'home', primary: 'false' },
        { value: 'main@example.com', type: 'other', Primary: 'True' },
      ],
      phoneNumbers: [{ value: '+1 1', type: 'work', primary: 'TRUE' }],
    });
    expect(r.statusCode, r.body).toBe(201);
    const id = r.json().id;
    expect(r.json()).toMatchObject({ active: false, emails: [{ value: 'main@example.com', primary: true }] });
    const names = async (f: string) =>
      (await s.get(`/Users?filter=${encodeURIComponent(f)}`)).json().Resources.map((u: { id: string }) => u.id);
    expect(await names('active eq "false"')).toEqual([id]);
    expect(await names('emails[primary eq "True"]')).toEqual([id]);
    expect(await names('emails[Primary eq True]')).toEqual([id]);

    const p = await s.patch(`/Users/${id}`, [
      { op: 'replace', path: 'active', value: 'True' },
      { op: 'add', path: 'emails', value: [{ value: 'new@example.com', type: 'work', Primary: 'true' }] },
    ]);
    expect(p.statusCode, p.body).toBe(200);
    expect(p.json()).toMatchObject({ active: true, emails: [{ value: 'new@example.com', primary: true }] });
    const pathless = await s.patch(`/Users/${id}`, [{ op: 'Replace', value: { active: 'false' } }]);
    expect(pathless.json().active).toBe(false);
    const put = await s.put(`/Users/${id}`, {
      schemas: [USER_URN],
      userName: 'bool',
      active: 'TRUE',
      emails: [{ value: 'put@example.com', Primary: 'True' }],
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ active: true, emails: [{ value: 'put@example.com' }] });
    const bulk = await t.req({
      method: 'POST',
      url: `${SCIM}/Bulk`,
      key: acme.keys.admin,
      headers: { 'content-type': 'application/scim+json' },
      payload: JSON.stringify({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        Operations: [
          {
            method: 'PATCH',
            path: `/Users/${await scim.user('bulkbool')}`,
            data: { schemas: [PATCH_URN], Operations: [{ op: 'replace', path: 'active', value: 'False' }] },
          },
        ],
      }),
    });
    expect(bulk.json().Operations[0].status).toBe('200');
    expect(
      (await scim.get(`/Users?filter=${encodeURIComponent('userName eq "bulkbool"')}`)).json().Resources[0].active,
    ).toBe(false);
    // A string that is no boolean is still a clear 400.
    const bad = await s.patch(`/Users/${id}`, [{ op: 'replace', path: 'active', value: 'yes' }]);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toMatch(/active/);
  });
});
