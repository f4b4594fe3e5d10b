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

/** The User schema as Roster supports it: only attributes that are stored (see mapping in user-mapping.ts). */
export const USER_ATTRS: AttrDef[] = [
  str('userName', 'Unique identifier for the User (core username), unique per tenant, compared case-insensitively.', {
    required: true,
    uniqueness: 'server',
  }),
  attr('name', 'complex', "The components of the user's name.", {
    subAttributes: [
      str(
        'formatted',
        'The full name. Returned as given + middle + family name; a value sent (Entra maps one by default) is accepted and not stored.',
      ),
      str('familyName', 'Family name (core lastName).'),
      str('givenName', 'Given name (core firstName).'),
      str('middleName', 'Middle name (core middleName).'),
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
  attr(
    'emails',
    'complex',
    'Email addresses. Roster stores ONE email per user (core email): the primary one, else the "work" one, else the first.',
    {
      multiValued: true,
      subAttributes: [
        str('value', 'The email address.'),
        str('display', 'Ignored on write.'),
        str('type', 'work, home or other.', { canonicalValues: ['work', 'home', 'other'] }),
        attr('primary', 'boolean', 'The stored email is always returned as primary.'),
      ],
    },
  ),
  attr(
    'phoneNumbers',
    'complex',
    'Phone numbers, one per type: work, home, mobile, fax, pager, other (core phoneOffice, phoneHome, phoneMobile, fax, pager, phoneOther).',
    {
      multiValued: true,
      subAttributes: [
        str('value', 'The phone number.'),
        str('display', 'Ignored on write.'),
        str('type', 'The slot it is stored in; any other type is stored as "other".', {
          canonicalValues: ['work', 'home', 'mobile', 'fax', 'pager', 'other'],
        }),
        attr('primary', 'boolean', 'Ignored on write.'),
      ],
    },
  ),
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
      str('displayName', "The manager's displayName (read-only).", { mutability: 'readOnly' }),
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

/**
 * RFC 7643 User attributes Roster does not store. Writes to them (IdPs send `roles: []`, addresses…)
 * are accepted and ignored rather than failing a whole provisioning call; they are not published.
 */
export const IGNORED_USER_ATTRS = [
  'addresses',
  'ims',
  'photos',
  'entitlements',
  'roles',
  'x509Certificates',
  'honorificPrefix',
  'honorificSuffix',
];

/** A resource type: its core schema and the extensions it accepts. */
export interface ResourceSchema {
  name: 'User' | 'Group';
  endpoint: '/Users' | '/Groups';
  core: { urn: string; attrs: AttrDef[] };
  extensions: { urn: string; attrs: AttrDef[] }[];
  /** Attribute (or name.<sub>) names that are accepted on write and dropped. */
  ignored: string[];
}

export const USER_RESOURCE: ResourceSchema = {
  name: 'User',
  endpoint: '/Users',
  core: { urn: URN.user, attrs: USER_ATTRS },
  extensions: [{ urn: URN.enterprise, attrs: ENTERPRISE_ATTRS }],
  ignored: IGNORED_USER_ATTRS,
};

export const GROUP_RESOURCE: ResourceSchema = {
  name: 'Group',
  endpoint: '/Groups',
  core: { urn: URN.group, attrs: GROUP_ATTRS },
  extensions: [],
  ignored: [],
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
