import { invalid } from '../../../domain/errors.ts';
import { parseDateTime, type EventInput, type UserEvent } from '../../../domain/event.ts';
import type { Attributes, ProfileField, User, UserInput } from '../../../domain/user.ts';
import type { IdentifyInput } from '../../../services/usermost-service.ts';

/** Core fields a Usermost body names directly; every other key is a custom attribute. */
export const USERMOST_FIELDS = [
  'username',
  'email',
  'firstName',
  'middleName',
  'lastName',
  'company',
  'title',
  'department',
  'website',
  'phoneHome',
  'phoneOffice',
  'phoneMobile',
  'phoneTollFree',
  'phoneOther',
  'pager',
  'fax',
] as const satisfies readonly ProfileField[];
const CORE = new Set<string>([...USERMOST_FIELDS, 'gender']);
/** Keys the server owns, and a secret that must never be kept as a plain-text attribute. */
const REFUSED = new Set(['createdAt', 'updatedAt', 'password']);

/** Usermost timestamps: UTC, `2013-01-26T07:31:05+0000`. */
export const usermostTime = (d: Date): string => `${d.toISOString().slice(0, 19)}+0000`;

export const ok = <T>(data: T) => ({ response: { data, message: 'success', status: 'success' as const } });
export const failure = (message: string) => ({ response: { data: null, message, status: 'error' as const } });

export type ProfileWire = { userId: string; createdAt: string; updatedAt: string } & Record<string, unknown>;

/** A Usermost user is one with a userId (externalId); lists and reads only ever reach those. */
export function profileWire(u: User): ProfileWire {
  const out: Record<string, unknown> = { userId: u.externalId, ...u.attributes };
  for (const f of USERMOST_FIELDS) if (u[f] !== null) out[f] = u[f];
  if (u.gender !== null) out.gender = u.gender;
  // Ours win over any same-named attribute set through another dialect.
  out.userId = u.externalId;
  out.createdAt = usermostTime(u.createdAt);
  out.updatedAt = usermostTime(u.updatedAt);
  return out as ProfileWire;
}

export function identifyInput(body: Record<string, unknown>): IdentifyInput {
  const profile: UserInput = {};
  const attributes: Attributes = {};
  for (const [k, v] of Object.entries(body)) {
    if (k === 'userId') continue;
    if (REFUSED.has(k)) throw invalid('usermost.read_only', `${k} cannot be set through this API`, k);
    if (CORE.has(k)) (profile as Record<string, unknown>)[k] = v;
    else attributes[k] = v;
  }
  return { externalId: body.userId as string, profile, attributes };
}

export interface EventWire {
  userId: string;
  eventName: string;
  eventTime?: string;
  params?: Record<string, unknown>;
}

export const eventInput = (e: EventWire, field = ''): EventInput => ({
  externalId: e.userId,
  eventName: e.eventName,
  eventTime:
    e.eventTime === undefined ? undefined : parseDateTime(e.eventTime, field ? `${field}.eventTime` : 'eventTime'),
  params: e.params,
});

export const eventWire = (e: UserEvent, externalId: string) => ({
  id: e.id,
  userId: externalId,
  eventName: e.eventName,
  eventTime: usermostTime(e.eventTime),
  params: e.params,
  createdAt: usermostTime(e.createdAt),
});
