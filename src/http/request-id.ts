import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** W3C traceparent: version-traceid-parentid-flags (lower-case hex). */
const TRACEPARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * A request's id: `<trace-id>-<parent-id>` of its W3C `traceparent` header when it has a valid
 * one (so a log search by the caller's trace id finds it), else the same shape made up of random
 * hex. Not `x-request-id`: the Usermost dialect reads that as an idempotency key.
 */
export function requestIdOf(req: IncomingMessage): string {
  const tp = req.headers.traceparent;
  if (typeof tp === 'string') {
    const m = TRACEPARENT.exec(tp.trim());
    if (m && m[1] !== 'ff' && m[2] !== ZERO_TRACE && m[3] !== ZERO_SPAN) return `${m[2]}-${m[3]}`;
  }
  return newId();
}

// Random bytes are drawn in blocks: one call per request cost more than the rest of the id.
let pool = Buffer.alloc(0);
let offset = 0;
function newId(): string {
  if (offset + 24 > pool.length) {
    pool = randomBytes(24 * 256);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + 24);
  offset += 24;
  return `${hex.slice(0, 32)}-${hex.slice(32)}`;
}
