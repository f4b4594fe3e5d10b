import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../../services/services.ts';
import type { User } from '../../../domain/user.ts';
import { etagOf, expectedVersion } from '../../credentials.ts';
import {
  Account,
  AccountError,
  AccountList,
  AccountListQuery,
  AccountParams,
  AccountWithLinks,
  AccountWrite,
  accountExample,
  accountInputExample,
} from './schemas.ts';
import { accountInput, accountWire, selfLinks } from './mapping.ts';
import { accountQuery, pageOf, pagination } from './list-query.ts';
import { ACCOUNTS_PREFIX, contextOf } from './context.ts';
import { docs } from '../../openapi/route-docs.ts';

const tags = ['accounts'];
const errors = {
  400: AccountError,
  401: AccountError,
  403: AccountError,
  404: AccountError,
  406: AccountError,
  409: AccountError,
  412: AccountError,
};

/** A written account as POST, PUT and PATCH answer it: the full account plus its self link. */
const written = (reply: FastifyReply, u: User) =>
  reply.header('etag', etagOf(u.version)).send({ ...accountWire(u), links: selfLinks(u.id) });

export const accountRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/accounts',
      {
        schema: {
          tags,
          operationId: 'accountsListAccounts',
          summary: 'List accounts: page, limit (1-200), sort, attributes filters',
          querystring: AccountListQuery,
          response: { 200: AccountList, ...errors },
          ...docs({
            description:
              'The accounts (users) of the key\'s tenant, a page at a time: page and limit (at most 200), sort on any attribute (-lastName,firstName), and filters on any attribute, default or custom: attributes[lastName]=Lovelace, or all at once as attributes={"lastName":"Lovelace"}. pagination.links holds the URLs of the next and previous pages. Any manager key (viewer and up); the root key is refused (403: it has no tenant). 400 names an attribute that cannot be sorted or filtered on.',
            responses: {
              200: {
                description: 'A page of accounts with the pagination',
                example: {
                  data: [accountExample],
                  pagination: {
                    currentPage: 1,
                    perPage: 20,
                    count: 1,
                    totalPages: 1,
                    total: 1,
                    links: {},
                  },
                  totalItems: 1,
                },
              },
            },
          }),
        },
      },
      async (req) => {
        const { principal, tenantId } = contextOf(req);
        const qs = req.query as AccountListQuery & Record<string, unknown>;
        const page = await s.users.list(principal, tenantId, accountQuery(qs));
        const total = page.total ?? 0;
        const rawQuery = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
        const { page: current, limit } = pageOf(qs);
        return {
          data: page.items.map(accountWire),
          pagination: pagination(rawQuery, current, limit, page.items.length, total),
          totalItems: total,
        };
      },
    );

    app.get(
      '/accounts/:id',
      {
        schema: {
          tags,
          operationId: 'accountsGetAccount',
          summary: 'Read an account',
          params: AccountParams,
          response: { 200: Account, ...errors },
          ...docs({
            description:
              "Reads one account of the key's tenant: every default attribute (null when unset) and the custom ones. Viewer and up; 404 when the tenant has no such account. The ETag header carries its version (If-Match on writes).",
            responses: { 200: { description: 'The account (ETag: its version)', example: accountExample } },
          }),
        },
      },
      async (req, reply) => {
        const { principal, tenantId } = contextOf(req);
        const u = await s.users.get(principal, tenantId, req.params.id);
        return reply.header('etag', etagOf(u.version)).send(accountWire(u));
      },
    );

    app.post(
      '/accounts',
      {
        schema: {
          tags,
          operationId: 'accountsCreateAccount',
          summary: 'Add an account (no attribute is required)',
          body: AccountWrite,
          response: { 201: AccountWithLinks, ...errors },
          ...docs({
            description:
              "Adds an account to the key's tenant. No attribute is required; any key that is not a default attribute is stored as a custom attribute. Editor and up. 409 when the username or email is taken; a password is hashed, never returned. Answers Location and an ETag.",
            body: accountInputExample,
            responses: {
              201: {
                description: 'The new account, with its self link (Location: its URL)',
                example: { ...accountExample, links: [{ rel: 'self', url: '/accounts/12' }] },
              },
            },
          }),
        },
      },
      async (req, reply) => {
        const { principal, tenantId } = contextOf(req);
        const u = await s.accounts.create(principal, tenantId, accountInput(req.body));
        reply.status(201).header('location', `${ACCOUNTS_PREFIX}/accounts/${u.id}`);
        return written(reply, u);
      },
    );

    app.put(
      '/accounts/:id',
      {
        schema: {
          tags,
          operationId: 'accountsReplaceAccount',
          summary: 'Fully edit an account: attributes not sent (custom ones too) are cleared',
          params: AccountParams,
          body: AccountWrite,
          response: { 200: AccountWithLinks, ...errors },
          ...docs({
            description:
              'Fully edits an account: every attribute not sent, custom ones included, is cleared (the password is kept unless sent). Editor and up. With If-Match, 412 when the account changed since; 409 when the new username or email is taken.',
            body: { ...accountInputExample, password: undefined },
            responses: {
              200: {
                description: 'The account as it is now, with its self link',
                example: { ...accountExample, links: [{ rel: 'self', url: '/accounts/12' }] },
              },
            },
          }),
        },
      },
      async (req, reply) => {
        const { principal, tenantId } = contextOf(req);
        const u = await s.accounts.replace(principal, tenantId, req.params.id, accountInput(req.body), {
          expectedVersion: expectedVersion(req),
        });
        return written(reply, u);
      },
    );

    app.patch(
      '/accounts/:id',
      {
        schema: {
          tags,
          operationId: 'accountsUpdateAccount',
          summary: 'Partially edit an account: only attributes sent change',
          params: AccountParams,
          body: AccountWrite,
          response: { 200: AccountWithLinks, ...errors },
          ...docs({
            description:
              'Partially edits an account: only the attributes sent change, and a custom attribute sent as null is removed. Editor and up. With If-Match, 412 when the account changed since; 409 when the new username or email is taken.',
            body: { title: 'Lead analyst', seats: 20 },
            responses: {
              200: {
                description: 'The account as it is now, with its self link',
                example: {
                  ...accountExample,
                  title: 'Lead analyst',
                  seats: 20,
                  links: [{ rel: 'self', url: '/accounts/12' }],
                },
              },
            },
          }),
        },
      },
      async (req, reply) => {
        const { principal, tenantId } = contextOf(req);
        const u = await s.accounts.patch(principal, tenantId, req.params.id, accountInput(req.body), {
          expectedVersion: expectedVersion(req),
        });
        return written(reply, u);
      },
    );

    app.delete(
      '/accounts/:id',
      {
        schema: {
          tags,
          operationId: 'accountsDeleteAccount',
          summary: 'Delete an account (204, empty body)',
          params: AccountParams,
          response: { 204: Type.Null(), ...errors },
          ...docs({
            description:
              "Deletes an account of the key's tenant with its events and credentials. Admin and up; with If-Match, 412 when the account changed since.",
            responses: { 204: 'Deleted' },
          }),
        },
      },
      async (req, reply) => {
        const { principal, tenantId } = contextOf(req);
        await s.users.delete(principal, tenantId, req.params.id, { expectedVersion: expectedVersion(req) });
        return reply.status(204).send(null);
      },
    );
  };
