import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CLIENT_TYPES_FILE, clientTypesOf, servedDocument } from '../scripts/openapi-document.ts';

describe('the client’s generated types', () => {
  it('are what the served OpenAPI document generates (else run npm run client:types)', async () => {
    const committed = await readFile(CLIENT_TYPES_FILE, 'utf8');
    const fresh = await clientTypesOf(await servedDocument());
    expect(fresh === committed, 'client/src/generated/openapi.ts is stale: run `npm run client:types`').toBe(true);
  });
});
