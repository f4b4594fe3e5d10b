import type { Group, GroupState, GroupWithMembers } from '../../../domain/group.ts';
import { etagOf } from '../../credentials.ts';
import { URN } from './constants.ts';
import { isObject, optString, type ScimDoc } from './document.ts';
import { scimInvalid } from './errors.ts';

const hasMembers = (g: Group | GroupWithMembers): g is GroupWithMembers => 'members' in g;

/** A group as a SCIM Group resource; `members` only when they were loaded. */
export function toScimGroup(g: Group | GroupWithMembers, base: string): ScimDoc {
  return {
    schemas: [URN.group],
    id: String(g.id),
    ...(g.externalId ? { externalId: g.externalId } : {}),
    displayName: g.displayName,
    ...(hasMembers(g)
      ? {
          members: g.members.map((m) => ({
            value: String(m.userId),
            // As the member's userName is derived when it has neither a name nor an email: its id.
            display: m.display ?? String(m.userId),
            $ref: `${base}/Users/${m.userId}`,
            type: 'User',
          })),
        }
      : {}),
    meta: {
      resourceType: 'Group',
      created: g.createdAt.toISOString(),
      lastModified: g.updatedAt.toISOString(),
      location: `${base}/Groups/${g.id}`,
      version: etagOf(g.version),
    },
  };
}

/** A user id as SCIM sends it ("42"), or null: a value that is no id of ours names no user and is ignored. */
function memberId(v: unknown): number | null {
  const s = typeof v === 'number' ? String(v) : v;
  if (v === undefined || v === null || (typeof s === 'string' && s.trim() === ''))
    throw scimInvalid('invalidValue', 'each member needs a value: the id of a user');
  if (typeof s !== 'string') throw scimInvalid('invalidValue', `member value ${JSON.stringify(v)} is not a string`);
  const n = /^\d{1,15}$/.test(s.trim()) ? Number(s.trim()) : 0;
  return n >= 1 && String(n) === s.trim() ? n : null;
}

/** A canonical SCIM Group → its complete state (members: user ids; `$ref` and `display` are ignored; ids naming no user are dropped by GroupService). */
export function fromScimGroup(doc: ScimDoc): GroupState {
  const displayName = optString(doc.displayName, 'displayName');
  if (!displayName || displayName.trim() === '') throw scimInvalid('invalidValue', 'displayName is required');
  const members: number[] = [];
  const raw = doc.members ?? [];
  if (!Array.isArray(raw)) throw scimInvalid('invalidValue', 'members must be an array');
  for (const m of raw) {
    if (!isObject(m)) throw scimInvalid('invalidValue', 'each member must be an object with a value');
    if (typeof m.type === 'string' && m.type.toLowerCase() === 'group')
      throw scimInvalid('invalidValue', 'nested groups are not supported: members must be users');
    const id = memberId(m.value);
    if (id !== null) members.push(id);
  }
  return { displayName, externalId: optString(doc.externalId, 'externalId'), members };
}
