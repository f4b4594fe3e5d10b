/** The operation key a route's documentation travels under, from its schema to the finished document. */
export const DOCS = 'x-roster-docs';

/** A response as one operation answers it: what it means here, and an example body (when it has one). */
export interface ResponseDoc {
  description: string;
  example?: unknown;
}

/** What a route tells its readers besides its schemas. */
export interface RouteDocs {
  /** What the operation does, who may call it (role, credentials) and the errors worth knowing. */
  description: string;
  /** An example request body: real values, valid against the body schema. */
  body?: unknown;
  /** By status: every success the route answers, and any failure worth its own words. */
  responses: Record<number, ResponseDoc | string>;
}

declare module 'fastify' {
  interface FastifySchema {
    [DOCS]?: Omit<RouteDocs, 'description'>;
  }
}

/** A route's documentation, spread into its schema next to the schemas it describes. */
export const docs = ({ description, ...rest }: RouteDocs) => ({ description, [DOCS]: rest });

type Json = Record<string, unknown>;

/**
 * Moves an operation's documentation into place: the body example onto each request media type, each
 * response's description and example onto that response. Documenting a status or a body the route
 * does not declare is a programming error: the document would describe an answer that never comes.
 */
export function applyDocs(op: Json): void {
  const d = op[DOCS] as Omit<RouteDocs, 'description'> | undefined;
  if (!d) return;
  delete op[DOCS];
  const where = String(op.operationId);
  const mediaOf = (holder: Json | undefined, what: string) => {
    const content = holder?.content as Record<string, Json> | undefined;
    if (!content) throw new Error(`${where}: an example for ${what}, which has no body`);
    return Object.values(content);
  };
  if (d.body !== undefined) for (const m of mediaOf(op.requestBody as Json, 'the request')) m.example = d.body;
  const responses = op.responses as Record<string, Json>;
  for (const [status, doc] of Object.entries(d.responses)) {
    const r = responses[status];
    if (!r) throw new Error(`${where}: documents a ${status} response it does not declare`);
    const { description, example } = typeof doc === 'string' ? { description: doc, example: undefined } : doc;
    r.description = description;
    if (example !== undefined) for (const m of mediaOf(r, `the ${status} response`)) m.example = example;
  }
}
