import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { ENTERPRISE_URN, SCIM, USER_URN, scimClient, type ScimClient } from './scim-support.ts';

describe.each(backends())('SCIM Users ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let other: Fixture;
  let scim: ScimClient;
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    other = await makeTenant(t, 'Other', 'other');
    scim = scimClient(t, acme.keys.admin);
  });
  afterAll(() => t.close());

  const adminUser = (id: string) => t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/users/${id}` });

  it("creates a user from Entra ID's payload; it reads back through the management API", async () => {
    const r = await scim.post('/Users', {
      schemas: [USER_URN, ENTERPRISE_URN],
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      userName: 'Test_User_ab64@testuser.com',
      active: true,
      emails: [{ primary: true, type: 'work', value: 'Test_User_fd0e@testuser.com' }],
      meta: { resourceType: 'User' },
      name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      roles: [],
      [ENTERPRISE_URN]: {
        employeeNumber: '1234',
        department: 'Sales',
        organization: 'Contoso',
        costCenter: 'CC-9',
        division: 'EMEA',
      },
    });
    expect(r.statusCode).toBe(201);
    expect(r.headers['content-type']).toMatch(/^application\/scim\+json/);
    const u = r.json();
    expect(typeof u.id).toBe('string');
    expect(r.headers.location).toBe(u.meta.location);
    expect(u.meta.location).toMatch(new RegExp(`${SCIM}/Users/${u.id}$`));
    expect(r.headers.etag).toBe('W/"1"');
    expect(u).toMatchObject({
      schemas: [USER_URN, ENTERPRISE_URN],
      userName: 'Test_User_ab64@testuser.com',
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      active: true,
      name: { givenName: 'givenName', familyName: 'familyName', formatted: 'givenName familyName' },
      emails: [{ value: 'Test_User_fd0e@testuser.com', type: 'work', primary: true }],
      [ENTERPRISE_URN]: {
        employeeNumber: '1234',
        department: 'Sales',
        organization: 'Contoso',
        costCenter: 'CC-9',
        division: 'EMEA',
      },
      meta: { resourceType: 'User', version: 'W/"1"' },
    });
    expect(Date.parse(u.meta.created)).toBeGreaterThan(0);
    expect(Date.parse(u.meta.lastModified)).toBeGreaterThan(0);

    const a = await adminUser(u.id);
    expect(a.statusCode).toBe(200);
    expect(a.json()).toMatchObject({
      id: Number(u.id),
      username: 'Test_User_ab64@testuser.com',
      email: 'Test_User_fd0e@testuser.com',
      firstName: 'givenName',
      lastName: 'familyName',
      active: true,
      department: 'Sales',
      company: 'Contoso',
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      attributes: { employeeNumber: '1234', costCenter: 'CC-9', division: 'EMEA' },
    });
  });

  it('accepts Okta\'s create payload: a password, groups: [], locale, and active as the string "True"', async () => {
    const r = await scim.post('/Users', {
      schemas: [USER_URN],
      userName: 'okta.user@example.com',
      name: { givenName: 'Okta', familyName: 'User' },
      emails: [{ primary: true, value: 'okta.user@example.com', type: 'work' }],
      displayName: 'Okta User',
      locale: 'en-US',
      externalId: '00ujl29u0le5T6Aj10h7',
      groups: [],
      password: 't1meMa$heen',
      active: 'True',
    });
    expect(r.statusCode).toBe(201);
    const u = r.json();
    expect(u).toMatchObject({
      userName: 'okta.user@example.com',
      displayName: 'Okta User',
      locale: 'en-US',
      active: true,
    });
    expect(u).not.toHaveProperty('password');
    expect(r.body).not.toContain('t1meMa$heen');
    const a = (await adminUser(u.id)).json();
    expect(a).toMatchObject({
      username: 'okta.user@example.com',
      firstName: 'Okta',
      lastName: 'User',
      displayName: 'Okta User',
      email: 'okta.user@example.com',
      active: true,
      hasPassword: true,
    });
    // An empty placeholder password is "none given".
    const blank = await scim.post('/Users', { userName: 'blank-password', password: '' });
    expect(blank.statusCode).toBe(201);
    expect((await adminUser(blank.json().id)).json().hasPassword).toBe(false);
  });

  it('maps names, phones, title, profileUrl, the extension manager and custom attributes both ways', async () => {
    const boss = await scim.user('boss');
    const r = await scim.post('/Users', {
      userName: 'phones',
      name: { givenName: 'Pat', middleName: 'Q', familyName: 'Ray' },
      title: 'CTO',
      nickName: 'P',
      timezone: 'Europe/Paris',
      preferredLanguage: 'fr',
      userType: 'Employee',
      profileUrl: 'https://example.com/pat',
      phoneNumbers: [
        { type: 'work', value: '+1 111' },
        { type: 'mobile', value: '+1 222' },
        { type: 'home', value: '+1 333' },
        { type: 'fax', value: '+1 444' },
        { type: 'pager', value: '+1 555' },
        { type: 'satellite', value: '+1 666' },
      ],
      addresses: [{ type: 'work', streetAddress: 'kept' }],
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { manager: { value: boss } },
    });
    expect(r.statusCode).toBe(201);
    const u = r.json();
    // Kept as sent; the first of each type is a core field (a type without a field of its own: phoneOther).
    expect(u.phoneNumbers).toEqual([
      { value: '+1 111', type: 'work' },
      { value: '+1 222', type: 'mobile' },
      { value: '+1 333', type: 'home' },
      { value: '+1 444', type: 'fax' },
      { value: '+1 555', type: 'pager' },
      { value: '+1 666', type: 'satellite' },
    ]);
    expect(u[ENTERPRISE_URN].manager.value).toBe(boss);
    expect(u.addresses).toEqual([{ type: 'work', streetAddress: 'kept' }]);
    expect(u).toMatchObject({
      name: { formatted: 'Pat Q Ray' },
      title: 'CTO',
      nickName: 'P',
      timezone: 'Europe/Paris',
      preferredLanguage: 'fr',
      userType: 'Employee',
      profileUrl: 'https://example.com/pat',
    });
    const a = (await adminUser(u.id)).json();
    expect(a).toMatchObject({
      firstName: 'Pat',
      middleName: 'Q',
      lastName: 'Ray',
      title: 'CTO',
      website: 'https://example.com/pat',
      phoneOffice: '+1 111',
      phoneMobile: '+1 222',
      phoneHome: '+1 333',
      fax: '+1 444',
      pager: '+1 555',
      phoneOther: '+1 666',
      attributes: {
        nickName: 'P',
        timezone: 'Europe/Paris',
        preferredLanguage: 'fr',
        userType: 'Employee',
        managerId: boss,
      },
    });
  });

  it('reads by id with an ETag, answers 304 to a matching If-None-Match, 404 to unknown ids', async () => {
    const id = await scim.user('etag-read');
    const g = await scim.get(`/Users/${id}`);
    expect(g.statusCode).toBe(200);
    expect(g.headers.etag).toBe('W/"1"');
    expect(g.json().meta.version).toBe('W/"1"');
    const nm = await scim.get(`/Users/${id}`, { 'if-none-match': 'W/"1"' });
    expect(nm.statusCode).toBe(304);
    expect(nm.body).toBe('');
    expect((await scim.get(`/Users/${id}`, { 'if-none-match': 'W/"7"' })).statusCode).toBe(200);
    for (const bad of ['999999', 'abc', '2819c223-7f76-453a-919d-413861904646']) {
      const r = await scim.get(`/Users/${bad}`);
      expect(r.statusCode).toBe(404);
      expect(r.json()).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404' });
    }
  });

  it('answers 409 uniqueness on a duplicate userName, in any case', async () => {
    await scim.user('Dup.User');
    const r = await scim.post('/Users', { schemas: [USER_URN], userName: 'dup.user' });
    expect(r.statusCode).toBe(409);
    expect(r.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(r.json()).toMatchObject({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '409',
      scimType: 'uniqueness',
    });
    expect(typeof r.json().detail).toBe('string');
  });

  it('finds users the way IdPs look them up: userName/externalId eq with startIndex=1&count=100, empty ListResponse when none', async () => {
    await scim.user('Lookup.Me@Example.com', { externalId: 'ext-LOOKUP' });
    const q = (f: string) => scim.get(`/Users?filter=${encodeURIComponent(f)}&startIndex=1&count=100`);
    const byName = await q('userName eq "lookup.me@example.com"');
    expect(byName.statusCode).toBe(200);
    expect(byName.json()).toMatchObject({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 1,
      startIndex: 1,
      itemsPerPage: 1,
    });
    expect(byName.json().Resources[0].userName).toBe('Lookup.Me@Example.com');
    // attribute names and operators are case-insensitive too
    expect((await q('USERNAME EQ "LOOKUP.ME@EXAMPLE.COM"')).json().totalResults).toBe(1);
    expect((await q(`${USER_URN}:userName eq "lookup.me@example.com"`)).json().totalResults).toBe(1);
    expect((await q('externalId eq "ext-LOOKUP"')).json().totalResults).toBe(1);
    // externalId is caseExact
    expect((await q('externalId eq "ext-lookup"')).json().totalResults).toBe(0);
    const none = await q('userName eq "nobody@example.com"');
    expect(none.statusCode).toBe(200);
    expect(none.json()).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 0,
      startIndex: 1,
      itemsPerPage: 0,
      Resources: [],
    });
  });

  it('supports the whole filter grammar, value paths included; inactive users stay filterable', async () => {
    const s = scimClient(t, other.keys.admin);
    await s.user('ann', {
      name: { givenName: 'Ann', familyName: 'Lee' },
      emails: [{ value: 'ann@example.com', type: 'work' }],
      title: 'Engineer',
      active: true,
    });
    await s.user('bob', {
      name: { givenName: 'Bob', familyName: 'Stone' },
      emails: [{ value: 'bob@other.org', type: 'work' }],
      phoneNumbers: [{ type: 'mobile', value: '555-1' }],
      active: false,
    });
    await s.user('cid', {
      name: { givenName: 'Cid', familyName: 'Lee' },
      title: 'Manager',
      active: false,
      [ENTERPRISE_URN]: { employeeNumber: '42' },
    });
    const names = async (f: string) => {
      const r = await s.get(`/Users?filter=${encodeURIComponent(f)}&sortBy=userName`);
      expect(r.statusCode, `${f}: ${r.body}`).toBe(200);
      return r.json().Resources.map((u: { userName: string }) => u.userName);
    };
    expect(await names('name.familyName eq "lee"')).toEqual(['ann', 'cid']);
    expect(await names('name.familyName eq "Lee" and active eq false')).toEqual(['cid']);
    expect(await names('active eq false')).toEqual(['bob', 'cid']);
    expect(await names('active eq "False"')).toEqual(['bob', 'cid']);
    expect(await names('title pr')).toEqual(['ann', 'cid']);
    expect(await names('not (title pr)')).toEqual(['bob']);
    expect(await names('userName sw "b" or userName ew "d"')).toEqual(['bob', 'cid']);
    expect(await names('userName co "n"')).toEqual(['ann']);
    expect(await names('(userName eq "ann" or userName eq "bob") and not (active eq true)')).toEqual(['bob']);
    expect(await names('userName ne "ann"')).toEqual(['bob', 'cid']);
    // and binds tighter than or
    expect(await names('active eq false or userName eq "ann" and title pr')).toEqual(['ann', 'bob', 'cid']);
    expect(await names('(active eq false or userName eq "ann") and title pr')).toEqual(['ann', 'cid']);
    expect(await names('userName eq "a\\"b" or userName eq "cid"')).toEqual(['cid']);
    expect(await names('userName gt "ann" and userName le "bob"')).toEqual(['bob']);
    expect(await names('userName ge "bob" and userName lt "zzz"')).toEqual(['bob', 'cid']);
    expect(await names('emails[type eq "work" and value co "@example.com"]')).toEqual(['ann']);
    expect(await names('emails[type eq "home"]')).toEqual([]);
    expect(await names('emails.value ew "other.org"')).toEqual(['bob']);
    expect(await names('emails co "@"')).toEqual(['ann', 'bob']);
    expect(await names('emails pr')).toEqual(['ann', 'bob']);
    expect(await names('phoneNumbers[type eq "mobile"]')).toEqual(['bob']);
    expect(await names('phoneNumbers[type eq "work"]')).toEqual([]);
    expect(await names(`${ENTERPRISE_URN}:employeeNumber eq "42"`)).toEqual(['cid']);
    expect(await names('meta.created gt "2000-01-01T00:00:00Z"')).toEqual(['ann', 'bob', 'cid']);
    expect(await names('meta.lastModified lt "2000-01-01T00:00:00Z"')).toEqual([]);
    expect(await names('meta.resourceType eq "User"')).toEqual(['ann', 'bob', 'cid']);
    expect(await names('id eq "not-one-of-ours"')).toEqual([]);

    for (const bad of [
      'userName eq "\u0000"',
      'userName eq "a\\u0000"',
      'userName eq',
      'userName zz "a"',
      '(userName eq "a"',
      'nosuch eq "a"',
      'active gt true',
      'emails[type eq "work"',
      'userName eq "a" and',
      'meta.created gt "yesterday"',
    ]) {
      const r = await s.get(`/Users?filter=${encodeURIComponent(bad)}`);
      expect(r.statusCode, bad).toBe(400);
      expect(r.json(), bad).toMatchObject({ status: '400', scimType: 'invalidFilter' });
    }
    // long filters work; absurdly deep ones are refused before any SQL is built
    const long = Array.from({ length: 150 }, (_, i) => `userName eq "u${i}"`).join(' or ') + ' or userName eq "cid"';
    expect(await names(long)).toEqual(['cid']);
    const moreNots = 'not ('.repeat(20) + 'userName eq "cid"' + ')'.repeat(20);
    expect(await names(moreNots)).toEqual(['cid']);
    for (const bad of [
      'not ('.repeat(600) + 'userName eq "a"' + ')'.repeat(600),
      '('.repeat(1000) + 'userName eq "a"' + ')'.repeat(1000),
    ]) {
      const r = await s.get(`/Users?filter=${encodeURIComponent(bad)}`);
      expect(r.statusCode).toBe(400);
      expect(r.json(), bad).toMatchObject({ status: '400', scimType: 'invalidFilter' });
    }
  });

  it('sorts and pages with sortBy/sortOrder/startIndex/count; count=0 answers the total only', async () => {
    const s = scimClient(t, other.keys.admin);
    const page = await s.get('/Users?sortBy=userName&sortOrder=descending&startIndex=2&count=1');
    expect(page.json()).toMatchObject({ totalResults: 3, startIndex: 2, itemsPerPage: 1 });
    expect(page.json().Resources.map((u: { userName: string }) => u.userName)).toEqual(['bob']);
    const zero = await s.get('/Users?count=0');
    expect(zero.json()).toMatchObject({ totalResults: 3, itemsPerPage: 0, Resources: [] });
    const past = await s.get('/Users?startIndex=10');
    expect(past.json()).toMatchObject({ totalResults: 3, startIndex: 10, itemsPerPage: 0, Resources: [] });
    expect((await s.get('/Users?startIndex=0&count=1')).json().startIndex).toBe(1);
    const far = await s.get('/Users?startIndex=99999999999999999999&count=5');
    expect(far.statusCode).toBe(200);
    expect(far.json()).toMatchObject({ totalResults: 3, itemsPerPage: 0, Resources: [] });
    expect((await s.get('/Groups?startIndex=99999999999999999999')).statusCode).toBe(200);
    expect((await s.get('/Users?count=99999999999999999999')).json().itemsPerPage).toBe(3);
    expect(
      (await s.get('/Users?sortBy=name.givenName&sortOrder=ascending'))
        .json()
        .Resources.map((u: { userName: string }) => u.userName),
    ).toEqual(['ann', 'bob', 'cid']);
    expect((await s.get('/Users?sortOrder=sideways')).statusCode).toBe(400);
  });

  it('honours attributes and excludedAttributes (id and schemas always come back)', async () => {
    const id = await scim.user('proj', {
      name: { givenName: 'Pro', familyName: 'Jection' },
      emails: [{ value: 'proj@x.io' }],
      [ENTERPRISE_URN]: { department: 'R&D', employeeNumber: '7' },
    });
    const only = (
      await scim.get(`/Users/${id}?attributes=userName,name.givenName,${ENTERPRISE_URN}:department`)
    ).json();
    expect(only).toEqual({
      schemas: [USER_URN, ENTERPRISE_URN],
      id,
      userName: 'proj',
      name: { givenName: 'Pro' },
      [ENTERPRISE_URN]: { department: 'R&D' },
    });
    const without = (await scim.get(`/Users/${id}?excludedAttributes=emails,meta,name.familyName`)).json();
    expect(without).not.toHaveProperty('emails');
    expect(without).not.toHaveProperty('meta');
    expect(without.name).toEqual({ formatted: 'Pro Jection', givenName: 'Pro' });
    expect((await scim.get(`/Users/${id}?attributes=meta.version,USERNAME`)).json()).toEqual({
      schemas: [USER_URN, ENTERPRISE_URN],
      id,
      userName: 'proj',
      meta: { version: 'W/"1"' },
    });
    const listed = (
      await scim.get(`/Users?filter=${encodeURIComponent('userName eq "proj"')}&attributes=emails.value`)
    ).json();
    expect(listed.Resources[0]).toEqual({ schemas: [USER_URN, ENTERPRISE_URN], id, emails: [{ value: 'proj@x.io' }] });
  });

  it('replaces with PUT: id and meta in the body are ignored, omitted attributes cleared, password and other custom attributes kept', async () => {
    const c = await scim.post('/Users', {
      userName: 'put.me',
      title: 'Old',
      displayName: 'Put Me',
      password: 'first-password',
      emails: [{ value: 'put@x.io', primary: true }],
    });
    const id = c.json().id;
    // another dialect's custom attribute must survive a SCIM PUT
    const ap = await t.req({
      method: 'PATCH',
      url: `/admin/v1/tenants/${acme.tenantId}/users/${id}`,
      payload: { attributes: { favourite: 'tea', locale: 'de-DE' } },
    });
    expect(ap.statusCode).toBe(200);
    const r = await scim.put(`/Users/${id}`, {
      schemas: [USER_URN],
      id,
      meta: { resourceType: 'User', created: '2001-01-01T00:00:00Z', version: 'W/"99"' },
      userName: 'put.me',
      name: { givenName: 'Put' },
      emails: [{ value: 'put2@x.io', type: 'work', primary: 'true' }],
      active: false,
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers.etag).toBe('W/"3"');
    const u = r.json();
    expect(u).toMatchObject({
      id,
      userName: 'put.me',
      name: { givenName: 'Put' },
      active: false,
      emails: [{ value: 'put2@x.io' }],
    });
    expect(u).not.toHaveProperty('title');
    expect(u).not.toHaveProperty('displayName');
    expect(u).not.toHaveProperty('locale');
    const a = (await adminUser(id)).json();
    expect(a).toMatchObject({
      title: null,
      displayName: null,
      active: false,
      hasPassword: true,
      attributes: { favourite: 'tea' },
    });
    expect(a.attributes).not.toHaveProperty('locale');
    expect((await scim.put(`/Users/${id}`, { schemas: [USER_URN], name: { givenName: 'x' } })).json()).toMatchObject({
      status: '400',
      scimType: 'invalidValue',
    });
    expect((await scim.put('/Users/424242', { userName: 'ghost' })).statusCode).toBe(404);
  });

  it('PATCH: op names in any case, booleans as strings, pathless values with dotted and URN keys', async () => {
    const id = await scim.user('patchy', { name: { givenName: 'A', familyName: 'B' } });
    const off = await scim.patch(`/Users/${id}`, [{ op: 'Replace', path: 'active', value: 'False' }]);
    expect(off.statusCode).toBe(200);
    expect(off.json().active).toBe(false);
    expect((await adminUser(id)).json().active).toBe(false);
    const on = await scim.patch(`/Users/${id}`, [{ op: 'replace', value: { active: true } }]);
    expect(on.json().active).toBe(true);
    const okta = await scim.patch(`/Users/${id}`, [{ op: 'replace', value: { active: false } }]);
    expect(okta.json().active).toBe(false);
    expect(okta.headers.etag).toBe('W/"4"');
    // an inactive user stays readable
    const inactive = await scim.get(`/Users/${id}`);
    expect(inactive.statusCode).toBe(200);
    expect(inactive.json().active).toBe(false);
    // resending the same value writes nothing: the version stays
    const same = await scim.patch(`/Users/${id}`, [{ op: 'replace', path: 'active', value: 'false' }]);
    expect(same.headers.etag).toBe('W/"4"');
    // a password set through PATCH is hashed, never shown
    expect((await adminUser(id)).json().hasPassword).toBe(false);
    const pw = await scim.patch(`/Users/${id}`, [{ op: 'replace', path: 'password', value: 'a-new-Passw0rd' }]);
    expect(pw.statusCode).toBe(200);
    expect(pw.body).not.toContain('a-new-Passw0rd');
    expect((await adminUser(id)).json().hasPassword).toBe(true);

    const entra = await scim.patch(`/Users/${id}`, [
      {
        op: 'Add',
        value: {
          'name.givenName': 'Given',
          displayName: 'Shown',
          [`${ENTERPRISE_URN}:employeeNumber`]: '99',
          [`${ENTERPRISE_URN}:manager`]: '12',
        },
      },
      { op: 'Replace', path: 'name.familyName', value: 'Family' },
      { op: 'Add', path: `${ENTERPRISE_URN}:department`, value: 'Ops' },
      { op: 'REPLACE', path: 'title', value: 'Lead' },
      { op: 'Remove', path: 'displayName' },
    ]);
    expect(entra.statusCode).toBe(200);
    const u = entra.json();
    expect(u).toMatchObject({
      name: { givenName: 'Given', familyName: 'Family' },
      title: 'Lead',
      [ENTERPRISE_URN]: { employeeNumber: '99', department: 'Ops', manager: { value: '12' } },
    });
    expect(u).not.toHaveProperty('displayName');
    expect((await adminUser(id)).json()).toMatchObject({
      firstName: 'Given',
      lastName: 'Family',
      title: 'Lead',
      department: 'Ops',
      displayName: null,
      attributes: { employeeNumber: '99', managerId: '12' },
    });

    // Entra maps name.formatted by default; every RFC attribute is kept
    const extras = await scim.patch(`/Users/${id}`, [
      { op: 'Replace', path: 'name.formatted', value: 'Given Family' },
      { op: 'Add', path: 'roles', value: [{ value: 'admin', primary: 'False' }] },
      { op: 'Add', path: 'addresses[type eq "work"].streetAddress', value: '1 Main St' },
      { op: 'replace', value: { 'name.honorificPrefix': 'Dr', entitlements: [] } },
      { op: 'Remove', path: `${ENTERPRISE_URN}:manager` },
    ]);
    expect(extras.statusCode).toBe(200);
    expect(extras.json().name).toEqual({
      formatted: 'Given Family',
      givenName: 'Given',
      familyName: 'Family',
      honorificPrefix: 'Dr',
    });
    expect(extras.json().roles).toEqual([{ value: 'admin', primary: false }]);
    expect(extras.json().addresses).toEqual([{ type: 'work', streetAddress: '1 Main St' }]);
    expect(extras.json()).not.toHaveProperty('entitlements');
    expect(extras.json()[ENTERPRISE_URN]).not.toHaveProperty('manager');
    expect((await adminUser(id)).json().attributes).not.toHaveProperty('managerId');
  });

  it('PATCH: a filtered path creates the entry when absent (emails[type eq "work"].value with Add and Replace)', async () => {
    const id = await scim.user('no-email');
    const add = await scim.patch(`/Users/${id}`, [
      { op: 'Add', path: 'emails[type eq "work"].value', value: 'first@example.com' },
    ]);
    expect(add.statusCode).toBe(200);
    expect(add.json().emails).toEqual([{ value: 'first@example.com', type: 'work' }]);
    const rep = await scim.patch(`/Users/${id}`, [
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'second@example.com' },
    ]);
    expect(rep.json().emails[0].value).toBe('second@example.com');
    const id2 = await scim.user('no-email-2');
    const rep2 = await scim.patch(`/Users/${id2}`, [
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'made@example.com' },
      { op: 'replace', path: 'phoneNumbers[type eq "mobile"].value', value: '+33 6' },
    ]);
    expect(rep2.json()).toMatchObject({
      emails: [{ value: 'made@example.com' }],
      phoneNumbers: [{ type: 'mobile', value: '+33 6' }],
    });
    expect((await adminUser(id2)).json()).toMatchObject({ email: 'made@example.com', phoneMobile: '+33 6' });
    // a new primary email added to the list becomes the core one; the others stay
    const newer = await scim.patch(`/Users/${id2}`, [
      { op: 'add', path: 'emails', value: [{ value: 'newer@example.com', type: 'home', primary: true }] },
    ]);
    expect(newer.json().emails).toEqual([
      { value: 'made@example.com', type: 'work' },
      { value: 'newer@example.com', type: 'home', primary: true },
    ]);
    expect((await adminUser(id2)).json().email).toBe('newer@example.com');
    const primaryByFilter = await scim.patch(`/Users/${id2}`, [
      { op: 'add', path: 'emails[type eq "other"]', value: { value: 'other@example.com', primary: 'True' } },
    ]);
    expect(primaryByFilter.json().emails.map((e: { primary?: boolean }) => e.primary)).toEqual([
      undefined,
      false,
      true,
    ]);
    expect((await adminUser(id2)).json().email).toBe('other@example.com');
    const rm = await scim.patch(`/Users/${id2}`, [{ op: 'remove', path: 'emails[type eq "other"]' }]);
    expect(rm.json().emails).toEqual([
      { value: 'made@example.com', type: 'work' },
      { value: 'newer@example.com', type: 'home', primary: false },
    ]);
    // no primary left: the work one is the core email
    expect((await adminUser(id2)).json().email).toBe('made@example.com');
    const none = await scim.patch(`/Users/${id2}`, [{ op: 'remove', path: 'emails' }]);
    expect(none.json()).not.toHaveProperty('emails');
    expect((await adminUser(id2)).json().email).toBe(null);
  });

  it('PATCH is atomic: one failing operation leaves the user unchanged; bad operations are SCIM errors', async () => {
    const id = await scim.user('atomic', { title: 'Before' });
    const before = (await scim.get(`/Users/${id}`)).json();
    const cases: [unknown[], string][] = [
      [
        [
          { op: 'replace', path: 'title', value: 'After' },
          { op: 'replace', path: 'nosuch', value: 1 },
        ],
        'invalidPath',
      ],
      [
        [
          { op: 'replace', path: 'title', value: 'After' },
          { op: 'replace', path: 'name.givenName.x', value: 1 },
        ],
        'invalidPath',
      ],
      [
        [
          { op: 'replace', path: 'title', value: 'After' },
          { op: 'replace', path: 'name.nosuch', value: 1 },
        ],
        'invalidPath',
      ],
      [
        [
          { op: 'replace', path: 'title', value: 'After' },
          { op: 'replace', path: 'title[value eq "x"]', value: 1 },
        ],
        'invalidPath',
      ],
      [[{ op: 'replace', path: 'title', value: 'After' }, { op: 'remove' }], 'noTarget'],
      [
        [
          { op: 'replace', path: 'title', value: 'After' },
          { op: 'move', path: 'title' },
        ],
        'invalidSyntax',
      ],
      [
        [
          { op: 'replace', path: 'title', value: 'After' },
          { op: 'replace', path: 'id', value: '5' },
        ],
        'mutability',
      ],
      [
        [
          { op: 'replace', path: 'title', value: 'After' },
          { op: 'replace', path: 'active', value: 'maybe' },
        ],
        'invalidValue',
      ],
      [
        [
          { op: 'replace', path: 'title', value: 'After' },
          { op: 'replace', path: 'emails[type eq "work"', value: 'x' },
        ],
        'invalidFilter',
      ],
      [[], 'invalidSyntax'],
    ];
    for (const [ops, scimType] of cases) {
      const r = await scim.patch(`/Users/${id}`, ops);
      expect(r.statusCode, JSON.stringify(ops)).toBe(400);
      expect(r.json().scimType, JSON.stringify(ops)).toBe(scimType);
    }
    const dup = await scim.user('taken-name');
    expect(dup).toBeTruthy();
    const conflict = await scim.patch(`/Users/${id}`, [
      { op: 'replace', path: 'title', value: 'After' },
      { op: 'replace', path: 'userName', value: 'TAKEN-NAME' },
    ]);
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().scimType).toBe('uniqueness');
    const after = (await scim.get(`/Users/${id}`)).json();
    expect(after).toEqual(before);
  });

  it('loses no update when PATCHes of one user run concurrently', async () => {
    const id = await scim.user('concurrent');
    const ops = [
      { op: 'replace', path: 'title', value: 'T' },
      { op: 'replace', path: 'displayName', value: 'D' },
      { op: 'replace', path: 'nickName', value: 'N' },
      { op: 'add', path: `${ENTERPRISE_URN}:department`, value: 'Dept' },
    ];
    const rs = await Promise.all(ops.map((op) => scim.patch(`/Users/${id}`, [op])));
    expect(rs.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    const u = (await scim.get(`/Users/${id}`)).json();
    expect(u).toMatchObject({
      title: 'T',
      displayName: 'D',
      nickName: 'N',
      [ENTERPRISE_URN]: { department: 'Dept' },
      meta: { version: 'W/"5"' },
    });
  });

  it('honours If-Match on PUT, PATCH and DELETE; DELETE answers 204 and the user is gone', async () => {
    const id = await scim.user('if-match');
    const stale = await scim.patch(`/Users/${id}`, [{ op: 'replace', path: 'title', value: 'x' }], {
      'if-match': 'W/"5"',
    });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().status).toBe('412');
    const ok = await scim.patch(`/Users/${id}`, [{ op: 'replace', path: 'title', value: 'x' }], {
      'if-match': 'W/"1"',
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers.etag).toBe('W/"2"');
    expect((await scim.put(`/Users/${id}`, { userName: 'if-match' }, { 'if-match': 'W/"1"' })).statusCode).toBe(412);
    expect((await scim.del(`/Users/${id}`, { 'if-match': 'W/"1"' })).statusCode).toBe(412);
    const d = await scim.del(`/Users/${id}`, { 'if-match': 'W/"2"' });
    expect(d.statusCode).toBe(204);
    expect(d.body).toBe('');
    expect((await scim.get(`/Users/${id}`)).statusCode).toBe(404);
    expect((await scim.del(`/Users/${id}`)).statusCode).toBe(404);
  });

  it('checks keys and roles: 401 without a key, viewer reads only, editor cannot delete, root has no tenant, tenants are isolated', async () => {
    const id = await scim.user('guarded');
    const none = await t.req({ method: 'GET', url: `${SCIM}/Users`, key: null });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/Bearer/);
    expect(none.json()).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401' });
    expect((await t.req({ method: 'GET', url: `${SCIM}/Users`, key: 'rk_wrong' })).statusCode).toBe(401);
    const viewer = scimClient(t, acme.keys.viewer);
    expect((await viewer.get(`/Users/${id}`)).statusCode).toBe(200);
    expect((await viewer.post('/Users', { userName: 'nope' })).statusCode).toBe(403);
    expect((await viewer.patch(`/Users/${id}`, [{ op: 'replace', path: 'title', value: 'x' }])).statusCode).toBe(403);
    const editor = scimClient(t, acme.keys.editor);
    expect((await editor.patch(`/Users/${id}`, [{ op: 'replace', path: 'title', value: 'x' }])).statusCode).toBe(200);
    expect((await editor.del(`/Users/${id}`)).statusCode).toBe(403);
    const root = await t.req({ method: 'GET', url: `${SCIM}/Users` });
    expect(root.statusCode).toBe(403);
    expect(root.json().detail).toMatch(/root key/);
    const stranger = scimClient(t, other.keys.owner);
    expect((await stranger.get(`/Users/${id}`)).statusCode).toBe(404);
    expect(
      (await stranger.get(`/Users?filter=${encodeURIComponent('userName eq "guarded"')}`)).json().totalResults,
    ).toBe(0);
  });

  it('accepts application/json too, refuses other types with 415 and bad JSON with 400 invalidSyntax', async () => {
    const j = await t.req({
      method: 'POST',
      url: `${SCIM}/Users`,
      key: acme.keys.admin,
      payload: { userName: 'plain-json' },
    });
    expect(j.statusCode).toBe(201);
    expect(j.headers['content-type']).toMatch(/^application\/scim\+json/);
    const cs = await t.req({
      method: 'POST',
      url: `${SCIM}/Users`,
      key: acme.keys.admin,
      headers: { 'content-type': 'application/scim+json; charset=utf-8' },
      payload: JSON.stringify({ userName: 'charset' }),
    });
    expect(cs.statusCode).toBe(201);
    const xml = await t.req({
      method: 'POST',
      url: `${SCIM}/Users`,
      key: acme.keys.admin,
      headers: { 'content-type': 'application/xml' },
      payload: '<user/>',
    });
    expect(xml.statusCode).toBe(415);
    expect(xml.json()).toMatchObject({ status: '415' });
    const broken = await t.req({
      method: 'POST',
      url: `${SCIM}/Users`,
      key: acme.keys.admin,
      headers: { 'content-type': 'application/scim+json' },
      payload: '{"userName":',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ status: '400', scimType: 'invalidSyntax' });
    // attribute names are case-insensitive in bodies too
    const shouty = await scim.post('/Users', {
      SCHEMAS: [USER_URN],
      USERNAME: 'shouty',
      Name: { GIVENNAME: 'Loud' },
      Emails: [{ VALUE: 'shouty@x.io', Primary: true }],
      ACTIVE: 'FALSE',
    });
    expect(shouty.statusCode).toBe(201);
    expect(shouty.json()).toMatchObject({
      userName: 'shouty',
      name: { givenName: 'Loud' },
      emails: [{ value: 'shouty@x.io' }],
      active: false,
    });
    const noName = await scim.post('/Users', { schemas: [USER_URN], name: { givenName: 'x' } });
    expect(noName.json()).toMatchObject({ status: '400', scimType: 'invalidValue' });
    // An entry that is no address is not an error; with no valid one the user has no email.
    const badEmail = await scim.post('/Users', { userName: 'bad-email', emails: [{ value: 'not-an-email' }] });
    expect(badEmail.statusCode).toBe(201);
    expect(badEmail.json().emails).toEqual([{ value: 'not-an-email' }]);
    const unknown = await scim.get('/Nothing');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().status).toBe('404');
  });
});
