import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';

describe.each(backends())('management API groups ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let other: Fixture;
  const ids: Record<string, number> = {};
  let otherUser: number;

  const groups = (tenantId: number) => `/admin/v1/tenants/${tenantId}/groups`;
  const audit = async (target: string) =>
    (await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/audit?target=${target}` })).json().items;

  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    other = await makeTenant(t, 'Other', 'other');
    for (const name of ['ann', 'bob', 'cid', 'dee']) {
      const r = await t.req({
        method: 'POST',
        url: `/admin/v1/tenants/${acme.tenantId}/users`,
        payload: { username: name, email: `${name}@acme.test`, displayName: name.toUpperCase() },
      });
      ids[name] = r.json().id;
    }
    otherUser = (
      await t.req({ method: 'POST', url: `/admin/v1/tenants/${other.tenantId}/users`, payload: { username: 'eve' } })
    ).json().id;
  });
  afterAll(() => t.close());

  it('creates a group (editor), refuses a taken name, and records the creation', async () => {
    const c = await t.req({
      method: 'POST',
      url: groups(acme.tenantId),
      key: acme.keys.editor,
      payload: { displayName: 'Engineering', members: [ids.ann, ids.bob, otherUser] },
    });
    expect(c.statusCode).toBe(201);
    const g = c.json();
    expect(g).toMatchObject({ displayName: 'Engineering', externalId: null, memberCount: 2, tenantId: acme.tenantId });
    expect(c.headers.etag).toBe(`W/"${g.version}"`);
    expect(c.headers.location).toBe(`/admin/v1/tenants/${acme.tenantId}/groups/${g.id}`);
    ids.engineering = g.id;

    const taken = await t.req({
      method: 'POST',
      url: groups(acme.tenantId),
      key: acme.keys.editor,
      payload: { displayName: 'ENGINEERING' },
    });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error).toMatchObject({ code: 'group.display_name_taken', field: 'displayName' });

    const viewer = await t.req({
      method: 'POST',
      url: groups(acme.tenantId),
      key: acme.keys.viewer,
      payload: { displayName: 'Nope' },
    });
    expect(viewer.statusCode).toBe(403);
    const empty = await t.req({ method: 'POST', url: groups(acme.tenantId), payload: { displayName: '' } });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.message).toMatch(/displayName/);

    const [event] = await audit(`group:${g.id}`);
    expect(event).toMatchObject({
      action: 'group.create',
      changes: { displayName: { before: null, after: 'Engineering' }, membersAdded: { after: [ids.ann, ids.bob] } },
    });
  });

  it('lists groups in keyset pages with member counts and searches names', async () => {
    for (const name of ['Sales', 'Support', 'Marketing'])
      expect(
        (await t.req({ method: 'POST', url: groups(acme.tenantId), payload: { displayName: name } })).statusCode,
      ).toBe(201);
    const first = await t.req({ method: 'GET', url: `${groups(acme.tenantId)}?limit=2`, key: acme.keys.viewer });
    expect(first.statusCode).toBe(200);
    expect(first.json().items.map((g: { displayName: string }) => g.displayName)).toEqual(['Engineering', 'Sales']);
    expect(first.json().items[0].memberCount).toBe(2);
    const second = await t.req({
      method: 'GET',
      url: `${groups(acme.tenantId)}?limit=2&cursor=${first.json().nextCursor}`,
    });
    expect(second.json()).toMatchObject({
      items: [{ displayName: 'Support' }, { displayName: 'Marketing' }],
      nextCursor: null,
    });
    const found = await t.req({ method: 'GET', url: `${groups(acme.tenantId)}?q=S` });
    expect(found.json().items.map((g: { displayName: string }) => g.displayName)).toEqual(['Sales', 'Support']);
    const none = await t.req({ method: 'GET', url: groups(other.tenantId), key: other.keys.viewer });
    expect(none.json().items).toEqual([]);
    const foreign = await t.req({ method: 'GET', url: groups(acme.tenantId), key: other.keys.owner });
    expect(foreign.statusCode).toBe(404); // another tenant's groups are not even named to it
    const missing = await t.req({ method: 'GET', url: groups(999_999) });
    expect(missing.statusCode).toBe(404);
    const badCursor = await t.req({ method: 'GET', url: `${groups(acme.tenantId)}?cursor=abc` });
    expect(badCursor.statusCode).toBe(400);
  });

  it('renames a group with If-Match: a stale version is refused and changes nothing', async () => {
    const url = `${groups(acme.tenantId)}/${ids.engineering}`;
    const read = await t.req({ method: 'GET', url, key: acme.keys.viewer });
    const etag = read.headers.etag as string;
    const r = await t.req({
      method: 'PATCH',
      url,
      key: acme.keys.editor,
      headers: { 'if-match': etag },
      payload: { displayName: 'R&D' },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ displayName: 'R&D', memberCount: 2 });
    const stale = await t.req({
      method: 'PATCH',
      url,
      headers: { 'if-match': etag },
      payload: { displayName: 'Stale' },
    });
    expect(stale.statusCode).toBe(412);
    expect((await t.req({ method: 'GET', url })).json().displayName).toBe('R&D');
    const clash = await t.req({ method: 'PATCH', url, payload: { displayName: 'sales' } });
    expect(clash.statusCode).toBe(409);
    const [event] = await audit(`group:${ids.engineering}`);
    expect(event).toMatchObject({
      action: 'group.update',
      changes: { displayName: { before: 'Engineering', after: 'R&D' } },
    });
  });

  it('adds and removes members; an unknown user adds no one; pages members; a user lists their groups', async () => {
    const url = `${groups(acme.tenantId)}/${ids.engineering}/members`;
    const bad = await t.req({
      method: 'POST',
      url,
      key: acme.keys.editor,
      payload: { userIds: [ids.cid, otherUser] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'group.unknown_member', field: 'userIds' });
    expect(bad.json().error.message).toContain(String(otherUser));

    const added = await t.req({
      method: 'POST',
      url,
      key: acme.keys.editor,
      payload: { userIds: [ids.cid, ids.dee, ids.ann] },
    });
    expect(added.statusCode).toBe(200);
    expect(added.json().memberCount).toBe(4);
    const [event] = await audit(`group:${ids.engineering}`);
    expect(event.changes).toEqual({ membersAdded: { before: null, after: [ids.cid, ids.dee] } });

    const page1 = await t.req({ method: 'GET', url: `${url}?limit=3`, key: acme.keys.viewer });
    expect(page1.json().items).toEqual([
      { userId: ids.ann, username: 'ann', email: 'ann@acme.test', displayName: 'ANN' },
      { userId: ids.bob, username: 'bob', email: 'bob@acme.test', displayName: 'BOB' },
      { userId: ids.cid, username: 'cid', email: 'cid@acme.test', displayName: 'CID' },
    ]);
    const page2 = await t.req({ method: 'GET', url: `${url}?limit=3&cursor=${page1.json().nextCursor}` });
    expect(page2.json()).toEqual({
      items: [{ userId: ids.dee, username: 'dee', email: 'dee@acme.test', displayName: 'DEE' }],
      nextCursor: null,
    });

    const removed = await t.req({ method: 'DELETE', url: `${url}/${ids.bob}`, key: acme.keys.editor });
    expect(removed.statusCode).toBe(200);
    expect(removed.json().memberCount).toBe(3);
    const again = await t.req({ method: 'DELETE', url: `${url}/${ids.bob}`, key: acme.keys.editor });
    expect(again.json()).toMatchObject({ memberCount: 3, version: removed.json().version });
    const [removal] = await audit(`group:${ids.engineering}`);
    expect(removal.changes).toEqual({ membersRemoved: { before: [ids.bob], after: null } });

    // One core: SCIM sees the same members.
    const scim = await t.req({ method: 'GET', url: `/scim/v2/Groups/${ids.engineering}`, key: acme.keys.viewer });
    expect(
      scim
        .json()
        .members.map((m: { value: string }) => Number(m.value))
        .sort(),
    ).toEqual([ids.ann, ids.cid, ids.dee].sort());

    const mine = await t.req({
      method: 'GET',
      url: `/admin/v1/tenants/${acme.tenantId}/users/${ids.ann}/groups`,
      key: acme.keys.viewer,
    });
    expect(mine.json()).toEqual({ items: [{ id: ids.engineering, displayName: 'R&D' }] });
    const foreignUser = await t.req({
      method: 'GET',
      url: `/admin/v1/tenants/${acme.tenantId}/users/${otherUser}/groups`,
    });
    expect(foreignUser.statusCode).toBe(404);
    const noRole = await t.req({ method: 'POST', url, key: acme.keys.viewer, payload: { userIds: [ids.bob] } });
    expect(noRole.statusCode).toBe(403);
    const empty = await t.req({ method: 'POST', url, payload: { userIds: [] } });
    expect(empty.statusCode).toBe(400);
  });

  it('deletes a group (admin, not editor); its members stay users', async () => {
    const url = `${groups(acme.tenantId)}/${ids.engineering}`;
    expect((await t.req({ method: 'DELETE', url, key: acme.keys.editor })).statusCode).toBe(403);
    expect((await t.req({ method: 'DELETE', url, key: other.keys.owner })).statusCode).toBe(404);
    expect((await t.req({ method: 'DELETE', url, key: acme.keys.admin })).statusCode).toBe(204);
    expect((await t.req({ method: 'GET', url })).statusCode).toBe(404);
    expect((await t.req({ method: 'GET', url: `${url}/members` })).statusCode).toBe(404);
    expect((await t.req({ method: 'POST', url: `${url}/members`, payload: { userIds: [ids.ann] } })).statusCode).toBe(
      404,
    );
    const ann = await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/users/${ids.ann}/groups` });
    expect(ann.json().items).toEqual([]);
    const [event] = await audit(`group:${ids.engineering}`);
    expect(event).toMatchObject({ action: 'group.delete', changes: { displayName: { before: 'R&D', after: null } } });
  });
});
