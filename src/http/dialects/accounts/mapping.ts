import type { Gender, User } from '../../../domain/user.ts';
import { ACCOUNT_FIELDS, type AccountField, type AccountInput } from '../../../services/accounts-service.ts';
import type { AccountWrite } from './schemas.ts';

export type AccountWire = Record<string, unknown> &
  Record<AccountField, string | null> & { id: number; gender: Gender };

/**
 * Core user → account: custom attributes at the top level, then every default field (null when unset,
 * gender "unknown"), so a custom attribute can never shadow a default one.
 */
export function accountWire(u: User): AccountWire {
  // Default fields first as one object literal (a fixed shape, the cheapest way per row), then
  // the custom attributes they do not name.
  const out: Record<string, unknown> = {
    id: u.id,
    email: u.email,
    username: u.username,
    firstName: u.firstName,
    middleName: u.middleName,
    lastName: u.lastName,
    displayName: u.displayName,
    company: u.company,
    title: u.title,
    department: u.department,
    website: u.website,
    phoneHome: u.phoneHome,
    phoneOffice: u.phoneOffice,
    phoneMobile: u.phoneMobile,
    phoneTollFree: u.phoneTollFree,
    phoneOther: u.phoneOther,
    pager: u.pager,
    fax: u.fax,
    gender: u.gender ?? 'unknown',
  } satisfies Record<AccountField | 'id' | 'gender', unknown>;
  for (const k in u.attributes) if (!DEFAULT_KEYS.has(k)) out[k] = u.attributes[k];
  return out as AccountWire;
}

/** The keys accountWire fills itself: a custom attribute never shadows one of them. */
const DEFAULT_KEYS = new Set<string>(['id', ...ACCOUNT_FIELDS, 'gender']);

export const selfLinks = (id: number) => [{ rel: 'self', url: `/accounts/${id}` }];

const KNOWN = new Set<string>([...ACCOUNT_FIELDS, 'gender', 'password', 'id', 'links']);
/** An empty email or username means "none" (the core rejects "" for both, and "" would collide on uniqueness). */
const EMPTY_IS_NULL = new Set<string>(['email', 'username']);

/** Account body → core input. Every key that is not a default field is a custom attribute. */
export function accountInput(body: AccountWrite): AccountInput {
  // fromEntries keeps a key such as __proto__ as data, so the core's name rule rejects it.
  const a: AccountInput = {
    profile: {},
    custom: Object.fromEntries(Object.entries(body).filter(([key]) => !KNOWN.has(key))),
  };
  for (const f of ACCOUNT_FIELDS) {
    const v = body[f];
    if (v === undefined) continue;
    a.profile[f as AccountField] = v === '' && EMPTY_IS_NULL.has(f) ? null : v;
  }
  if (body.gender !== undefined) a.gender = body.gender;
  if (body.password !== undefined) a.password = body.password;
  return a;
}
