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
            ...(m.display ? { display: m.display } : {}),
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

/** A user id as SCIM sends it ("42"); anything else is not one of ours. */
function memberId(v: unknown): number {
  const s = typeof v === 'number' ? String(v) : v;
  if (typeof s !== 'string' || !/^\d{1,15}$/.test(s.trim()))
    throw scimInvalid('invalidValue', `member value ${JSON.stringify(v)} is not the id of a user`);
  return Number(s.trim());
}

/** A canonical SCIM Group → its complete state (members: user ids; `$ref` and `display` are ignored). */
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
    members.push(memberId(m.value));
  }
  return { displayName, externalId: optString(doc.externalId, 'externalId'), members };
}
