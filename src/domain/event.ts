import { invalid } from './errors.ts';
import { hasUnstorableText } from './text.ts';

export { hasUnstorableText };

/** A custom event recorded for a user ("track your users and their actions"). */
export interface UserEvent {
  id: number;
  tenantId: number;
  /** The core user id. */
  userId: number;
  eventName: string;
  eventTime: Date;
  params: Record<string, unknown>;
  createdAt: Date;
}

/** One event to record, addressed by the user's externalId (the user is created if unknown). */
export interface EventInput {
  externalId: string;
  eventName: string;
  /** Absent: the time it is recorded. */
  eventTime?: Date;
  params?: Record<string, unknown>;
}

export const EVENT_NAME_MAX = 255;
export const EVENT_PARAMS_MAX_BYTES = 64 * 1024;
export const EVENT_BATCH_MAX = 500;

/**
 * ISO 8601 date-times with an explicit offset: `2013-01-26T07:31:05+0000`, `…+00:00`, `…Z`,
 * seconds and fractions optional (clients send `2013-01-26T07:31+0000`, with no seconds).
 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/;

export function parseDateTime(value: string, field: string): Date {
  const m = DATE_TIME.exec(value);
  if (!m) throw invalid('event.invalid_time', `${field} must be a date-time like 2013-01-26T07:31:05+0000`, field);
  const [, y, mo, d, h, mi, s = '00', frac = '', zone] = m;
  const offset = zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac ? '.' + frac.slice(0, 3) : ''}${offset}`;
  const ms = Date.parse(iso);
  // Date.parse rolls 2013-02-31 over to March; a round trip of the day catches it.
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (
    !Number.isFinite(ms) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  ) {
    throw invalid('event.invalid_time', `${field} is not a valid date-time`, field);
  }
  return new Date(ms);
}

const unstorable = (field: string) =>
  invalid('event.invalid_text', `${field} must not contain NUL characters or unpaired surrogates`, field);

export function validateEvent(e: EventInput, field = ''): void {
  const at = (name: string) => (field ? `${field}.${name}` : name);
  if (typeof e.externalId !== 'string' || e.externalId.trim() === '' || e.externalId.length > 1024) {
    throw invalid(
      'event.invalid_user',
      `${at('userId')} must be a non-empty string of at most 1024 characters`,
      at('userId'),
    );
  }
  if (hasUnstorableText(e.externalId)) throw unstorable(at('userId'));
  if (typeof e.eventName !== 'string' || e.eventName.trim() === '' || e.eventName.length > EVENT_NAME_MAX) {
    throw invalid(
      'event.invalid_name',
      `${at('eventName')} must be a non-empty string of at most ${EVENT_NAME_MAX} characters`,
      at('eventName'),
    );
  }
  if (hasUnstorableText(e.eventName)) throw unstorable(at('eventName'));
  if (e.params !== undefined) {
    if (e.params === null || typeof e.params !== 'object' || Array.isArray(e.params)) {
      throw invalid('event.invalid_params', `${at('params')} must be an object`, at('params'));
    }
    if (Buffer.byteLength(JSON.stringify(e.params)) > EVENT_PARAMS_MAX_BYTES) {
      throw invalid('event.params_too_large', `${at('params')} must be at most 64 KiB as JSON`, at('params'));
    }
    if (hasUnstorableText(e.params)) throw unstorable(at('params'));
  }
}

export function validateEventBatch(events: EventInput[]): void {
  if (events.length === 0) throw invalid('event.empty_batch', 'events must hold at least one event', 'events');
  if (events.length > EVENT_BATCH_MAX)
    throw invalid('event.batch_too_large', `events takes at most ${EVENT_BATCH_MAX} events`, 'events');
  events.forEach((e, i) => validateEvent(e, `events.${i}`));
}
