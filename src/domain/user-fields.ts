/**
 * The user model, declared once: every stored field a client can write, with its kind. The domain
 * types, the write values, the audited and sortable fields, the store's columns and row mapping,
 * the import/export columns and the management API's schema are derived from this list (see
 * docs/architecture.md, "Adding a field to users").
 *
 * Kinds: `text` a nullable string (max 1024 characters); `gender` one of GENDERS or null; `flag` a
 * boolean with a default; `label` a non-null string with a default (null written = the default);
 * `attributes` the custom attributes object; `directory` the directory data identity providers send
 * (declared below as DIRECTORY: contact collections, name parts, extension schemas' values).
 */
export const USER_FIELDS = {
  externalId: { kind: 'text' },
  username: { kind: 'text' },
  email: { kind: 'text' },
  firstName: { kind: 'text' },
  middleName: { kind: 'text' },
  lastName: { kind: 'text' },
  displayName: { kind: 'text' },
  company: { kind: 'text' },
  title: { kind: 'text' },
  department: { kind: 'text' },
  website: { kind: 'text' },
  phoneHome: { kind: 'text' },
  phoneOffice: { kind: 'text' },
  phoneMobile: { kind: 'text' },
  phoneTollFree: { kind: 'text' },
  phoneOther: { kind: 'text' },
  pager: { kind: 'text' },
  fax: { kind: 'text' },
  gender: { kind: 'gender' },
  active: { kind: 'flag', default: true },
  verified: { kind: 'flag', default: false },
  plan: { kind: 'label', default: 'free' },
  billingType: { kind: 'label', default: 'invoice' },
  attributes: { kind: 'attributes' },
  directory: { kind: 'directory' },
} as const satisfies Record<string, FieldSpec>;

/**
 * The directory data of a user, declared once: multi-valued collections (each entry's sub-attributes
 * with their kind) and single texts. Stored together in one JSON column (absent ≡ empty), so reads
 * that do not need it pay one nullable column. The core `email` and phone fields are kept in step
 * with `emails` and `phoneNumbers` (see domain/user-directory.ts).
 */
const ENTRY = { value: 'text', display: 'text', type: 'text', primary: 'flag' } as const;
export const DIRECTORY = {
  collections: {
    emails: ENTRY,
    phoneNumbers: ENTRY,
    addresses: {
      formatted: 'text',
      streetAddress: 'text',
      locality: 'text',
      region: 'text',
      postalCode: 'text',
      country: 'text',
      display: 'text',
      type: 'text',
      primary: 'flag',
    },
    ims: ENTRY,
    photos: ENTRY,
    entitlements: ENTRY,
    roles: ENTRY,
    x509Certificates: ENTRY,
  },
  texts: ['nameFormatted', 'honorificPrefix', 'honorificSuffix', 'managerDisplayName'],
} as const;
type Collections = typeof DIRECTORY.collections;
export type CollectionName = keyof Collections;
export type DirectoryText = (typeof DIRECTORY.texts)[number];
export type DirectoryEntry<C extends CollectionName> = {
  [K in keyof Collections[C]]?: Collections[C][K] extends 'flag' ? boolean : string;
};
/** Values of the tenant's own extension schemas, by schema URN, then attribute name. */
export type ExtensionValues = Record<string, Record<string, unknown>>;
export type Directory = { [C in CollectionName]?: DirectoryEntry<C>[] } & { [T in DirectoryText]?: string } & {
  extensions?: ExtensionValues;
};
export const COLLECTION_NAMES = Object.keys(DIRECTORY.collections) as CollectionName[];

export const GENDERS = ['male', 'female', 'other', 'unknown'] as const;
export type Gender = (typeof GENDERS)[number];
export type Attributes = Record<string, unknown>;

type FieldSpec =
  | { kind: 'text' | 'gender' | 'attributes' | 'directory' }
  | { kind: 'flag'; default: boolean }
  | { kind: 'label'; default: string };
export type FieldKind = FieldSpec['kind'];

/** The value each kind holds in the domain. */
interface KindValue {
  text: string | null;
  gender: Gender | null;
  flag: boolean;
  label: string;
  attributes: Attributes;
  directory: Directory;
}

type Fields = typeof USER_FIELDS;
export type UserFieldName = keyof Fields;
export type UserFieldsOfKind<K extends FieldKind> = {
  [F in UserFieldName]: Fields[F]['kind'] extends K ? F : never;
}[UserFieldName];

/** Every declared field with its domain value. */
export type UserFields = { [F in UserFieldName]: KindValue[Fields[F]['kind']] };

export const USER_FIELD_NAMES = Object.keys(USER_FIELDS) as UserFieldName[];
/** The fields the audit trail compares (the password separately: only whether it is set). */
export const AUDITED_USER_FIELDS = USER_FIELD_NAMES;
export const kindOf = (f: UserFieldName): FieldKind => USER_FIELDS[f].kind;
export const ofKind = <K extends FieldKind>(k: K) =>
  USER_FIELD_NAMES.filter((f) => kindOf(f) === k) as UserFieldsOfKind<K>[];

/** Plain string profile fields (nullable). */
export const PROFILE_FIELDS = ofKind('text');
export type ProfileField = UserFieldsOfKind<'text'>;

/** The defaults of the fields that have one (a field not sent on create, or written as null). */
export const USER_DEFAULTS = Object.fromEntries(
  USER_FIELD_NAMES.flatMap((f) => {
    const spec: FieldSpec = USER_FIELDS[f];
    return 'default' in spec ? [[f, spec.default]] : [];
  }),
) as { [F in UserFieldsOfKind<'flag' | 'label'>]: KindValue[Fields[F]['kind']] };

/** Everything stored for a new or fully replaced user: every field, and the password's hash. */
export type UserValues = UserFields & { passwordHash: string | null };

/** Writable fields as a client sends them: `undefined` = not sent, `null` = clear (or the default). */
export type UserFieldsInput = { [F in UserFieldName]?: KindValue[Fields[F]['kind']] | null };

/**
 * Compiles `(a, b, …) => ({ key: expr, … })` once: each call then builds one object literal with a
 * fixed shape, as fast as a hand-written one, from a list of keys that stays in one place.
 * Keys and expressions come from this code base (never from input); keys go in as string literals.
 */
export function compileLiteral<F extends (...args: never[]) => unknown>(
  params: string[],
  entries: [key: string, expression: string][],
  env: Record<string, unknown> = {},
): F {
  const body = entries.map(([k, e]) => `${JSON.stringify(k)}: ${e}`).join(',\n');
  const make = new Function(...Object.keys(env), `return (${params.join(', ')}) => ({\n${body}\n});`);
  return make(...Object.values(env)) as F;
}

/** `s["key"]`: how generated literals read a field. */
export const read = (src: string, key: string) => `${src}[${JSON.stringify(key)}]`;

/**
 * Input → the stored values of a new (or fully replaced) user: a field not sent takes its empty
 * value or its default. One generated object literal: this runs for every created user.
 */
export const newUserValues = compileLiteral<(input: UserFieldsInput, passwordHash: string | null) => UserValues>(
  ['s', 'h'],
  [
    ...USER_FIELD_NAMES.map((f): [string, string] => {
      const k = kindOf(f);
      const empty =
        k === 'flag' || k === 'label'
          ? `D[${JSON.stringify(f)}]`
          : k === 'attributes' || k === 'directory'
            ? '{}'
            : 'null';
      return [f, `${read('s', f)} ?? ${empty}`];
    }),
    ['passwordHash', 'h'],
  ],
  { D: USER_DEFAULTS },
);

/** Input → the stored values of the fields it sends (an update changes those and keeps the rest). */
export function sentUserValues(input: UserFieldsInput): Partial<UserFields> {
  const out: Record<string, unknown> = {};
  for (const f of USER_FIELD_NAMES) {
    const v = input[f];
    if (v === undefined) continue;
    const k = kindOf(f);
    out[f] =
      v ??
      (k === 'flag' || k === 'label'
        ? USER_DEFAULTS[f as keyof typeof USER_DEFAULTS]
        : k === 'attributes' || k === 'directory'
          ? {}
          : null);
  }
  return out as Partial<UserFields>;
}
