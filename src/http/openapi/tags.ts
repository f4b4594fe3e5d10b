/**
 * Every tag an operation may carry, with its description, grouped by API (x-tagGroups: the
 * reference shows one section per API). A route's tag that is missing here fails the document test.
 */
export const TAG_GROUPS: { name: string; tags: { name: string; description: string }[] }[] = [
  {
    name: 'Management API',
    tags: [
      {
        name: 'management: tenants',
        description: 'Tenants: the isolated directories Roster hosts. Creating and deleting them takes the root key.',
      },
      {
        name: 'management: managers',
        description: "A tenant's managers and their API keys, by role: owner, admin, editor, viewer.",
      },
      {
        name: 'management: users',
        description: "A tenant's users in Roster's own words: filters, sort, full-text q and cursor pages; ETags.",
      },
      {
        name: 'management: groups',
        description:
          "A tenant's groups (the same ones SCIM serves): keyset pages with member counts, renames, members added and removed.",
      },
      {
        name: 'management: console sessions',
        description: "The admin console's sign-in: a session cookie (httpOnly) and the CSRF token writes must send.",
      },
      { name: 'management: audit', description: 'Who changed what in a tenant, newest first.' },
      {
        name: 'management: webhooks',
        description:
          "Signed deliveries of a tenant's audit events to your URLs: subscriptions, delivery log, redelivery.",
      },
      {
        name: 'management: import & export',
        description: 'Bulk moves of users: NDJSON or CSV in (a job to poll), NDJSON or CSV out (streamed).',
      },
      {
        name: 'management: backup & restore',
        description:
          'A whole tenant (settings, managers, groups, users with their hashes, keys, webhooks, audit) out as one gzipped file from one snapshot, and back in all or nothing.',
      },
    ],
  },
  {
    name: 'SCIM 2.0',
    tags: [
      {
        name: 'scim: Users',
        description: 'SCIM Users (RFC 7643 §4.1) for identity providers such as Okta and Entra ID.',
      },
      { name: 'scim: Groups', description: 'SCIM Groups (RFC 7643 §4.2) and their members.' },
      { name: 'scim: search', description: 'POST /.search across every resource type.' },
      { name: 'scim: bulk', description: 'Many SCIM operations in one request (RFC 7644 §3.7).' },
      { name: 'scim: discovery', description: 'What this provider supports: configuration, schemas, resource types.' },
    ],
  },
  {
    name: 'Compatible APIs',
    tags: [
      {
        name: 'accounts',
        description: "The Accounts REST API: accounts are the users of the key's tenant.",
      },
      {
        name: 'rest/users: accounts',
        description: 'Developer-portal accounts: sign-up, HTTP Basic self-service, verification.',
      },
      {
        name: 'rest/users: application keys',
        description: "An account's application keys and their usage.",
      },
      { name: 'usermost: users', description: 'Usermost users identified by your userId, under a license code.' },
      { name: 'usermost: events', description: 'Usermost events: what a user did, one at a time or in batches.' },
      {
        name: 'usr',
        description: 'User management by account id, under /usr (and the listing under /pub/usr).',
      },
    ],
  },
  {
    name: 'Service',
    tags: [
      { name: 'service', description: 'Health, readiness and this document.' },
      { name: 'monitoring', description: 'Prometheus metrics.' },
    ],
  },
];
