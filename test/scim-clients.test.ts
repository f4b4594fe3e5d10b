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
    const bulk = await scim.post('/bulk/', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: [
        { method: 'post', bulkId: 'b1', path: '/users', data: { userName: 'bulk-case' } },
        {
          method: 'PATCH',
          path: `/USERS/${id}/`,
          data: { Operations: [{ op: 'replace', path: 'title', value: 'CEO' }] },
        },
      ],
    });
    expect(bulk.statusCode, bulk.body).toBe(200);
    expect(bulk.json().Operations.map((o: { status: string }) => o.status)).toEqual(['201', '200']);
    expect(bulk.json().Operations[0].location).toMatch(new RegExp(`${SCIM}/Users/\\d+$`));
    expect((await scim.get(`/Users/${id}`)).json().title).toBe('CEO');
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
    expect(r.json()).toMatchObject({
      active: false,
      emails: [
        { value: 'home@example.com', type: 'home', primary: false },
        { value: 'main@example.com', type: 'other', primary: true },
      ],
      phoneNumbers: [{ value: '+1 1', type: 'work', primary: true }],
    });
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
    // add appends; the entry just written is the one primary
    expect(p.json()).toMatchObject({
      active: true,
      emails: [
        { value: 'home@example.com', primary: false },
        { value: 'main@example.com', primary: false },
        { value: 'new@example.com', type: 'work', primary: true },
      ],
    });
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

  it('ignores a group member whose value names no user of the tenant and answers with the real members', async () => {
    const s = scimClient(t, (await makeTenant(t, 'Members', 'members')).keys.admin);
    const stranger = await scim.user('not-a-member');
    const a = await s.user('real-a');
    const b = await s.user('real-b');
    const created = await s.post('/Groups', {
      displayName: 'Mixed',
      members: [{ value: a }, { value: '999999' }, { value: 'd9d1c9a4-unknown' }, { value: stranger }, { value: '0' }],
    });
    expect(created.statusCode, created.body).toBe(201);
    const gid = created.json().id;
    expect(created.json().members.map((m: { value: string }) => m.value)).toEqual([a]);
    const p = await s.patch(`/Groups/${gid}`, [
      { op: 'add', path: 'members', value: [{ value: b }, { value: '424242' }] },
      { op: 'add', path: 'members', value: [{ value: 'ghost' }] },
    ]);
    expect(p.statusCode, p.body).toBe(200);
    expect(p.json().members.map((m: { value: string }) => m.value)).toEqual([a, b]);
    expect(p.headers.etag).toBe('W/"2"');
    // Only unknown ids: nothing changes, the version stays.
    const none = await s.patch(`/Groups/${gid}`, [{ op: 'add', path: 'members', value: [{ value: '424242' }] }]);
    expect(none.statusCode).toBe(200);
    expect(none.headers.etag).toBe('W/"2"');
    const put = await s.put(`/Groups/${gid}`, { displayName: 'Mixed', members: [{ value: b }, { value: '7777777' }] });
    expect(put.statusCode).toBe(200);
    expect(put.json().members.map((m: { value: string }) => m.value)).toEqual([b]);
    expect((await s.get(`/Groups/${gid}`)).json().members.map((m: { value: string }) => m.value)).toEqual([b]);
    // A member without any value is still a malformed request.
    const bad = await s.patch(`/Groups/${gid}`, [{ op: 'add', path: 'members', value: [{ display: 'x' }] }]);
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ scimType: 'invalidValue' });
  });

  it('does not fail on emails[].value entries that are no address: the core email is a valid one, else empty', async () => {
    const s = scimClient(t, (await makeTenant(t, 'Mails', 'mails')).keys.admin);
    const fx = await t.req({ method: 'GET', url: '/admin/v1/tenants' });
    const tenantId = (fx.json().items ?? fx.json()).find((x: { name: string }) => x.name === 'Mails').id;
    const adminUser = async (id: string) =>
      (await t.req({ method: 'GET', url: `/admin/v1/tenants/${tenantId}/users/${id}` })).json();
    const r = await s.post('/Users', {
      userName: 'mails',
      emails: [
        { value: 'CN=Mail,OU=Legacy', type: 'work', primary: true },
        { value: 'not an address', type: 'work' },
        { value: 'home@example.com', type: 'home' },
      ],
    });
    expect(r.statusCode, r.body).toBe(201);
    const id = r.json().id;
    // Every entry is kept as sent; the core (login) email is the one valid address.
    expect(r.json().emails).toEqual([
      { value: 'CN=Mail,OU=Legacy', type: 'work', primary: true },
      { value: 'not an address', type: 'work' },
      { value: 'home@example.com', type: 'home' },
    ]);
    expect((await adminUser(id)).email).toBe('home@example.com');
    const only = await s.patch(`/Users/${id}`, [
      { op: 'replace', path: 'emails', value: [{ value: 'x500:/o=Org', primary: true }] },
    ]);
    expect(only.statusCode, only.body).toBe(200);
    expect(only.json().emails).toEqual([{ value: 'x500:/o=Org', primary: true }]);
    expect((await adminUser(id)).email).toBeNull();
    const entra = await s.patch(`/Users/${id}`, [
      { op: 'add', path: 'emails[type eq "work"].value', value: 'work@example.com' },
      { op: 'add', path: 'emails[type eq "other"].value', value: '@broken' },
    ]);
    expect(entra.statusCode, entra.body).toBe(200);
    expect((await adminUser(id)).email).toBe('work@example.com');
  });
});

describe.each(backends())('SCIM userName of users made without one; Groups as sent ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let scim: ScimClient;
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    scim = scimClient(t, acme.keys.admin);
  });
  afterAll(() => t.close());

  const adminCreate = async (body: Record<string, unknown>) => {
    const r = await t.req({ method: 'POST', url: `/admin/v1/tenants/${acme.tenantId}/users`, payload: body });
    expect(r.statusCode, r.body).toBe(201);
    return String(r.json().id);
  };
  const adminUser = async (id: string) =>
    (await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/users/${id}` })).json();
  const ids = async (f: string) => {
    const r = await scim.get(`/Users?filter=${encodeURIComponent(f)}`);
    expect(r.statusCode, `${f}: ${r.body}`).toBe(200);
    return r.json().Resources.map((u: { id: string }) => u.id);
  };

  it('derives userName from the email, else the id; filters find it; PATCH and PUT keep it derived', async () => {
    const byEmail = await adminCreate({ email: 'Mail.Only@example.com', firstName: 'Mo' });
    const bare = await adminCreate({ firstName: 'Nobody' });
    const named = await adminCreate({ username: 'has-name', email: 'named@example.com' });
    expect((await scim.get(`/Users/${byEmail}`)).json().userName).toBe('Mail.Only@example.com');
    expect((await scim.get(`/Users/${bare}`)).json().userName).toBe(bare);
    expect((await scim.get(`/Users/${named}`)).json().userName).toBe('has-name');

    expect(await ids('userName eq "mail.only@example.com"')).toEqual([byEmail]);
    expect(await ids(`userName eq "${bare}"`)).toEqual([bare]);
    expect(await ids('userName eq "named@example.com"')).toEqual([]);
    expect(await ids('userName sw "mail."')).toEqual([byEmail]);
    expect((await ids('userName pr')).sort()).toEqual([byEmail, bare, named].sort());
    expect(await ids(`userName ne "${bare}" and name.givenName eq "Nobody"`)).toEqual([]);

    // A PATCH of active only works and leaves the username empty; the userName stays derived.
    for (const id of [byEmail, bare]) {
      const p = await scim.patch(`/Users/${id}`, [{ op: 'replace', path: 'active', value: false }]);
      expect(p.statusCode, p.body).toBe(200);
      expect(p.json().active).toBe(false);
      expect(await adminUser(id)).toMatchObject({ username: null, active: false });
    }
    // The derived userName follows the email it comes from.
    const moved = await scim.patch(`/Users/${byEmail}`, [
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'moved@example.com' },
    ]);
    expect(moved.json().userName).toBe('moved@example.com');
    expect((await adminUser(byEmail)).username).toBeNull();
    // A PUT echoing the resource (or leaving userName out) keeps it derived; a new userName is stored.
    const echo = (await scim.get(`/Users/${bare}`)).json();
    const put = await scim.put(`/Users/${bare}`, { ...echo, title: 'Echoed' });
    expect(put.statusCode, put.body).toBe(200);
    expect(await adminUser(bare)).toMatchObject({ username: null, title: 'Echoed' });
    const set = await scim.patch(`/Users/${bare}`, [{ op: 'replace', path: 'userName', value: 'chosen' }]);
    expect(set.json().userName).toBe('chosen');
    expect((await adminUser(bare)).username).toBe('chosen');
    // A user with a username still needs one.
    const cleared = await scim.patch(`/Users/${named}`, [{ op: 'remove', path: 'userName' }]);
    expect(cleared.statusCode).toBe(400);
    expect(cleared.json().detail).toMatch(/userName is required/);
  });

  it("keeps a group's externalId and displayName as sent and lists members with display filled", async () => {
    const shown = await adminCreate({ username: 'shown', displayName: 'Shown Person' });
    const onlyName = await adminCreate({ username: 'only-name' });
    const onlyMail = await adminCreate({ email: 'only-mail@example.com' });
    const nothing = await adminCreate({ firstName: 'Anon' });
    const g = await scim.post('/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      externalId: 'Ext-ID/Case Kept',
      displayName: 'Sales EMEA  (ops)',
      members: [shown, onlyName, onlyMail, nothing].map((value) => ({ value, display: 'sent by the client' })),
    });
    expect(g.statusCode, g.body).toBe(201);
    const expected = [
      { value: shown, display: 'Shown Person' },
      { value: onlyName, display: 'only-name' },
      { value: onlyMail, display: 'only-mail@example.com' },
      { value: nothing, display: nothing },
    ];
    expect(g.json()).toMatchObject({
      externalId: 'Ext-ID/Case Kept',
      displayName: 'Sales EMEA  (ops)',
      members: expected,
    });
    const listed = await scim.get(`/Groups?filter=${encodeURIComponent('externalId eq "Ext-ID/Case Kept"')}`);
    expect(listed.json().Resources).toHaveLength(1);
    expect(listed.json().Resources[0]).toMatchObject({ displayName: 'Sales EMEA  (ops)', members: expected });
    for (const m of listed.json().Resources[0].members) expect(m.display).toBeTruthy();
  });
});
