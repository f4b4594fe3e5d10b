import { CSRF_HEADER, SESSION_COOKIE } from '../../domain/console-session.ts';

/** Every way a caller proves who it is, as the document names them; each operation lists the ones it accepts. */
export const SECURITY_SCHEMES = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description: "An API key: the root key, or a manager's key (createManager, rotateManagerKey); its role limits it",
  },
  adminApiKey: {
    type: 'apiKey',
    in: 'header',
    name: 'admin_api_key',
    description: 'The same API key, in the header older clients send',
  },
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: `The admin console's session (createSession); a request that changes something also sends the session's CSRF token as ${CSRF_HEADER}`,
  },
  basic: {
    type: 'http',
    scheme: 'basic',
    description:
      "A developer-portal account's username and password (/rest/users/{username}…); repeated failures lock the account for a while",
  },
  metricsToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'The token ROSTER_METRICS_TOKEN sets; /metrics is open when it is unset',
  },
} as const;

export type SecurityRequirement = Partial<Record<keyof typeof SECURITY_SCHEMES, []>>;

/** An API key, in either header: what every dialect but the developer portal's account routes takes. */
export const API_KEY: SecurityRequirement[] = [{ bearer: [] }, { adminApiKey: [] }];
/** Open to anyone (an empty requirement: no credentials). */
export const PUBLIC: SecurityRequirement[] = [];
