import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../../services/services.ts';
import type { Principal } from '../../../domain/privileges.ts';
import { SESSION_ABSOLUTE_MS, SESSION_COOKIE } from '../../../domain/console-session.ts';
import { ErrorBody, IdParams, Manager, Tenant, managerExample, tenantExample } from './schemas.ts';
import { managerWire, tenantWire } from './mapping.ts';
import { principalOf } from './context.ts';
import { apiKeyOf } from '../../credentials.ts';
import { docs } from '../../openapi/route-docs.ts';
import { named } from '../../openapi/components.ts';

const tags = ['management: console sessions'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 429: ErrorBody };

const SignIn = Type.Union(
  [
    Type.Object(
      {
        email: Type.String({ minLength: 1, maxLength: 320 }),
        password: Type.String({ minLength: 1, maxLength: 1024 }),
        licenseCode: Type.Optional(
          Type.String({ maxLength: 64, description: 'needed when there are several tenants' }),
        ),
      },
      { additionalProperties: false, title: 'ManagerSignIn' },
    ),
    Type.Object(
      { rootKey: Type.String({ minLength: 1, maxLength: 1024 }) },
      { additionalProperties: false, title: 'RootSignIn' },
    ),
  ],
  { description: "a manager's email and password (and license code), or the root key" },
);

const Whoami = named(
  'ConsoleSession',
  Type.Object({
    kind: Type.Union([Type.Literal('root'), Type.Literal('manager')]),
    manager: Type.Union([Manager, Type.Null()]),
    tenant: Type.Union([Tenant, Type.Null()], { description: "the manager's tenant (null for root)" }),
    csrfToken: Type.Union([Type.String(), Type.Null()], {
      description: 'send as X-CSRF-Token on every request that changes something (null when signed by key)',
    }),
    expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  }),
);
const whoamiExample = {
  kind: 'manager' as const,
  manager: managerExample,
  tenant: tenantExample,
  csrfToken: 'c2b1f0e9a8d7c6b5a4f3e2d1c0b9a8f7',
  expiresAt: '2026-12-07T21:30:00.000Z',
};

const PasswordBody = Type.Object(
  { password: Type.Union([Type.String({ maxLength: 1024 }), Type.Null()], { description: 'null clears it' }) },
  { additionalProperties: false },
);

/** Sign-in, who-am-I and sign-out of the admin console (a session cookie), and managers' passwords. */
export const sessionRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    async function whoami(p: Principal, csrfToken: string | null, expiresAt: Date | null) {
      const manager = p.kind === 'manager' ? await s.managers.get({ kind: 'root' }, p.managerId) : null;
      const tenant = p.kind === 'manager' ? await s.tenants.get(p, p.tenantId) : null;
      return {
        kind: p.kind,
        manager: manager && managerWire(manager),
        tenant: tenant && tenantWire(tenant),
        csrfToken,
        expiresAt: expiresAt ? expiresAt.toISOString() : null,
      };
    }
    const cookieOptions = (req: FastifyRequest) => ({
      path: '/admin/v1',
      httpOnly: true,
      sameSite: 'strict' as const,
      secure: req.protocol === 'https',
    });

    app.post(
      '/session',
      {
        config: { public: true },
        schema: {
          tags,
          operationId: 'createSession',
          summary: 'Sign in to the console: sets an httpOnly session cookie; answers the CSRF token',
          security: [],
          body: SignIn,
          response: { 200: Whoami, ...errors },
          ...docs({
            description:
              "Signs in to the admin console with a manager's email and console password (and the tenant's license code when Roster hosts several tenants), or with the root key. Sets the httpOnly, SameSite=Strict session cookie and answers the CSRF token every later request that changes something must send as X-CSRF-Token. Needs no credentials; 401 for a wrong email or password, 429 after too many failed attempts for one email (retry after Retry-After seconds).",
            body: { email: 'ann@acme.test', password: 'correct horse battery staple', licenseCode: 'acme' },
            responses: {
              200: { description: 'Signed in: who, the CSRF token and when the session ends', example: whoamiExample },
            },
          }),
        },
      },
      async (req, reply) => {
        const session = await s.console.signIn(req.body);
        reply.setCookie(SESSION_COOKIE, session.sessionId, {
          ...cookieOptions(req),
          maxAge: SESSION_ABSOLUTE_MS / 1000,
        });
        return whoami(session.principal, session.csrfToken, session.expiresAt);
      },
    );

    app.get(
      '/session',
      {
        schema: {
          tags,
          operationId: 'getSession',
          summary: 'Who is signed in (session or key)',
          response: { 200: Whoami, ...errors },
          ...docs({
            description:
              'Who the request is signed in as, by session cookie or by API key: the manager and its tenant (null for root), and for a session its CSRF token and when it ends. 401 when the session has ended.',
            responses: { 200: { description: 'Who is signed in', example: whoamiExample } },
          }),
        },
      },
      async (req) => {
        const p = principalOf(req);
        const cookie = req.cookies[SESSION_COOKIE];
        // Signed in by key: no session to describe. By cookie: the hook has just resolved it.
        const session = apiKeyOf(req) || !cookie ? null : await s.console.resolve(cookie);
        return whoami(p, session?.csrfToken ?? null, session?.expiresAt ?? null);
      },
    );

    app.delete(
      '/session',
      {
        config: { public: true },
        schema: {
          tags,
          operationId: 'deleteSession',
          summary: 'Sign out: the session ends at once',
          response: { 204: Type.Null(), ...errors },
          ...docs({
            description:
              'Signs out: the session ends at once, in every Roster process, and the cookie is cleared. Needs no credentials (without a session it only clears the cookie).',
            responses: { 204: 'Signed out' },
          }),
        },
      },
      async (req, reply) => {
        const id = req.cookies[SESSION_COOKIE];
        if (id) await s.console.signOut(id);
        reply.clearCookie(SESSION_COOKIE, cookieOptions(req));
        return reply.status(204).send(null);
      },
    );

    app.put(
      '/managers/:id/password',
      {
        schema: {
          tags: ['management: managers'],
          operationId: 'setManagerPassword',
          summary: "Set or clear a manager's console password (the manager itself, or owner)",
          params: IdParams,
          body: PasswordBody,
          response: { 200: Manager, ...errors },
          ...docs({
            description:
              "Sets (or, with null, clears) a manager's console password; it is hashed with argon2id and never returned. The manager itself (with its own key or session) or an owner of its tenant, or root. 400 when it is not 10 to 1024 characters long.",
            body: { password: 'correct horse battery staple' },
            responses: {
              200: { description: 'The manager (hasPassword tells whether one is set)', example: managerExample },
            },
          }),
        },
      },
      async (req) => managerWire(await s.managers.setPassword(principalOf(req), req.params.id, req.body.password)),
    );
  };
