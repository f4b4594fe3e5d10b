import { KNOWN_SCHEMAS } from './constants.ts';
import { scimInvalid } from './errors.ts';

/** An attribute path as written: optional schema URN, attribute, optional sub-attribute (RFC 7644 §3.10). */
export interface AttrPath {
  schema?: string;
  attr: string;
  sub?: string;
}

export const COMPARE_OPS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];
export type Literal = string | number | boolean | null;

/** The RFC 7644 §3.4.2.2 filter grammar as a tree. */
export type Filter =
  | { op: 'and' | 'or'; left: Filter; right: Filter }
  | { op: 'not'; filter: Filter }
  | { op: 'pr'; path: AttrPath }
  | { op: CompareOp; path: AttrPath; value: Literal }
  | { op: 'valuePath'; path: AttrPath; filter: Filter };

/** A PATCH path: `attr`, `attr.sub`, `attr[filter]`, `attr[filter].sub`, each optionally URN-qualified. */
export interface PatchPath {
  path: AttrPath;
  filter?: Filter;
}

type Token =
  | { t: '(' | ')' | '[' | ']'; pos: number }
  | { t: 'word'; v: string; pos: number }
  | { t: 'lit'; v: Literal; pos: number };

const WORD = /[A-Za-z$_][A-Za-z0-9_\-.:$]*/y;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\]|\\.)*"/y;
/** An unquoted comparison value runs to the next space, parenthesis or bracket. */
const BARE = /[^\s()[\]"]+/y;

const bad = (detail: string) => scimInvalid('invalidFilter', detail);

/** After `attr op` comes a value: clients send it unquoted too (`userName sw O`, a bare date-time). */
function atValue(out: Token[]): boolean {
  const op = out[out.length - 1];
  const attr = out[out.length - 2];
  return (
    op?.t === 'word' &&
    attr?.t === 'word' &&
    (COMPARE_OPS as readonly string[]).includes(op.v.toLowerCase()) &&
    !/^(and|or|not)$/i.test(attr.v)
  );
}

/** An unquoted value: true/false/null and numbers written canonically keep their type; anything else is a string. */
function bareLiteral(raw: string, pos: number): Literal {
  const w = raw.toLowerCase();
  if (w === 'true' || w === 'false') return w === 'true';
  if (w === 'null') return null;
  if (String(Number(raw)) === raw) return Number(raw);
  if (raw.includes('\u0000')) throw bad(`the value at position ${pos} holds a NUL character`);
  return raw;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === '[' || c === ']') {
      out.push({ t: c, pos: i });
      i++;
      continue;
    }
    if (c === '"') {
      STRING.lastIndex = i;
      const m = STRING.exec(src);
      if (!m) throw bad(`unterminated string at position ${i}`);
      let v: string;
      try {
        v = JSON.parse(m[0]) as string;
      } catch {
        throw bad(`invalid string literal at position ${i}`);
      }
      // No stored text holds NUL (PostgreSQL cannot): such a literal can only be a bad filter.
      if (v.includes('\u0000')) throw bad(`the string at position ${i} holds a NUL character`);
      out.push({ t: 'lit', v, pos: i });
      i += m[0].length;
      continue;
    }
    if (atValue(out)) {
      BARE.lastIndex = i;
      const b = BARE.exec(src);
      if (b) {
        out.push({ t: 'lit', v: bareLiteral(b[0], i), pos: i });
        i += b[0].length;
        continue;
      }
    }
    NUMBER.lastIndex = i;
    const n = NUMBER.exec(src);
    if (n) {
      out.push({ t: 'lit', v: Number(n[0]), pos: i });
      i += n[0].length;
      continue;
    }
    WORD.lastIndex = i;
    const w = WORD.exec(src);
    if (w) {
      out.push({ t: 'word', v: w[0], pos: i });
      i += w[0].length;
      continue;
    }
    throw bad(`unexpected character "${c}" at position ${i}`);
  }
  return out;
}

/** Splits `urn:…:User:name.givenName` into schema, attribute and sub-attribute. */
export function splitAttrPath(word: string, opts: { allowBareSchema?: boolean } = {}): AttrPath {
  let schema: string | undefined;
  let rest = word;
  if (/^urn:/i.test(word)) {
    const lower = word.toLowerCase();
    const known = KNOWN_SCHEMAS.find((s) => lower === s.toLowerCase() || lower.startsWith(s.toLowerCase() + ':'));
    if (known) {
      schema = known;
      rest = word.slice(known.length + 1);
    } else {
      const at = word.lastIndexOf(':');
      schema = word.slice(0, at);
      rest = word.slice(at + 1);
    }
    if (rest === '' && opts.allowBareSchema) return { schema, attr: '' };
  }
  const parts = rest.split('.');
  if (parts.length > 2 || parts.some((p) => !/^[A-Za-z$][A-Za-z0-9_\-$]*$/.test(p)))
    throw bad(`"${word}" is not a valid attribute path`);
  return { schema, attr: parts[0], ...(parts[1] !== undefined ? { sub: parts[1] } : {}) };
}

/** Deeper nesting than any real filter needs; it keeps the SQL within SQLite's expression depth. */
const MAX_DEPTH = 32;

class Parser {
  private i = 0;
  private depth = 0;
  constructor(
    private readonly toks: Token[],
    private readonly src: string,
  ) {}

  private peek(): Token | undefined {
    return this.toks[this.i];
  }

  private keyword(tok: Token | undefined, kw: string): boolean {
    return tok?.t === 'word' && tok.v.toLowerCase() === kw;
  }

  private expect(t: '(' | ')' | '[' | ']'): void {
    const tok = this.toks[this.i];
    if (tok?.t !== t)
      throw bad(`expected "${t}" ${tok ? `at position ${tok.pos}` : 'at the end'} in ${JSON.stringify(this.src)}`);
    this.i++;
  }

  parse(): Filter {
    const f = this.or(false);
    const tok = this.peek();
    if (tok)
      throw bad(
        `unexpected ${tok.t === 'word' ? `"${tok.v}"` : tok.t === 'lit' ? 'value' : `"${tok.t}"`} at position ${tok.pos}`,
      );
    return f;
  }

  private or(inValue: boolean): Filter {
    let left = this.and(inValue);
    while (this.keyword(this.peek(), 'or')) {
      this.i++;
      left = { op: 'or', left, right: this.and(inValue) };
    }
    return left;
  }

  private and(inValue: boolean): Filter {
    let left = this.unary(inValue);
    while (this.keyword(this.peek(), 'and')) {
      this.i++;
      left = { op: 'and', left, right: this.unary(inValue) };
    }
    return left;
  }

  private unary(inValue: boolean): Filter {
    const tok = this.peek();
    if (!tok) throw bad(`filter ${JSON.stringify(this.src)} ends too early`);
    if (tok.t === '(' || this.keyword(tok, 'not')) {
      if (++this.depth > MAX_DEPTH) throw bad(`filter is nested more than ${MAX_DEPTH} levels deep`);
      try {
        return this.nested(inValue);
      } finally {
        this.depth--;
      }
    }
    return this.nested(inValue);
  }

  private nested(inValue: boolean): Filter {
    const tok = this.peek()!;
    if (this.keyword(tok, 'not') && this.toks[this.i + 1]?.t === '(') {
      this.i++;
      this.expect('(');
      const f = this.or(inValue);
      this.expect(')');
      return { op: 'not', filter: f };
    }
    if (tok.t === '(') {
      this.i++;
      const f = this.or(inValue);
      this.expect(')');
      return f;
    }
    if (tok.t !== 'word') throw bad(`expected an attribute at position ${tok.pos}`);
    this.i++;
    const path = splitAttrPath(tok.v);
    const next = this.peek();
    if (next?.t === '[') {
      if (inValue) throw bad('value filters cannot be nested');
      if (path.sub) throw bad(`"${tok.v}[…]": a value filter applies to a multi-valued attribute, not a sub-attribute`);
      this.i++;
      const inner = this.or(true);
      this.expect(']');
      return { op: 'valuePath', path, filter: inner };
    }
    if (next?.t !== 'word') throw bad(`expected an operator after "${tok.v}"`);
    const op = next.v.toLowerCase();
    this.i++;
    if (op === 'pr') return { op: 'pr', path };
    if (!(COMPARE_OPS as readonly string[]).includes(op))
      throw bad(`"${next.v}" is not a filter operator (eq ne co sw ew gt ge lt le pr)`);
    const val = this.peek();
    if (!val) throw bad(`"${tok.v} ${next.v}" needs a value`);
    this.i++;
    if (val.t === 'lit') return { op: op as CompareOp, path, value: val.v };
    if (val.t === 'word') {
      const w = val.v.toLowerCase();
      if (w === 'true' || w === 'false') return { op: op as CompareOp, path, value: w === 'true' };
      if (w === 'null') return { op: op as CompareOp, path, value: null };
    }
    throw bad(`"${tok.v} ${next.v}" needs a value: a "string", a number, true, false or null`);
  }

  /** For PATCH paths: `attr[filter]` then an optional `.sub`. */
  patchPath(): PatchPath {
    const tok = this.peek();
    if (tok?.t !== 'word') throw scimInvalid('invalidPath', `"${this.src}" is not a valid path`);
    this.i++;
    let path: AttrPath;
    try {
      path = splitAttrPath(tok.v, { allowBareSchema: true });
    } catch {
      throw scimInvalid('invalidPath', `"${this.src}" is not a valid path`);
    }
    if (this.peek()?.t !== '[') return { path };
    if (path.sub) throw scimInvalid('invalidPath', `"${this.src}" is not a valid path`);
    this.i++;
    const filter = this.or(true);
    this.expect(']');
    return { path, filter };
  }

  done(): boolean {
    return this.i >= this.toks.length;
  }
}

/** Parses a `filter` query parameter; a bad filter is a 400 invalidFilter naming the problem. */
export function parseFilter(src: string): Filter {
  if (src.trim() === '') throw bad('filter is empty');
  if (src.length > 4096) throw bad('filter is longer than 4096 characters');
  return new Parser(tokenize(src), src).parse();
}

/** Parses a PATCH `path` (RFC 7644 §3.5.2): `members[value eq "2"]`, `emails[type eq "work"].value`, `urn:…:employeeNumber`. */
export function parsePatchPath(src: string): PatchPath {
  if (typeof src !== 'string' || src.trim() === '') throw scimInvalid('invalidPath', 'path must be a non-empty string');
  // `attr[filter].sub`: the sub-attribute after the bracket is not a token of the filter grammar.
  const m = /^(.*\])\.([A-Za-z$][A-Za-z0-9_\-$]*)$/.exec(src.trim());
  const head = m ? m[1] : src.trim();
  let toks: Token[];
  try {
    toks = tokenize(head);
  } catch (e) {
    throw scimInvalid('invalidPath', `"${src}" is not a valid path: ${(e as Error).message}`);
  }
  const p = new Parser(toks, src);
  const pp = p.patchPath();
  if (!p.done()) throw scimInvalid('invalidPath', `"${src}" is not a valid path`);
  if (m) {
    if (!pp.filter) throw scimInvalid('invalidPath', `"${src}" is not a valid path`);
    pp.path = { ...pp.path, sub: m[2] };
  }
  return pp;
}

/** A stored value coerced for comparison: IdPs send booleans as "True"/"False". */
function asBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  return undefined;
}

/** Compares one value in memory with the semantics of the filter grammar. */
export function compareValue(op: CompareOp, actual: unknown, expected: Literal, caseExact: boolean): boolean {
  if (actual === undefined || actual === null) {
    if (expected === null) return op === 'eq';
    return op === 'ne';
  }
  if (expected === null) return op === 'ne';
  if (typeof expected === 'boolean') {
    const b = asBoolean(actual);
    if (op === 'eq') return b === expected;
    if (op === 'ne') return b !== expected;
    throw bad(`${op} cannot compare booleans`);
  }
  if (typeof expected === 'number' && typeof actual === 'number') {
    return {
      eq: actual === expected,
      ne: actual !== expected,
      gt: actual > expected,
      ge: actual >= expected,
      lt: actual < expected,
      le: actual <= expected,
      co: false,
      sw: false,
      ew: false,
    }[op];
  }
  let a = String(actual);
  let e = String(expected);
  if (!caseExact) {
    a = a.toLowerCase();
    e = e.toLowerCase();
  }
  switch (op) {
    case 'eq':
      return a === e;
    case 'ne':
      return a !== e;
    case 'co':
      return a.includes(e);
    case 'sw':
      return a.startsWith(e);
    case 'ew':
      return a.endsWith(e);
    case 'gt':
      return a > e;
    case 'ge':
      return a >= e;
    case 'lt':
      return a < e;
    case 'le':
      return a <= e;
  }
}

const present = (v: unknown) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0);

/**
 * Evaluates a value filter (inside `[...]`) against one entry of a multi-valued attribute.
 * `caseExact(sub)` says how a sub-attribute's strings compare.
 */
export function matchesEntry(f: Filter, entry: Record<string, unknown>, caseExact: (sub: string) => boolean): boolean {
  const get = (p: AttrPath) => {
    if (p.sub) throw bad(`"${p.attr}.${p.sub}" inside a value filter: use the sub-attribute name alone`);
    const key = Object.keys(entry).find((k) => k.toLowerCase() === p.attr.toLowerCase());
    return key === undefined ? undefined : entry[key];
  };
  switch (f.op) {
    case 'and':
      return matchesEntry(f.left, entry, caseExact) && matchesEntry(f.right, entry, caseExact);
    case 'or':
      return matchesEntry(f.left, entry, caseExact) || matchesEntry(f.right, entry, caseExact);
    case 'not':
      return !matchesEntry(f.filter, entry, caseExact);
    case 'pr':
      return present(get(f.path));
    case 'valuePath':
      throw bad('value filters cannot be nested');
    default:
      return compareValue(f.op, get(f.path), f.value, caseExact(f.path.attr));
  }
}

/** `type eq "work" and primary eq true` → { type: "work", primary: true }: what a new entry matching the filter holds. */
export function equalities(f: Filter): Record<string, Literal> {
  if (f.op === 'eq' && !f.path.sub) return { [f.path.attr]: f.value };
  if (f.op === 'and') return { ...equalities(f.left), ...equalities(f.right) };
  return {};
}
