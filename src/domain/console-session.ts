/** Console sessions: the numbers and names in one place. */
export const SESSION_IDLE_MS = 30 * 60_000;
export const SESSION_ABSOLUTE_MS = 12 * 60 * 60_000;
/** A session's last-seen time is written at most this often (not on every request). */
export const SESSION_TOUCH_MS = 60_000;
export const SESSION_COOKIE = 'roster_session';
/** The header every state-changing request with a session cookie must carry. */
export const CSRF_HEADER = 'x-csrf-token';
/** Managers' console passwords. */
export const MANAGER_PASSWORD_MIN = 10;
export const MANAGER_PASSWORD_MAX = 1024;
