import { invalid } from '../../../domain/errors.ts';
import type { User, UserInput } from '../../../domain/user.ts';
import type { UsrWrite as CoreWrite } from '../../../services/usr-service.ts';
import type { UsrUser, UsrWrite } from './schemas.ts';

/** Core user → the /usr user object. Never a password. */
export const usrWire = (u: User): UsrUser => ({
  userId: u.id,
  contactName: u.displayName,
  emailAddress: u.email,
  defaultAccountId: u.tenantId,
  username: u.username,
  active: u.active ? 1 : 0,
});

/** Wire field → core field, for error messages that name a core field. */
export const WIRE_NAME: Record<string, string> = {
  displayName: 'contactName',
  email: 'emailAddress',
  tenantId: 'defaultAccountId',
  username: 'username',
  password: 'password',
  active: 'active',
};

const REQUIRED = ['contactName', 'emailAddress', 'defaultAccountId', 'username', 'password'] as const;

const blank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** 0/1, "0"/"1" and true/false (legacy clients send `"active":"0"`). */
export function activeOf(v: unknown): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (v === 1 || v === '1' || v === true) return true;
  if (v === 0 || v === '0' || v === false) return false;
  throw invalid(
    'usr.invalid_active',
    `active must be 0 or 1 ("0"/"1" and true/false are accepted too), not ${JSON.stringify(v)}`,
    'active',
  );
}

function accountIdOf(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
    throw invalid(
      'usr.invalid_account',
      `defaultAccountId must be a positive integer account id, not ${JSON.stringify(v)}`,
      'defaultAccountId',
    );
  }
  return n;
}

/** The fields sent, in core terms; `null` counts as not sent. An empty contactName clears the name. */
function writeOf(body: UsrWrite): CoreWrite {
  const input: UserInput = {};
  if (body.contactName != null) input.displayName = body.contactName === '' ? null : body.contactName;
  if (body.emailAddress != null) input.email = body.emailAddress;
  if (body.username != null) input.username = body.username;
  if (body.password != null) input.password = body.password;
  const active = activeOf(body.active);
  if (active !== undefined) input.active = active;
  return { input, tenantId: accountIdOf(body.defaultAccountId) };
}

/** addUser: every required field present and not empty (one 400 names all that are missing). */
export function addOf(body: UsrWrite): CoreWrite {
  const missing = REQUIRED.filter((f) => blank(body[f]));
  if (missing.length) {
    const list = missing.join(', ');
    throw invalid('usr.missing_fields', `missing required field${missing.length > 1 ? 's' : ''}: ${list}`, missing[0]);
  }
  const w = writeOf(body);
  if (w.input.active === undefined) w.input.active = true; // the API's default
  return w;
}

/** modifyUser: only the fields sent change. */
export const modifyOf = (body: UsrWrite): CoreWrite => writeOf(body);
