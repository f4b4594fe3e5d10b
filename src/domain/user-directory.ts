import { invalid } from './errors.ts';
import { checkText } from './text.ts';
import { isEmailAddress, normalizeIdentity } from './user.ts';
import {
  COLLECTION_NAMES,
  DIRECTORY,
  type CollectionName,
  type Directory,
  type DirectoryEntry,
  type UserFields,
  type UserFieldsInput,
} from './user-fields.ts';

/** Entries per collection, and the directory's size as JSON: a directory record, not a document store. */
export const DIRECTORY_MAX_ENTRIES = 100;
export const DIRECTORY_MAX_BYTES = 64 * 1024;
const TEXT_MAX = 1024;

/** An entry of emails or phoneNumbers (the two collections the core's fields show). */
type Entry = DirectoryEntry<'emails'>;

const bad = (path: string, message: string) => invalid('user.invalid_directory', message, path);

/** Checks a directory as a client sends it: declared collections and sub-attributes, of their kinds. */
export function validateDirectory(d: unknown): asserts d is Directory {
  if (typeof d !== 'object' || d === null || Array.isArray(d)) throw bad('directory', 'directory must be an object');
  for (const [k, v] of Object.entries(d)) {
    const path = `directory.${k}`;
    if (v === undefined) continue;
    if (k in DIRECTORY.collections) {
      const subs = DIRECTORY.collections[k as CollectionName] as Record<string, 'text' | 'flag'>;
      if (!Array.isArray(v)) throw bad(path, `${path} must be an array`);
      if (v.length > DIRECTORY_MAX_ENTRIES) throw bad(path, `${path} holds at most ${DIRECTORY_MAX_ENTRIES} entries`);
      v.forEach((e: unknown, i) => {
        const at = `${path}[${i}]`;
        if (typeof e !== 'object' || e === null || Array.isArray(e)) throw bad(at, `${at} must be an object`);
        for (const [s, x] of Object.entries(e)) {
          const kind = subs[s];
          if (!kind) throw bad(`${at}.${s}`, `${at}.${s} is not one of ${Object.keys(subs).join(', ')}`);
          if (x === undefined || x === null) continue;
          if (kind === 'flag' ? typeof x !== 'boolean' : typeof x !== 'string')
            throw bad(`${at}.${s}`, `${at}.${s} must be ${kind === 'flag' ? 'true or false' : 'a string'}`);
          if (typeof x === 'string' && x.length > TEXT_MAX)
            throw bad(`${at}.${s}`, `${at}.${s} must be at most ${TEXT_MAX} characters`);
        }
      });
    } else if ((DIRECTORY.texts as readonly string[]).includes(k)) {
      if (v !== null && typeof v !== 'string') throw bad(path, `${path} must be a string`);
      if (typeof v === 'string' && v.length > TEXT_MAX)
        throw bad(path, `${path} must be at most ${TEXT_MAX} characters`);
    } else if (k === 'extensions') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(path, `${path} must be an object`);
      for (const [urn, vals] of Object.entries(v)) {
        if (typeof vals !== 'object' || vals === null || Array.isArray(vals))
          throw bad(`${path}.${urn}`, `${path}.${urn} must be an object`);
      }
    } else {
      throw bad(
        path,
        `directory has no "${k}" (it holds ${[...COLLECTION_NAMES, ...DIRECTORY.texts, 'extensions'].join(', ')})`,
      );
    }
  }
  checkText(d, 'directory', 'user.invalid_directory');
  if (Buffer.byteLength(JSON.stringify(d)) > DIRECTORY_MAX_BYTES)
    throw bad('directory', 'directory must be at most 64 KiB as JSON');
}

/** The directory as stored: null sub-attributes, empty texts and empty collections left out. */
export function compactDirectory(d: Directory): Directory {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) {
      const entries = v
        .map((e) =>
          Object.fromEntries(Object.entries(e as object).filter(([, x]) => x !== null && x !== undefined && x !== '')),
        )
        .filter((e) => Object.keys(e).length > 0);
      if (entries.length) out[k] = entries;
    } else if (typeof v === 'object') {
      const exts = Object.fromEntries(Object.entries(v as object).filter(([, x]) => Object.keys(x as object).length));
      if (Object.keys(exts).length) out[k] = exts;
    } else out[k] = v;
  }
  return out as Directory;
}

// ---- the core email and phone fields ↔ the emails and phoneNumbers collections

/** phoneNumbers.type ↔ the core field holding the first number of that type. */
export const PHONE_TYPES = {
  work: 'phoneOffice',
  home: 'phoneHome',
  mobile: 'phoneMobile',
  fax: 'fax',
  pager: 'pager',
  other: 'phoneOther',
} as const;
export type PhoneType = keyof typeof PHONE_TYPES;
export type PhoneField = (typeof PHONE_TYPES)[PhoneType];
const PHONE_ENTRIES = Object.entries(PHONE_TYPES) as [PhoneType, PhoneField][];
const typeOf = (e: Entry) => (typeof e.type === 'string' ? e.type.toLowerCase() : '');
const isKnownType = (t: string) => t in PHONE_TYPES;

/**
 * The entry a core phone field shows: the first of its type; for phoneOther, the first "other" one,
 * else the first whose type has no field of its own (an untyped number, "main"…).
 */
function phoneIndex(list: Entry[], type: PhoneType): number {
  const exact = list.findIndex((e) => typeOf(e) === type);
  if (exact >= 0 || type !== 'other') return exact;
  return list.findIndex((e) => !isKnownType(typeOf(e)));
}

const validAddress = (e: Entry) => typeof e.value === 'string' && isEmailAddress(normalizeIdentity(e.value));

/**
 * The entry the core email is: among the entries holding a valid address, the primary one, else the
 * "work" one, else the first. Entries that are no address (`CN=…`) stay in the collection.
 */
export function emailIndex(list: Entry[]): number {
  const valid = list.map((e, i) => [e, i] as const).filter(([e]) => validAddress(e));
  const chosen = valid.find(([e]) => e.primary === true) ?? valid.find(([e]) => typeOf(e) === 'work') ?? valid[0];
  return chosen ? chosen[1] : -1;
}

export const pickEmail = (list: Entry[]): string | null => {
  const i = emailIndex(list);
  return i < 0 ? null : normalizeIdentity(list[i].value as string);
};

/** The collection with the core email written into it (null: no entry holds a valid address any more). */
function withEmail(list: Entry[], email: string | null): Entry[] {
  let out = list.map((e) => ({ ...e }));
  if (email === null) return out.filter((e) => !validAddress(e));
  const i = emailIndex(out);
  if (i >= 0) out[i].value = email;
  else {
    out = out.map((e) => (e.primary ? { ...e, primary: false } : e));
    out.unshift({ value: email, type: 'work', primary: true });
  }
  return out;
}

function withPhone(list: Entry[], type: PhoneType, value: string | null): Entry[] {
  const out = list.map((e) => ({ ...e }));
  if (value === null) {
    for (let i = phoneIndex(out, type); i >= 0; i = phoneIndex(out, type)) out.splice(i, 1);
    return out;
  }
  const i = phoneIndex(out, type);
  if (i >= 0) out[i].value = value;
  else out.push({ value, type });
  return out;
}

type Contacts = Pick<UserFields, 'email' | 'directory' | PhoneField>;

/**
 * The emails of a user: the stored collection, or for a user that has none (made through a dialect
 * without collections) the core email as its one, primary, entry.
 */
export function emailsOf(u: Contacts): DirectoryEntry<'emails'>[] {
  return u.directory.emails ?? (u.email ? [{ value: u.email, type: 'work', primary: true }] : []);
}

/** The phone numbers of a user: the stored collection, or the core phone fields as entries. */
export function phoneNumbersOf(u: Contacts): DirectoryEntry<'phoneNumbers'>[] {
  return u.directory.phoneNumbers ?? PHONE_ENTRIES.filter(([, f]) => u[f]).map(([type, f]) => ({ value: u[f]!, type }));
}

/**
 * Keeps the core email and phone fields and the stored collections in step on a write. `input` says
 * what was sent (`full`: a create or replace, where every core field not sent is written empty);
 * `values` are the stored values about to be written (changed in place); `before` is the user as
 * stored (absent on create). A directory sent replaces the stored one; a replace that sends none
 * keeps it.
 * - A collection sent decides the core fields that were not sent (email: the primary valid address;
 *   a phone field: the first number of its type).
 * - A core field written (by any dialect) is written into the collection, when the user has one:
 *   the entry it shows gets the new value, or one is added; clearing it removes the entries it shows.
 * A user without stored collections derives them from the core fields (emailsOf, phoneNumbersOf).
 */
export function syncContacts(
  input: UserFieldsInput,
  values: Partial<UserFields>,
  full: boolean,
  before?: Contacts,
): void {
  const sentDir = input.directory != null ? (values.directory ?? {}) : undefined;
  const base: Directory = sentDir ?? before?.directory ?? {};
  const dir: Directory = { ...base };
  let edited = sentDir !== undefined;
  const written = (f: keyof UserFieldsInput) => input[f] !== undefined || (full && f in values);

  if (sentDir?.emails !== undefined && input.email === undefined) values.email = pickEmail(sentDir.emails);
  else if (written('email') && base.emails !== undefined) {
    dir.emails = withEmail(base.emails, values.email ?? null);
    edited = true;
  }

  const sentPhones = sentDir?.phoneNumbers;
  for (const [type, f] of PHONE_ENTRIES) {
    if (sentPhones !== undefined && input[f] === undefined) {
      const i = phoneIndex(sentPhones, type);
      values[f] = i < 0 ? null : (sentPhones[i].value ?? null);
    } else if (written(f) && dir.phoneNumbers !== undefined) {
      dir.phoneNumbers = withPhone(dir.phoneNumbers, type, values[f] ?? null);
      edited = true;
    }
  }
  if (edited) values.directory = compactDirectory(dir);
}

export type { Directory };
