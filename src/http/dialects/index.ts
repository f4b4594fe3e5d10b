import type { Dialect } from '../dialect.ts';
import { adminDialect } from './admin/plugin.ts';
import { scimDialect } from './scim/plugin.ts';
import { restUsersDialect } from './rest-users/plugin.ts';
import { accountsDialect } from './accounts/plugin.ts';
import { usermostDialect } from './usermost/plugin.ts';
import { usrDialects } from './usr/plugin.ts';

/** The dialect whose prefix a URL is under (the longest prefix wins). */
export function dialectOf(url: string): Dialect | undefined {
  let best: Dialect | undefined;
  for (const d of dialects)
    if (
      (url === d.prefix || url.startsWith(d.prefix + '/') || url.startsWith(d.prefix + '?')) &&
      (!best || d.prefix.length > best.prefix.length)
    )
      best = d;
  return best;
}

/** Every dialect Roster serves. Add a new one here. */
export const dialects: Dialect[] = [
  adminDialect,
  accountsDialect,
  restUsersDialect,
  usermostDialect,
  ...usrDialects,
  scimDialect,
];
