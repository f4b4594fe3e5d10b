import { DomainError, invalid } from '../domain/errors.ts';
import { validateDirectory } from '../domain/user-directory.ts';
import { normalizeIdentity, validateUserInput, type Attributes, type UserInput } from '../domain/user.ts';
import type { ImportMode } from '../domain/import.ts';
import { ofKind, USER_FIELD_NAMES } from '../domain/user-fields.ts';
import { unescapeFormula } from './csv-formula.ts';
import { normalizePasswordHash } from './legacy-hashes.ts';

/**
 * One file row → a checked core input. NDJSON rows are objects with core field names (what the
 * export writes); CSV rows come as header→cell maps. Fields the export writes but an import cannot
 * set (id, tenantId, hasPassword, version) are ignored, any other unknown field is an error.
 */
export interface PreparedRow {
  line: number;
  /** Only the fields the row carries (upsert changes those and keeps the rest). */
  input: UserInput;
  password?: string;
  /** Already in its stored form (see legacy-hashes.ts). */
  passwordHash?: string;
  createdAt?: number;
  updatedAt?: number;
  lastLoginAt?: number | null;
}

const IGNORED = new Set(['id', 'tenantId', 'hasPassword', 'version']);
const BOOLEAN_FIELDS = ofKind('flag');
const DEFAULTED_FIELDS = ofKind('label');
const TIME_FIELDS = ['createdAt', 'updatedAt', 'lastLoginAt'] as const;
const PLAN_MAX = 64;

/** Every column a CSV header may name (besides attr.<name>). */
export const CSV_COLUMNS = new Set<string>([
  ...USER_FIELD_NAMES.filter((f) => f !== 'attributes' && f !== 'directory'),
  'password',
  'passwordHash',
  ...TIME_FIELDS,
  ...IGNORED,
]);
const NDJSON_FIELDS = new Set<string>([...CSV_COLUMNS, 'attributes', 'directory']);
/** Fields taken as they are (checked by validateUserInput); a Set, looked up for every field of a million rows. */
const BOOLEAN_INPUTS = new Set<string>(BOOLEAN_FIELDS);
const DEFAULTED_INPUTS = new Set<string>(DEFAULTED_FIELDS);
const AS_IS_FIELDS = new Set<string>([...ofKind('text'), ...ofKind('gender')]);

export const ATTR_PREFIX = 'attr.';

const rowError = (message: string, field?: string) => invalid('import.invalid_row', message, field);

function time(field: string, v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return t;
  }
  throw rowError(`${field} must be an ISO 8601 date-time or epoch milliseconds`, field);
}

/** A CSV attribute cell: JSON when it parses as JSON (numbers, booleans, "quoted strings"...), else the text itself. */
export function attributeFromCell(cell: string): unknown {
  try {
    return JSON.parse(cell);
  } catch {
    return cell;
  }
}

/** The inverse of attributeFromCell: text as it is unless it would read back as something else. */
export function attributeToCell(v: unknown): string {
  if (typeof v === 'string') {
    if (v === '') return '""';
    try {
      JSON.parse(v);
    } catch {
      return v;
    }
  }
  return JSON.stringify(v);
}

function booleanCell(field: string, cell: string): boolean {
  const c = cell.trim().toLowerCase();
  if (c === 'true' || c === '1') return true;
  if (c === 'false' || c === '0') return false;
  throw rowError(`${field} must be true or false (got "${cell}")`, field);
}

/** A CSV row (header → cell) → the NDJSON-shaped object: empty cells are null (profile) or absent (the rest). */
export function csvRecord(header: string[], cells: string[]): Record<string, unknown> {
  if (cells.length !== header.length)
    throw rowError(`has ${cells.length} cells but the header has ${header.length} columns`);
  const out: Record<string, unknown> = {};
  let attributes: Attributes | undefined;
  header.forEach((col, i) => {
    const cell = unescapeFormula(cells[i]);
    if (col.startsWith(ATTR_PREFIX)) {
      attributes ??= {};
      if (cell !== '') attributes[col.slice(ATTR_PREFIX.length)] = attributeFromCell(cell);
      return;
    }
    if (IGNORED.has(col)) return;
    if (AS_IS_FIELDS.has(col)) out[col] = cell === '' ? null : cell;
    else if (cell === '') return;
    else if ((BOOLEAN_FIELDS as readonly string[]).includes(col)) out[col] = booleanCell(col, cell);
    else if (col === 'createdAt' || col === 'updatedAt' || col === 'lastLoginAt')
      out[col] = /^\d+$/.test(cell) ? Number(cell) : cell;
    else out[col] = cell;
  });
  if (attributes) out.attributes = attributes;
  return out;
}

/** Checks a CSV header; answers the problem, or null when every column is known. */
export function headerProblem(header: string[]): string | null {
  const unknown = header.filter(
    (c) =>
      !CSV_COLUMNS.has(c) &&
      !(c.startsWith(ATTR_PREFIX) && /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(c.slice(ATTR_PREFIX.length))),
  );
  if (unknown.length > 0) {
    const names = unknown
      .slice(0, 5)
      .map((c) => JSON.stringify(c.length > 40 ? c.slice(0, 40) + '…' : c))
      .join(', ');
    return `unknown column${unknown.length > 1 ? 's' : ''} ${names} in the CSV header (line 1): columns are core field names (username, email, firstName, …, password, passwordHash) or attr.<name>`;
  }
  const seen = new Set<string>();
  for (const c of header) {
    if (seen.has(c)) return `column "${c}" appears twice in the CSV header (line 1)`;
    seen.add(c);
  }
  if (header.length === 0 || (header.length === 1 && header[0] === '')) return 'the CSV header (line 1) is empty';
  return null;
}

/** A row's object → a checked PreparedRow; throws an `invalid` DomainError saying what is wrong. */
export function prepareRow(
  line: number,
  raw: Record<string, unknown>,
  mode: ImportMode,
  passwordMinLength: number,
): PreparedRow {
  const input: UserInput = {};
  const row: PreparedRow = { line, input };
  const inp = input as Record<string, unknown>;
  for (const [k, v] of Object.entries(raw)) {
    if (!NDJSON_FIELDS.has(k)) throw rowError(`unknown field "${k.length > 40 ? k.slice(0, 40) + '…' : k}"`, k);
    if (IGNORED.has(k) || v === undefined) continue;
    if (AS_IS_FIELDS.has(k))
      inp[k] = (k === 'username' || k === 'email') && typeof v === 'string' ? normalizeIdentity(v) : v;
    else if (BOOLEAN_INPUTS.has(k)) {
      if (typeof v !== 'boolean') throw rowError(`${k} must be true or false`, k);
      inp[k] = v;
    } else if (DEFAULTED_INPUTS.has(k)) {
      if (v !== null && (typeof v !== 'string' || v.length > PLAN_MAX))
        throw rowError(`${k} must be a string of at most ${PLAN_MAX} characters`, k);
      inp[k] = v;
    } else if (k === 'attributes') {
      if (v !== null && (typeof v !== 'object' || Array.isArray(v))) throw rowError('attributes must be an object', k);
      inp[k] = v;
    } else if (k === 'directory') {
      if (v !== null) validateDirectory(v);
      inp[k] = v;
    } else if (k === 'password') {
      if (v !== null) {
        if (typeof v !== 'string') throw rowError('password must be a string', k);
        row.password = v;
      }
    } else if (k === 'passwordHash') {
      if (v !== null) row.passwordHash = normalizePasswordHash(v);
    } else if (k === 'lastLoginAt') row.lastLoginAt = v === null ? null : time(k, v);
    else if (k === 'createdAt' || k === 'updatedAt') {
      if (v !== null) row[k] = time(k, v);
    }
  }
  if (row.password !== undefined && row.passwordHash !== undefined)
    throw rowError('has both password and passwordHash; send one', 'password');
  if (mode === 'upsert' && input.externalId == null && input.username == null && input.email == null) {
    throw rowError('needs an externalId, username or email to be matched in upsert mode');
  }
  validateUserInput(
    { ...input, ...(row.password !== undefined ? { password: row.password } : {}) },
    { passwordMinLength },
  );
  return row;
}

/** The message of a row's error (DomainErrors as they are; anything else is not shown). */
export function rowMessage(e: unknown): string {
  return e instanceof DomainError ? e.message : 'could not be read';
}
