import { requestContext } from '../../dialect.ts';
import type { Principal } from '../../../domain/privileges.ts';

/** The key's principal, attached by the plugin's onRequest hook before any handler runs. */
export const principal = requestContext<Principal>();
export const principalOf = principal.of;
