import { URN } from './constants.ts';

/** An attribute definition as RFC 7643 §7 publishes it at /Schemas; also drives parsing and PATCH. */
export interface AttrDef {
  name: string;
  type: 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex';
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned: 'always' | 'never' | 'default' | 'request';
  uniqueness: 'none' | 'server' | 'global';
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: AttrDef[];
}

type Opts = Partial<Omit<AttrDef, 'name' | 'type' | 'description'>>;

const attr = (name: string, type: AttrDef['type'], description: string, o: Opts = {}): AttrDef => ({
  name,
  type,
  multiValued: false,
  description,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...o,
});
const str = (name: string, description: string, o: Opts = {}) => attr(name, 'string', description, o);
/** A multi-valued attribute with RFC 7643's value, display, type and primary (domain/user-fields.ts ENTRY). */
const multi = (name: string, description: string, types?: string[]) =>
  attr(name, 'complex', description, {
    multiValued: true,
    subAttributes: [
      str('value', 'The value.'),
      str('display', 'A human-readable name.'),
      str('type', 'A label for the function of the value.', types ? { canonicalValues: types } : {}),
      attr('primary', 'boolean', 'The primary value (at most one).'),
    ],
  });

/** The User schema: every attribute is stored (see the mapping in user-mapping.ts and docs/dialects/scim.md). */
export const USER_ATTRS: AttrDef[] = [
  str('userName', 'Unique identifier for the User (core username), unique per tenant, compared case-insensitively.', {
    required: true,
    uniqueness: 'server',
  }),
  attr('name', 'complex', "The components of the user's name.", {
    subAttributes: [
      str(
        'formatted',
        'The full name, kept as sent; a user without one shows given + middle + family name (filters match a stored one only).',
      ),
      str('familyName', 'Family name (core lastName).'),
      str('givenName', 'Given name (core firstName).'),
      str('middleName', 'Middle name (core middleName).'),
      str('honorificPrefix', 'Honorific prefix, e.g. Ms.'),
      str('honorificSuffix', 'Honorific suffix, e.g. III.'),
    ],
  }),
  str('displayName', 'The name of the User, suitable for display (core displayName).'),
  str('nickName', 'Casual name (stored as the custom attribute nickName).'),
  attr('profileUrl', 'reference', "URL of the user's online profile (core website).", { referenceTypes: ['external'] }),
  str('title', 'Job title (core title).'),
  str('userType', 'Relationship of the user to the organization (custom attribute userType).'),
  str('preferredLanguage', 'Preferred written or spoken language (custom attribute preferredLanguage).'),
  str('locale', 'Default location for localization, e.g. en-US (custom attribute locale).'),
  str('timezone', 'Time zone, e.g. Europe/Paris (custom attribute timezone).'),
  attr('active', 'boolean', 'Whether the user may sign in (core active). Inactive users stay readable and filterable.'),
  str('password', 'Write-only; hashed with argon2id, never returned. An empty string is ignored.', {
    mutability: 'writeOnly',
    returned: 'never',
  }),
  multi(
    'emails',
    'Email addresses, kept as sent. The core email is the primary one holding a valid address, else the "work" one, else the first; entries that are no address are kept too.',
    ['work', 'home', 'other'],
  ),
  multi(
    'phoneNumbers',
    'Phone numbers, kept as sent. The first of each type is a core field: work, home, mobile, fax, pager, other (phoneOffice, phoneHome, phoneMobile, fax, pager, phoneOther; phoneOther also takes the first of a type without a field).',
    ['work', 'home', 'mobile', 'fax', 'pager', 'other'],
  ),
  attr('addresses', 'complex', 'Physical mailing addresses, kept as sent.', {
    multiValued: true,
    subAttributes: [
      str('formatted', 'The full mailing address.'),
      str('streetAddress', 'The street address.'),
      str('locality', 'The city or locality.'),
      str('region', 'The state or region.'),
      str('postalCode', 'The zip or postal code.'),
      str('country', 'The country, ISO 3166-1 alpha-2 (e.g. US).'),
      str('display', 'A human-readable name.'),
      str('type', 'work, home or other.', { canonicalValues: ['work', 'home', 'other'] }),
      attr('primary', 'boolean', 'The primary address.'),
    ],
  }),
  multi('ims', 'Instant messaging addresses, kept as sent.', [
    'aim',
    'gtalk',
    'icq',
    'xmpp',
    'msn',
    'skype',
    'qq',
    'yahoo',
  ]),
  multi('photos', 'URLs of photos of the user, kept as sent.', ['photo', 'thumbnail']),
  multi('entitlements', 'Entitlements, kept as sent.'),
  multi('roles', 'Roles, kept as sent.'),
  multi('x509Certificates', 'X.509 certificates (base64 DER), kept as sent.'),
  attr('groups', 'complex', 'The groups the user is a direct member of (change them through /Groups).', {
    multiValued: true,
    mutability: 'readOnly',
    subAttributes: [
      str('value', 'The id of the group.', { mutability: 'readOnly', caseExact: true }),
      attr('$ref', 'reference', 'The URI of the group.', {
        mutability: 'readOnly',
        referenceTypes: ['Group'],
        caseExact: true,
      }),
      str('display', 'The displayName of the group.', { mutability: 'readOnly' }),
      str('type', 'Always "direct".', { mutability: 'readOnly', canonicalValues: ['direct'] }),
    ],
  }),
];

export const ENTERPRISE_ATTRS: AttrDef[] = [
  str('employeeNumber', 'Stored as the custom attribute employeeNumber.'),
  str('costCenter', 'Stored as the custom attribute costCenter.'),
  str('organization', 'Core company.'),
  str('division', 'Stored as the custom attribute division.'),
  str('department', 'Core department.'),
  attr('manager', 'complex', "The user's manager (its id is stored as the custom attribute managerId).", {
    subAttributes: [
      str('value', 'The id of the manager (a user of the same tenant).', { caseExact: true }),
      attr('$ref', 'reference', 'The URI of the manager.', { referenceTypes: ['User'], caseExact: true }),
      str('displayName', "The manager's displayName, kept as sent."),
    ],
  }),
];

export const GROUP_ATTRS: AttrDef[] = [
  str('displayName', 'Name of the group, unique per tenant (case-insensitively).', {
    required: true,
    uniqueness: 'server',
  }),
  attr('members', 'complex', 'The users in the group (nested groups are not supported).', {
    multiValued: true,
    subAttributes: [
      str('value', 'The id of a user of the same tenant.', { mutability: 'immutable', caseExact: true }),
      attr('$ref', 'reference', 'The URI of the user (ignored on write).', {
        mutability: 'immutable',
        referenceTypes: ['User'],
        caseExact: true,
      }),
      str('display', 'The displayName (else userName) of the user (read-only).', { mutability: 'readOnly' }),
      str('type', 'Always "User".', { mutability: 'immutable', canonicalValues: ['User'] }),
    ],
  }),
];

/** Attributes every resource has (RFC 7643 §3.1); not part of the published schemas. */
export const COMMON_ATTRS: AttrDef[] = [
  str('id', 'Identifier assigned by Roster.', {
    mutability: 'readOnly',
    returned: 'always',
    caseExact: true,
    uniqueness: 'server',
  }),
  str('externalId', "The identifier of the resource in the client's system.", { caseExact: true }),
  attr('meta', 'complex', 'Resource metadata.', {
    mutability: 'readOnly',
    subAttributes: [
      str('resourceType', 'User or Group.', { mutability: 'readOnly', caseExact: true }),
      attr('created', 'dateTime', 'When the resource was created.', { mutability: 'readOnly' }),
      attr('lastModified', 'dateTime', 'When the resource last changed.', { mutability: 'readOnly' }),
      attr('location', 'reference', 'The URI of the resource.', { mutability: 'readOnly', caseExact: true }),
      str('version', 'The weak ETag of the resource.', { mutability: 'readOnly', caseExact: true }),
    ],
  }),
];

/** A resource type: its core schema and the extensions it accepts. */
export interface ResourceSchema {
  name: 'User' | 'Group';
  endpoint: '/Users' | '/Groups';
  core: { urn: string; attrs: AttrDef[] };
  extensions: { urn: string; attrs: AttrDef[] }[];
}

export const USER_RESOURCE: ResourceSchema = {
  name: 'User',
  endpoint: '/Users',
  core: { urn: URN.user, attrs: USER_ATTRS },
  extensions: [{ urn: URN.enterprise, attrs: ENTERPRISE_ATTRS }],
};

export const GROUP_RESOURCE: ResourceSchema = {
  name: 'Group',
  endpoint: '/Groups',
  core: { urn: URN.group, attrs: GROUP_ATTRS },
  extensions: [],
};

export const findDef = (defs: AttrDef[] | undefined, name: string): AttrDef | undefined =>
  defs?.find((d) => d.name.toLowerCase() === name.toLowerCase());

/** Resolves a path's schema + attribute to its definition and the schema it lives in (null: core). */
export function resolveAttr(
  rs: ResourceSchema,
  schema: string | undefined,
  name: string,
): { def: AttrDef; ext: string | null } | undefined {
  if (schema !== undefined) {
    if (schema.toLowerCase() === rs.core.urn.toLowerCase()) {
      const def = findDef(rs.core.attrs, name) ?? findDef(COMMON_ATTRS, name);
      return def ? { def, ext: null } : undefined;
    }
    const ext = rs.extensions.find((e) => e.urn.toLowerCase() === schema.toLowerCase());
    const def = ext && findDef(ext.attrs, name);
    return ext && def ? { def, ext: ext.urn } : undefined;
  }
  const def = findDef(rs.core.attrs, name) ?? findDef(COMMON_ATTRS, name);
  return def ? { def, ext: null } : undefined;
}
