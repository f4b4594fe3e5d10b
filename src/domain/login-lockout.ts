/** Brute-force protection of password logins (HTTP Basic on /rest): the numbers in one place. */
export const LOGIN_WINDOW_MS = 15 * 60_000;
/** Failed logins of one account within the window that lock it. */
export const LOGIN_MAX_FAILURES = 10;
export const LOGIN_LOCK_MS = 15 * 60_000;
/**
 * Password checks of one account in flight at once (failed ones included) beyond which a new
 * attempt is turned away: parallel guesses cannot slip past the failure limit before it is written.
 */
export const LOGIN_MAX_IN_FLIGHT = LOGIN_MAX_FAILURES;
