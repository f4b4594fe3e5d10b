import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { GROUP_URN, SCIM, scimClient, type ScimClient } from './scim-support.ts';

const ENTRA_GROUP_URN = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';

describe.each(backends())('SCIM Groups ($name)', (backend) => {
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

  const memberIds = (g: { members?: { value: string }[] }) => (g.members ?? []).map((m) => m.value).sort();
  const group = async (displayName: string, members: string[] = []) => {
    const r = await scim.post('/Groups', {
      schemas: [GROUP_URN],
      displayName,
      members: members.map((value) => ({ value })),
    });
    if (r.statusCode !== 201) throw new Error(`group create failed: ${r.statusCode} ${r.body}`);
    return r.json().id as string;
  };

  it("creates a group from Entra ID's payload (non-standard schema URN, meta.resourceType, no members)", async () => {
    const r = await scim.post('/Groups', {
      schemas: [GROUP_URN, ENTRA_GROUP_URN],
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      displayName: 'Entra Group',
      meta: { resourceType: 'Group' },
      members: [],
    });
    expect(r.statusCode).toBe(201);
    expect(r.headers['content-type']).toMatch(/^application\/scim\+json/);
    const g = r.json();
    expect(r.headers.location).toBe(g.meta.location);
    expect(r.headers.etag).toBe('W/"1"');
    expect(g).toMatchObject({
      schemas: [GROUP_URN],
      id: expect.any(String),
      displayName: 'Entra Group',
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      members: [],
      meta: { resourceType: 'Group', version: 'W/"1"' },
    });
    expect(g.meta.location).toMatch(new RegExp(`${SCIM}/Groups/${g.id}$`));
    const read = await scim.get(`/Groups/${g.id}`);
    expect(read.json()).toEqual(g);
  });

  it('adds members with "$ref": null (Entra), shows them as {value, display, $ref}, and on the users as groups', async () => {
    const ann = await scim.user('ann', { displayName: 'Ann Lee' });
    const bob = await scim.user('bob');
    const gid = await group('Readers');
    const r = await scim.patch(`/Groups/${gid}`, [
      {
        op: 'Add',
        path: 'members',
        value: [
          { $ref: null, value: ann },
          { $ref: null, value: bob },
        ],
      },
    ]);
    expect(r.statusCode).toBe(200);
    expect(r.headers.etag).toBe('W/"2"');
    const members = r.json().members;
    expect(members).toEqual([
      {
        value: ann,
        display: 'Ann Lee',
        $ref: expect.stringMatching(new RegExp(`${SCIM}/Users/${ann}$`)),
        type: 'User',
      },
      { value: bob, display: 'bob', $ref: expect.stringMatching(new RegExp(`${SCIM}/Users/${bob}$`)), type: 'User' },
    ]);
    // adding an existing member again changes nothing
    const again = await scim.patch(`/Groups/${gid}`, [{ op: 'add', path: 'members', value: [{ value: ann }] }]);
    expect(memberIds(again.json())).toEqual([ann, bob].sort());
    expect(again.headers.etag).toBe('W/"2"');
    const u = (await scim.get(`/Users/${ann}`)).json();
    expect(u.groups).toEqual([
      { value: gid, display: 'Readers', $ref: expect.stringMatching(new RegExp(`/Groups/${gid}$`)), type: 'direct' },
    ]);
    // groups is read-only on users
    const ro = await scim.patch(`/Users/${ann}`, [{ op: 'add', path: 'groups', value: [{ value: gid }] }]);
    expect(ro.json()).toMatchObject({ status: '400', scimType: 'mutability' });
  });

  it("reads a user's groups in id order with their current names, the same as a list shows them; attributes can leave them out", async () => {
    const u = await scim.user('many-groups');
    const g1 = await group('Zeta', [u]);
    const g2 = await group('Alpha', [u]);
    const g3 = await group('Mid', [u]);
    await group('Not a member');
    expect(
      (await scim.patch(`/Groups/${g2}`, [{ op: 'replace', path: 'displayName', value: 'Alpha Renamed' }])).statusCode,
    ).toBe(200);
    const read = await scim.get(`/Users/${u}`);
    expect(read.statusCode).toBe(200);
    const want = [g1, g2, g3].sort((a, b) => Number(a) - Number(b));
    const names: Record<string, string> = { [g1]: 'Zeta', [g2]: 'Alpha Renamed', [g3]: 'Mid' };
    expect(read.json().groups).toEqual(
      want.map((value) => ({
        value,
        display: names[value],
        $ref: expect.stringMatching(new RegExp(`/Groups/${value}$`)),
        type: 'direct',
      })),
    );
    // A read of one user and a filtered list agree.
    const listed = (await scim.get(`/Users?filter=${encodeURIComponent('userName eq "many-groups"')}`)).json()
      .Resources[0];
    expect(listed.groups).toEqual(read.json().groups);
    expect((await scim.get(`/Users/${u}?excludedAttributes=groups`)).json().groups).toBeUndefined();
    expect((await scim.get(`/Users/${u}?attributes=groups`)).json().groups).toHaveLength(3);
    // Another tenant's user with the same id space sees none of these groups.
    const otherScim = scimClient(t, other.keys.admin);
    const stranger = await otherScim.user('many-groups-outsider');
    expect((await otherScim.get(`/Users/${stranger}`)).json().groups).toEqual([]);
    expect((await otherScim.get(`/Users/${u}`)).statusCode).toBe(404);
  });

  it('removes members by value list (Entra) and by members[value eq "…"] (Okta); replaces them with path "members"', async () => {
    const a = await scim.user('m-a');
    const b = await scim.user('m-b');
    const c = await scim.user('m-c');
    const gid = await group('Movers', [a, b, c]);
    const entra = await scim.patch(`/Groups/${gid}`, [
      { op: 'Remove', path: 'members', value: [{ $ref: null, value: a }] },
    ]);
    expect(entra.statusCode).toBe(200);
    expect(memberIds(entra.json())).toEqual([b, c].sort());
    const okta = await scim.patch(`/Groups/${gid}`, [{ op: 'remove', path: `members[value eq "${b}"]` }]);
    expect(memberIds(okta.json())).toEqual([c]);
    const replaced = await scim.patch(`/Groups/${gid}`, [
      { op: 'replace', path: 'members', value: [{ value: a }, { value: b }] },
    ]);
    expect(memberIds(replaced.json())).toEqual([a, b].sort());
    const cleared = await scim.patch(`/Groups/${gid}`, [{ op: 'remove', path: 'members' }]);
    expect(cleared.json().members).toEqual([]);
    expect((await scim.get(`/Users/${a}`)).json().groups).toEqual([]);
  });

  it('renames with a pathless replace carrying id (Okta) and replaces the whole group with PUT', async () => {
    const a = await scim.user('r-a');
    const b = await scim.user('r-b');
    const gid = await group('Old Name', [a]);
    const ren = await scim.patch(`/Groups/${gid}`, [{ op: 'replace', value: { id: gid, displayName: 'New Name' } }]);
    expect(ren.statusCode).toBe(200);
    expect(ren.json()).toMatchObject({ id: gid, displayName: 'New Name' });
    expect(memberIds(ren.json())).toEqual([a]);
    const put = await scim.put(`/Groups/${gid}`, {
      schemas: [GROUP_URN],
      id: gid,
      displayName: 'Put Name',
      externalId: 'okta-1',
      members: [{ value: b, display: 'r-b' }],
      meta: { resourceType: 'Group' },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ displayName: 'Put Name', externalId: 'okta-1' });
    expect(memberIds(put.json())).toEqual([b]);
    expect((await scim.put(`/Groups/${gid}`, { schemas: [GROUP_URN], members: [] })).json()).toMatchObject({
      status: '400',
      scimType: 'invalidValue',
    });
  });

  it('lists with excludedAttributes=members and finds by displayName/externalId with startIndex=1&count=100', async () => {
    const s = scimClient(t, other.keys.admin);
    const u = await s.user('lister');
    await s.post('/Groups', { displayName: 'Engineering', externalId: 'ext-ENG', members: [{ value: u }] });
    await s.post('/Groups', { displayName: 'Sales' });
    const q = (f: string, extra = '') =>
      s.get(`/Groups?filter=${encodeURIComponent(f)}&startIndex=1&count=100${extra}`);
    const byName = await q('displayName eq "engineering"', '&excludedAttributes=members');
    expect(byName.statusCode).toBe(200);
    expect(byName.json()).toMatchObject({ totalResults: 1, startIndex: 1, itemsPerPage: 1 });
    expect(byName.json().Resources[0]).not.toHaveProperty('members');
    expect(byName.json().Resources[0].displayName).toBe('Engineering');
    expect((await q('externalId eq "ext-ENG"')).json().Resources[0].members).toHaveLength(1);
    expect((await q('externalId eq "ext-eng"')).json().totalResults).toBe(0);
    expect((await q(`members[value eq "${u}"]`)).json().totalResults).toBe(1);
    expect((await q(`members.value eq "${u}"`)).json().totalResults).toBe(1);
    expect((await q('members pr')).json().totalResults).toBe(1);
    expect((await q('not (members pr)')).json().Resources.map((g: { displayName: string }) => g.displayName)).toEqual([
      'Sales',
    ]);
    expect((await q('displayName sw "S" or displayName co "neer"')).json().totalResults).toBe(2);
    expect(
      (await q('meta.created gt "2000-01-01T00:00:00Z" and meta.resourceType eq "Group"')).json().totalResults,
    ).toBe(2);
    const none = await q('displayName eq "Nothing"');
    expect(none.json()).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 0,
      startIndex: 1,
      itemsPerPage: 0,
      Resources: [],
    });
    const sorted = await s.get('/Groups?sortBy=displayName&sortOrder=descending&count=1&excludedAttributes=members');
    expect(sorted.json()).toMatchObject({ totalResults: 2, itemsPerPage: 1, Resources: [{ displayName: 'Sales' }] });
    const one = await s.get(`/Groups/${byName.json().Resources[0].id}?excludedAttributes=members`);
    expect(one.json()).not.toHaveProperty('members');
    expect((await q('displayName gt true')).json()).toMatchObject({ status: '400', scimType: 'invalidFilter' });
    expect((await q('members[display eq "x"]')).json()).toMatchObject({ status: '400', scimType: 'invalidFilter' });
  });

  it('answers 409 uniqueness on a duplicate displayName, in any case', async () => {
    await group('Unique Group');
    const r = await scim.post('/Groups', { schemas: [GROUP_URN], displayName: 'UNIQUE group' });
    expect(r.statusCode).toBe(409);
    expect(r.json()).toMatchObject({ status: '409', scimType: 'uniqueness' });
    const gid = await group('Another Group');
    const ren = await scim.patch(`/Groups/${gid}`, [{ op: 'replace', path: 'displayName', value: 'unique group' }]);
    expect(ren.statusCode).toBe(409);
    expect((await scim.get(`/Groups/${gid}`)).json().displayName).toBe('Another Group');
  });

  it('PATCH is atomic: a bad member or a bad operation after good ones changes nothing', async () => {
    const a = await scim.user('at-a');
    const b = await scim.user('at-b');
    const gid = await group('Atomic', [a]);
    const before = (await scim.get(`/Groups/${gid}`)).json();
    const cases: [unknown[], number, string][] = [
      [
        [
          { op: 'add', path: 'members', value: [{ value: b }] },
          { op: 'replace', path: 'displayName', value: 'Changed' },
          { op: 'add', path: 'members', value: [{ display: 'no value' }] },
        ],
        400,
        'invalidValue',
      ],
      [
        [
          { op: 'add', path: 'members', value: [{ value: b }] },
          { op: 'add', path: 'members', value: [{ value: { id: 1 } }] },
        ],
        400,
        'invalidValue',
      ],
      [
        [
          { op: 'remove', path: `members[value eq "${a}"]` },
          { op: 'replace', path: 'displayName', value: '' },
        ],
        400,
        'invalidValue',
      ],
      [
        [
          { op: 'remove', path: `members[value eq "${a}"]` },
          { op: 'remove', path: 'nosuch' },
        ],
        400,
        'invalidPath',
      ],
      [[{ op: 'add', path: 'members', value: [{ value: b, type: 'Group' }] }], 400, 'invalidValue'],
      [[{ op: 'replace', path: 'displayName', value: 'nul\u0000name' }], 400, 'invalidValue'],
    ];
    for (const [ops, status, scimType] of cases) {
      const r = await scim.patch(`/Groups/${gid}`, ops);
      expect(r.statusCode, JSON.stringify(ops)).toBe(status);
      expect(r.json().scimType, JSON.stringify(ops)).toBe(scimType);
    }
    expect((await scim.get(`/Groups/${gid}`)).json()).toEqual(before);
    // another tenant's user is not a possible member: ignored, like an id naming no user
    const stranger = await scimClient(t, other.keys.admin).user('stranger');
    const ignored = await scim.patch(`/Groups/${gid}`, [{ op: 'add', path: 'members', value: [{ value: stranger }] }]);
    expect(ignored.statusCode).toBe(200);
    expect(ignored.json()).toEqual(before);
    const created = await scim.post('/Groups', { displayName: 'Stranger Members', members: [{ value: stranger }] });
    expect(created.statusCode).toBe(201);
    expect(created.json().members).toEqual([]);
  });

  it('deleting a user removes its memberships (through SCIM and through the management API)', async () => {
    const a = await scim.user('del-a');
    const b = await scim.user('del-b');
    const c = await scim.user('del-c');
    const gid = await group('Leavers', [a, b, c]);
    expect((await scim.del(`/Users/${a}`)).statusCode).toBe(204);
    expect(memberIds((await scim.get(`/Groups/${gid}`)).json())).toEqual([b, c].sort());
    expect((await t.req({ method: 'DELETE', url: `/admin/v1/tenants/${acme.tenantId}/users/${b}` })).statusCode).toBe(
      204,
    );
    expect(memberIds((await scim.get(`/Groups/${gid}`)).json())).toEqual([c]);
  });

  it('deletes a group (204) without touching its users; honours If-Match and If-None-Match', async () => {
    const a = await scim.user('keep-me');
    const gid = await group('Doomed', [a]);
    expect((await scim.get(`/Groups/${gid}`, { 'if-none-match': 'W/"1"' })).statusCode).toBe(304);
    const stale = await scim.patch(`/Groups/${gid}`, [{ op: 'replace', path: 'displayName', value: 'x' }], {
      'if-match': 'W/"3"',
    });
    expect(stale.statusCode).toBe(412);
    expect((await scim.put(`/Groups/${gid}`, { displayName: 'x' }, { 'if-match': 'W/"3"' })).statusCode).toBe(412);
    const ok = await scim.patch(`/Groups/${gid}`, [{ op: 'replace', path: 'displayName', value: 'Doomed 2' }], {
      'if-match': 'W/"1"',
    });
    expect(ok.headers.etag).toBe('W/"2"');
    expect((await scim.get(`/Groups/${gid}`, { 'if-none-match': 'W/"1"' })).statusCode).toBe(200);
    expect((await scim.del(`/Groups/${gid}`, { 'if-match': 'W/"1"' })).statusCode).toBe(412);
    // a version beyond any stored one is a mismatch, not a database error
    expect((await scim.del(`/Groups/${gid}`, { 'if-match': 'W/"99999999999999999999"' })).statusCode).toBe(412);
    expect(
      (
        await scim.patch(`/Groups/${gid}`, [{ op: 'replace', path: 'displayName', value: 'x' }], {
          'if-match': 'W/"4294967296"',
        })
      ).statusCode,
    ).toBe(412);
    expect((await scim.del(`/Users/${a}`, { 'if-match': 'W/"99999999999999999999"' })).statusCode).toBe(412);
    const d = await scim.del(`/Groups/${gid}`, { 'if-match': 'W/"2"' });
    expect(d.statusCode).toBe(204);
    expect((await scim.get(`/Groups/${gid}`)).statusCode).toBe(404);
    expect((await scim.get(`/Users/${a}`)).json().groups).toEqual([]);
    expect((await scim.patch('/Groups/999999', [{ op: 'replace', path: 'displayName', value: 'x' }])).statusCode).toBe(
      404,
    );
  });

  it('loses no update when PATCHes of one group run concurrently', async () => {
    const ids = await Promise.all(['c1', 'c2', 'c3', 'c4', 'c5', 'c6'].map((n) => scim.user(`conc-${n}`)));
    const gid = await group('Concurrent');
    const rs = await Promise.all(
      ids.map((id) => scim.patch(`/Groups/${gid}`, [{ op: 'add', path: 'members', value: [{ value: id }] }])),
    );
    expect(rs.map((r) => r.statusCode)).toEqual(ids.map(() => 200));
    const g = (await scim.get(`/Groups/${gid}`)).json();
    expect(memberIds(g)).toEqual([...ids].sort());
    expect(g.meta.version).toBe(`W/"${ids.length + 1}"`);
  });

  it('records group and user writes in the audit trail, as the manager whose key made them', async () => {
    const u = await scim.user('audited');
    const gid = await group('Audited');
    await scim.patch(`/Groups/${gid}`, [
      { op: 'add', path: 'members', value: [{ value: u }] },
      { op: 'replace', path: 'displayName', value: 'Audited 2' },
    ]);
    // a PATCH that changes nothing leaves no trace
    await scim.patch(`/Groups/${gid}`, [{ op: 'replace', path: 'displayName', value: 'Audited 2' }]);
    await scim.del(`/Groups/${gid}`);
    const trail = await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/audit?target=group:${gid}` });
    expect(trail.statusCode).toBe(200);
    const events = trail.json().items.reverse();
    expect(events.map((e: { action: string }) => e.action)).toEqual(['group.create', 'group.update', 'group.delete']);
    expect(events[0].actor).toMatch(/^manager:\d+$/);
    expect(events[1].changes).toEqual({
      displayName: { before: 'Audited', after: 'Audited 2' },
      membersAdded: { before: null, after: [Number(u)] },
    });
    expect(events[2].changes.displayName).toEqual({ before: 'Audited 2', after: null });
    const userTrail = (
      await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/audit?target=user:${u}` })
    ).json().items;
    expect(userTrail.map((e: { action: string }) => e.action)).toEqual(['user.create']);
  });

  it('applies roles to groups: viewer reads, editor writes, admin deletes; other tenants see nothing', async () => {
    const gid = await group('Guarded');
    const viewer = scimClient(t, acme.keys.viewer);
    expect((await viewer.get(`/Groups/${gid}`)).statusCode).toBe(200);
    expect((await viewer.post('/Groups', { displayName: 'v' })).statusCode).toBe(403);
    expect(
      (await viewer.patch(`/Groups/${gid}`, [{ op: 'replace', path: 'displayName', value: 'v' }])).statusCode,
    ).toBe(403);
    const editor = scimClient(t, acme.keys.editor);
    expect(
      (await editor.patch(`/Groups/${gid}`, [{ op: 'replace', path: 'displayName', value: 'Guarded 2' }])).statusCode,
    ).toBe(200);
    expect((await editor.del(`/Groups/${gid}`)).statusCode).toBe(403);
    expect((await scimClient(t, other.keys.owner).get(`/Groups/${gid}`)).statusCode).toBe(404);
  });
});
