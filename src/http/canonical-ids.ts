import type { FastifyInstance } from 'fastify';
import { notFound } from '../domain/errors.ts';

/** An integer written the one way an id is written: no sign, no leading zeros, no exponent, no spaces. */
const CANONICAL = /^(0|-?[1-9][0-9]*)$/;

/**
 * Integer path parameters are coerced from text by validation, which reads `0x3`, `+3`, `3.0` and
 * `3 ` as 3: one resource would answer to many URLs. Such spellings name nothing: 404, before validation.
 */
export function refuseNonCanonicalIds(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    const schema = req.routeOptions.schema?.params as { properties?: Record<string, { type?: unknown }> } | undefined;
    if (!schema?.properties) return;
    const params = req.params as Record<string, unknown>;
    for (const [name, prop] of Object.entries(schema.properties)) {
      const raw = params[name];
      if (prop.type !== 'integer' || typeof raw !== 'string' || CANONICAL.test(raw)) continue;
      if (raw.trim() !== '' && Number.isInteger(Number(raw)))
        throw notFound('request.not_found', `no resource has the id "${raw}"`);
    }
  });
}
