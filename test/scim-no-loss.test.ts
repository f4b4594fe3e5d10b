import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { ENTERPRISE_URN, USER_URN, scimClient, type ScimClient } from './scim-support.ts';

/** A user with every attribute of RFC 7643's User and the enterprise extension. */
function everything(userName: string, managerId: string) {
  return {
    schemas: [USER_URN, ENTERPRISE_URN],
    externalId: `ext-${userName}`,
    userName,
    name: {
      formatted: 'Ms. Barbara J Jensen, III',
      familyName: 'Jensen',
      givenName: 'Barbara',
      middleName: 'Jane',
      honorificPrefix: 'Ms.',
      honorificSuffix: 'III',
    },
    displayName: 'Babs Jensen',
    nickName: 'Babs',
    profileUrl: 'https://login.example.com/bjensen',
    title: 'Tour Guide',
    userType: 'Employee',
    preferredLanguage: 'en-US',
    locale: 'en-US',
    timezone: 'America/Los_Angeles',
    active: true,
    emails: [
      { value: `${userName}@example.com`, type: 'work', primary: true, display: 'Work mail' },
      { value: `${userName}@home.example.org`, type: 'home' },
      { value: 'CN=Babs,OU=Legacy', type: 'other' },
    ],
    phoneNumbers: [
      { value: '555-555-5555', type: 'work', primary: true },
      { value: '555-555-4444', type: 'mobile' },
      { value: '555-555-3333', type: 'mobile', display: 'second mobile' },
      { value: '555-555-2222', type: 'main' },
    ],
    addresses: [
      {
        type: 'work',
        streetAddress: '100 Universal City Plaza',
        locality: 'Hollywood',
        region: 'CA',
        postalCode: '91608',
        country: 'US',
        formatted: '100 Universal City Plaza\nHollywood, CA 91608 USA',
        primary: true,
      },
      {
        type: 'home',
        streetAddress: '456 Hollywood Blvd',
        locality: 'Hollywood',
        region: 'CA',
        postalCode: '91608',
        country: 'US',
        display: 'Home',
      },
    ],
    ims: [{ value: 'someaimhandle', type: 'aim' }],
    photos: [{ value: 'https://photos.example.com/profilephoto/72930000000Ccne/F', type: 'photo' }],
    entitlements: [{ value: 'Lab access', primary: true }],
    roles: [{ value: 'Tour guide', type: 'staff', display: 'Guide' }],
    x509Certificates: [{ value: 'MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx' }],
    [ENTERPRISE_URN]: {
      employeeNumber: '701984',
      costCenter: '4130',
      organization: 'Universal Studios',
      division: 'Theme Park',
      department: 'Tour Operations',
      manager: { value: managerId, displayName: 'John Smith' },
    },
  };
}

/** What a SCIM client checks after a write: every attribute it sent reads back equal (order of entries kept). */
function expectSame(got: Record<string, unknown>, sent: Record<string, unknown>) {
  for (const [k, v] of Object.entries(sent)) {
    if (k === 'schemas' || k === 'password') continue;
    if (k === ENTERPRISE_URN) {
      const { manager, ...rest } = v as { manager: Record<string, unknown> };
      expect(got[k], k).toMatchObject(rest);
      expect((got[k] as { manager: unknown }).manager, 'manager').toMatchObject(manager);
      continue;
    }
    expect(got[k], k).toEqual(v);
  }
}

describe.each(backends())('SCIM keeps every attribute ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let scim: ScimClient;
  let boss: string;
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    scim = scimClient(t, acme.keys.admin);
    boss = await scim.user('boss');
  });
  afterAll(() => t.close());

  const admin = (method: 'GET' | 'PATCH' | 'PUT', id: string, body?: unknown) =>
    t.req({
      method,
      url: `/admin/v1/tenants/${acme.tenantId}/users/${id}`,
      ...(body === undefined ? {} : { payload: body as object }),
    });
  const ids = async (filter: string, extra = '') => {
    const r = await scim.get(`/Users?filter=${encodeURIComponent(filter)}${extra}`);
    expect(r.statusCode, `${filter}: ${r.body}`).toBe(200);
    return r.json().Resources.map((u: { id: string }) => u.id) as string[];
  };

  it('a user with every attribute reads back equal after POST, GET, a list and PUT', async () => {
    const sent = everything('bjensen', boss);
    const r = await scim.post('/Users', sent);
    expect(r.statusCode, r.body).toBe(201);
    const id = r.json().id as string;
    expectSame(r.json(), sent);
    expect(r.json()[ENTERPRISE_URN].manager.$ref).toMatch(new RegExp(`/Users/${boss}$`));
    expectSame((await scim.get(`/Users/${id}`)).json(), sent);
    const listed = await scim.get(`/Users?filter=${encodeURIComponent('userName eq "bjensen"')}`);
    expectSame(listed.json().Resources[0], sent);

    // The core fields show the primary email and the first phone of each type.
    const core = (await admin('GET', id)).json();
    expect(core).toMatchObject({
      email: 'bjensen@example.com',
      phoneOffice: '555-555-5555',
      phoneMobile: '555-555-4444',
      phoneOther: '555-555-2222',
      company: 'Universal Studios',
      department: 'Tour Operations',
      website: 'https://login.example.com/bjensen',
    });
    expect(core.directory.addresses).toEqual(sent.addresses);

    const changed = { ...everything('bjensen', boss), title: 'Head Guide' };
    changed.addresses = [changed.addresses[1]];
    changed.emails = [
      { value: 'babs@example.net', type: 'home', primary: true, display: 'Home mail' },
      ...changed.emails.slice(1),
    ];
    const put = await scim.put(`/Users/${id}`, changed);
    expect(put.statusCode, put.body).toBe(200);
    expectSame(put.json(), changed);
    expectSame((await scim.get(`/Users/${id}`)).json(), changed);
    expect((await admin('GET', id)).json().email).toBe('babs@example.net');
    // Resending the same resource changes nothing.
    const again = await scim.put(`/Users/${id}`, changed);
    expect(again.json().meta.version).toBe(put.json().meta.version);
  });

  it('PATCH takes the paths Entra ID sends', async () => {
    const id = await scim.user('entra-paths');
    const r = await scim.patch(`/Users/${id}`, [
      { op: 'Add', path: 'addresses[type eq "work"].streetAddress', value: '1 Main St' },
      { op: 'Add', path: 'addresses[type eq "work"].locality', value: 'Springfield' },
      { op: 'Add', path: 'addresses[type eq "work"].postalCode', value: '12345' },
      { op: 'Add', path: 'emails[type eq "work"].value', value: 'entra@example.com' },
      { op: 'Add', path: 'emails[type eq "home"].value', value: 'entra@home.example.org' },
      { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0100' },
      { op: 'Add', path: 'phoneNumbers[type eq "work"].value', value: '+1 555 0199' },
      { op: 'Replace', path: 'name.formatted', value: 'Entra Paths' },
      { op: 'Add', path: 'name.honorificPrefix', value: 'Dr.' },
      { op: 'Add', path: `${ENTERPRISE_URN}:manager`, value: boss },
      { op: 'Add', path: `${ENTERPRISE_URN}:costCenter`, value: 'CC-1' },
    ]);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({
      addresses: [{ type: 'work', streetAddress: '1 Main St', locality: 'Springfield', postalCode: '12345' }],
      emails: [
        { type: 'work', value: 'entra@example.com' },
        { type: 'home', value: 'entra@home.example.org' },
      ],
      phoneNumbers: [
        { type: 'mobile', value: '+1 555 0100' },
        { type: 'work', value: '+1 555 0199' },
      ],
      name: { formatted: 'Entra Paths', honorificPrefix: 'Dr.' },
      [ENTERPRISE_URN]: { manager: { value: boss }, costCenter: 'CC-1' },
    });
    expect((await admin('GET', id)).json()).toMatchObject({
      email: 'entra@example.com',
      phoneMobile: '+1 555 0100',
      phoneOffice: '+1 555 0199',
      attributes: { managerId: boss, costCenter: 'CC-1' },
    });

    const again = await scim.patch(`/Users/${id}`, [
      { op: 'Replace', path: 'addresses[type eq "work"].streetAddress', value: '2 Main St' },
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'entra2@example.com' },
      { op: 'Replace', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0101' },
      { op: 'Replace', path: `${ENTERPRISE_URN}:manager`, value: { value: boss, displayName: 'The Boss' } },
    ]);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().addresses).toEqual([
      { type: 'work', streetAddress: '2 Main St', locality: 'Springfield', postalCode: '12345' },
    ]);
    expect(again.json()[ENTERPRISE_URN].manager).toMatchObject({ value: boss, displayName: 'The Boss' });
    expect((await admin('GET', id)).json()).toMatchObject({ email: 'entra2@example.com', phoneMobile: '+1 555 0101' });

    const removed = await scim.patch(`/Users/${id}`, [
      { op: 'Remove', path: 'addresses[type eq "work"]' },
      { op: 'Remove', path: 'phoneNumbers[type eq "mobile"]' },
      { op: 'Remove', path: `${ENTERPRISE_URN}:manager` },
    ]);
    expect(removed.statusCode, removed.body).toBe(200);
    expect(removed.json()).not.toHaveProperty('addresses');
    expect(removed.json()[ENTERPRISE_URN]).not.toHaveProperty('manager');
    expect((await admin('GET', id)).json()).toMatchObject({ phoneMobile: null, phoneOffice: '+1 555 0199' });
  });

  it('filters, sorts and projects the stored attributes', async () => {
    const a = (await scim.post('/Users', everything('filter-a', boss))).json().id as string;
    const bDoc = everything('filter-b', boss);
    bDoc.addresses[0].locality = 'Burbank';
    bDoc.addresses = [bDoc.addresses[0]];
    bDoc.roles = [{ value: 'Cashier', type: 'staff', display: 'Cash' }];
    bDoc.name.formatted = 'Mr. B';
    const b = (await scim.post('/Users', bDoc)).json().id as string;
    // made elsewhere: its collections are its core fields
    const c = (
      await t.req({
        method: 'POST',
        url: `/admin/v1/tenants/${acme.tenantId}/users`,
        payload: { username: 'filter-c', email: 'filter-c@example.com', phoneMobile: '+1 777' },
      })
    ).json().id as number;

    expect(await ids('addresses[locality eq "burbank"]')).toEqual([b]);
    expect(await ids('addresses.locality eq "Hollywood" and userName sw "filter"')).toEqual([a]);
    expect(await ids('addresses[type eq "home" and postalCode sw "916"] and userName sw "filter"')).toEqual([a]);
    expect(await ids('emails.value eq "filter-a@home.example.org"')).toEqual([a]);
    expect(await ids('emails[type eq "home" and value co "filter-b"]')).toEqual([b]);
    expect(await ids('emails.value eq "filter-c@example.com"')).toEqual([String(c)]);
    expect(await ids('emails[type eq "work" and primary eq true] and userName eq "filter-c"')).toEqual([String(c)]);
    expect(await ids('phoneNumbers[type eq "mobile" and value eq "+1 777"]')).toEqual([String(c)]);
    expect(await ids('phoneNumbers[type eq "main"] and userName sw "filter"')).toEqual([a, b]);
    expect(await ids('roles.value eq "cashier"')).toEqual([b]);
    expect(await ids('ims pr and userName sw "filter"')).toEqual([a, b]);
    expect(await ids('x509Certificates.value sw "MIID" and userName eq "filter-a"')).toEqual([a]);
    expect(await ids('name.formatted eq "Mr. B"')).toEqual([b]);
    expect(await ids('name.honorificSuffix eq "III" and userName sw "filter"')).toEqual([a, b]);
    expect(await ids(`${ENTERPRISE_URN}:manager.displayName eq "John Smith" and userName sw "filter"`)).toEqual([a, b]);
    expect(await ids('not (addresses pr) and userName sw "filter"')).toEqual([String(c)]);

    const sorted = await ids('userName sw "filter"', '&sortBy=addresses.locality&sortOrder=descending');
    expect(sorted).toEqual([a, b, String(c)]);

    const projected = (
      await scim.get(`/Users/${a}?attributes=${encodeURIComponent('addresses[type eq "home"].locality,roles')}`)
    ).json();
    expect(projected).toEqual({
      schemas: expect.any(Array),
      id: a,
      addresses: [{ locality: 'Hollywood' }],
      roles: [{ value: 'Tour guide', type: 'staff', display: 'Guide' }],
    });
    const excluded = (
      await scim.get(`/Users/${a}?excludedAttributes=addresses,x509Certificates,name.formatted`)
    ).json();
    expect(excluded).not.toHaveProperty('addresses');
    expect(excluded).not.toHaveProperty('x509Certificates');
    expect(excluded.name).not.toHaveProperty('formatted');
    expect(excluded.ims).toEqual([{ value: 'someaimhandle', type: 'aim' }]);
  });

  it('refuses bad values in the collections with a 400 naming the attribute, writing nothing', async () => {
    const id = await scim.user('bad-values', { addresses: [{ type: 'work', locality: 'Here' }] });
    const before = (await scim.get(`/Users/${id}`)).json();
    const bad = await scim.patch(`/Users/${id}`, [
      { op: 'replace', path: 'addresses', value: [{ type: 'work', locality: 'There', primary: 'maybe' }] },
    ]);
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({
      scimType: 'invalidValue',
      detail: expect.stringContaining('addresses.primary'),
    });
    const long = await scim.patch(`/Users/${id}`, [{ op: 'add', path: 'roles', value: [{ value: 'x'.repeat(2000) }] }]);
    expect(long.statusCode).toBe(400);
    expect(long.json().detail).toContain('roles');
    expect((await scim.get(`/Users/${id}`)).json()).toEqual(before);
  });
});

describe.each(backends())('the core fields and the SCIM collections stay in step ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let scim: ScimClient;
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    scim = scimClient(t, acme.keys.admin);
  });
  afterAll(() => t.close());

  const url = (id: string | number) => `/admin/v1/tenants/${acme.tenantId}/users/${id}`;
  const admin = async (method: 'GET' | 'PATCH' | 'PUT', id: string | number, payload?: object) => {
    const r = await t.req({ method, url: url(id), ...(payload ? { payload } : {}) });
    expect(r.statusCode, r.body).toBe(200);
    return r.json();
  };

  it('management API ↔ SCIM: email and phones change the entries they show, collections decide the fields', async () => {
    const id = await scim.user('sync', {
      emails: [
        { value: 'sync@home.example.org', type: 'home' },
        { value: 'sync@example.com', type: 'work', primary: true, display: 'Work' },
      ],
      phoneNumbers: [
        { value: '+1 100', type: 'mobile', display: 'Cell' },
        { value: '+1 200', type: 'work' },
      ],
    });
    expect(await admin('GET', id)).toMatchObject({ email: 'sync@example.com', phoneMobile: '+1 100' });

    await admin('PATCH', id, { email: 'moved@example.com', phoneMobile: '+1 101', phoneHome: '+1 300' });
    let u = (await scim.get(`/Users/${id}`)).json();
    expect(u.emails).toEqual([
      { value: 'sync@home.example.org', type: 'home' },
      { value: 'moved@example.com', type: 'work', primary: true, display: 'Work' },
    ]);
    expect(u.phoneNumbers).toEqual([
      { value: '+1 101', type: 'mobile', display: 'Cell' },
      { value: '+1 200', type: 'work' },
      { value: '+1 300', type: 'home' },
    ]);
    expect(
      (await scim.get(`/Users?filter=${encodeURIComponent('emails.value eq "moved@example.com"')}`)).json()
        .totalResults,
    ).toBe(1);

    // Clearing the field removes the entries it showed.
    await admin('PATCH', id, { email: null, phoneOffice: null });
    u = (await scim.get(`/Users/${id}`)).json();
    expect(u.emails).toBeUndefined();
    expect(u.phoneNumbers.map((p: { type: string }) => p.type)).toEqual(['mobile', 'home']);

    // The management API writes the collections too: the core fields follow.
    const a = await admin('PATCH', id, {
      directory: {
        emails: [{ value: 'direct@example.com', type: 'work', primary: true }],
        phoneNumbers: [{ value: '+1 400', type: 'pager' }],
        addresses: [{ type: 'home', locality: 'Paris', country: 'FR' }],
      },
    });
    expect(a).toMatchObject({ email: 'direct@example.com', pager: '+1 400', phoneMobile: null, phoneHome: null });
    expect(a.directory.addresses).toEqual([{ type: 'home', locality: 'Paris', country: 'FR' }]);
    u = (await scim.get(`/Users/${id}`)).json();
    expect(u).toMatchObject({
      emails: [{ value: 'direct@example.com', type: 'work', primary: true }],
      phoneNumbers: [{ value: '+1 400', type: 'pager' }],
      addresses: [{ type: 'home', locality: 'Paris', country: 'FR' }],
    });

    // A PUT through the management API that does not send the directory keeps it.
    const full = await admin('GET', id);
    const {
      id: _i,
      tenantId: _t,
      hasPassword: _h,
      createdAt: _c,
      updatedAt: _u,
      lastLoginAt: _l,
      directory: _d,
      ...rest
    } = full;
    const put = await admin('PUT', id, { ...rest, title: 'Kept' });
    expect(put.directory.addresses).toEqual([{ type: 'home', locality: 'Paris', country: 'FR' }]);

    // A bad directory is a 400 naming the place.
    const bad = await t.req({ method: 'PATCH', url: url(id), payload: { directory: { addresses: [{ town: 'x' }] } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('town');
  });

  it('a user made elsewhere shows its core email and phones in SCIM, and a SCIM change of them shows back', async () => {
    const made = await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${acme.tenantId}/users`,
      payload: { username: 'elsewhere', email: 'else@example.com', phoneOffice: '+1 1', fax: '+1 2' },
    });
    const id = made.json().id as number;
    const u = (await scim.get(`/Users/${id}`)).json();
    expect(u.emails).toEqual([{ value: 'else@example.com', type: 'work', primary: true }]);
    expect(u.phoneNumbers).toEqual([
      { value: '+1 1', type: 'work' },
      { value: '+1 2', type: 'fax' },
    ]);
    // Resending it changes nothing (the version stays).
    const same = await scim.put(`/Users/${id}`, u);
    expect(same.json().meta.version).toBe(u.meta.version);
    const p = await scim.patch(`/Users/${id}`, [
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'else2@example.com' },
      { op: 'replace', path: 'phoneNumbers[type eq "fax"].value', value: '+1 3' },
    ]);
    expect(p.statusCode, p.body).toBe(200);
    expect(await admin('GET', id)).toMatchObject({ email: 'else2@example.com', fax: '+1 3', phoneOffice: '+1 1' });
  });
});

describe.each(backends())('Accounts and Usermost changes show in SCIM and back ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let scim: ScimClient;
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    scim = scimClient(t, acme.keys.admin);
  });
  afterAll(() => t.close());

  const accounts = (method: 'GET' | 'PATCH', id: string, body?: unknown) =>
    t.req({
      method,
      url: `/api/v1/account/accounts/${id}`,
      key: null,
      headers: {
        accept: 'application/json',
        admin_api_key: acme.keys.admin,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
  const usermost = (method: 'GET' | 'POST', path: string, payload?: object) =>
    t.req({ method, url: `/v1/accounts/acme/users${path}`, key: acme.keys.admin, ...(payload ? { payload } : {}) });

  it('each dialect writes the entries the core fields show; SCIM writes show in both', async () => {
    const id = await scim.user('cross', {
      externalId: 'cross-1',
      emails: [
        { value: 'cross@home.example.org', type: 'home' },
        { value: 'cross@example.com', type: 'work', primary: true },
      ],
      phoneNumbers: [{ value: '+1 1', type: 'mobile', display: 'Cell' }],
      addresses: [{ type: 'work', locality: 'Lyon' }],
    });

    const um = await usermost('POST', '', { userId: 'cross-1', email: 'um@example.com', phoneMobile: '+1 2' });
    expect(um.statusCode, um.body).toBe(200);
    let u = (await scim.get(`/Users/${id}`)).json();
    expect(u.emails).toEqual([
      { value: 'cross@home.example.org', type: 'home' },
      { value: 'um@example.com', type: 'work', primary: true },
    ]);
    expect(u.phoneNumbers).toEqual([{ value: '+1 2', type: 'mobile', display: 'Cell' }]);

    const acc = await accounts('PATCH', id, { email: 'acc@example.com', phoneOffice: '+1 3' });
    expect(acc.statusCode, acc.body).toBe(200);
    u = (await scim.get(`/Users/${id}`)).json();
    expect(u.emails[1]).toEqual({ value: 'acc@example.com', type: 'work', primary: true });
    expect(u.phoneNumbers).toEqual([
      { value: '+1 2', type: 'mobile', display: 'Cell' },
      { value: '+1 3', type: 'work' },
    ]);
    // what those dialects do not know is untouched
    expect(u.addresses).toEqual([{ type: 'work', locality: 'Lyon' }]);

    const p = await scim.patch(`/Users/${id}`, [
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'scim@example.com' },
      { op: 'replace', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 4' },
    ]);
    expect(p.statusCode, p.body).toBe(200);
    expect((await accounts('GET', id)).json()).toMatchObject({ email: 'scim@example.com', phoneMobile: '+1 4' });
    const seen = await usermost('GET', '/cross-1');
    expect(seen.statusCode, seen.body).toBe(200);
    expect(seen.json().response.data).toMatchObject({ email: 'scim@example.com', phoneMobile: '+1 4' });
  });
});
