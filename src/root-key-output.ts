import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Where a generated root key went: the terminal, a file, or nowhere (why). */
export type RootKeyDelivery = { to: 'terminal' } | { to: 'file'; file: string } | { to: 'nowhere'; error: string };

/**
 * Hands a root key generated on a new database to the operator, never to the log stream: to the
 * terminal when stdout is one, else to a file only its owner can read (a container's stdout is
 * its log). The caller logs where it went (the path, never the key).
 */
export function deliverGeneratedRootKey(
  key: string,
  file: string,
  out: NodeJS.WriteStream = process.stdout,
): RootKeyDelivery {
  if (out.isTTY) {
    out.write(`Roster root key (shown once, store it now): ${key}\n`);
    return { to: 'terminal' };
  }
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
    chmodSync(file, 0o600); // the mode above applies only when the file is new
    return { to: 'file', file };
  } catch (e) {
    return { to: 'nowhere', error: (e as Error).message };
  }
}

/** One line saying where the key went, for the log or the terminal; recovery when it went nowhere. */
export function describeDelivery(d: RootKeyDelivery): string | null {
  if (d.to === 'file')
    return `a root key was generated for this new database and written to ${d.file} (mode 0600): store it elsewhere and delete the file`;
  if (d.to === 'nowhere')
    return `a root key was generated but could not be written (${d.error}): run "roster root-key rotate" for a new one, or set ROSTER_ROOT_KEY`;
  return null;
}
