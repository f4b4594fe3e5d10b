import type { FastifyInstance } from 'fastify';
import { invalid } from '../domain/errors.ts';

/** The deepest a request body's arrays and objects may nest: no API Roster serves needs more, and recursive code (validation, JSON.stringify) would overflow the stack long before a parser does. */
export const BODY_DEPTH_MAX = 32;

const isContainer = (v: unknown): v is object => {
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null; // parsed JSON or a form; never a stream
};

/** Whether a parsed body nests deeper than `max` levels; iterative, so any depth is measured safely. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (!isContainer(v)) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (isContainer(child)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Refuses over-deep bodies on every route, after parsing and before validation or any handler. */
export function addBodyDepthLimit(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    if (nestedDeeperThan(req.body, BODY_DEPTH_MAX))
      throw invalid('request.too_deep', `the request body nests deeper than ${BODY_DEPTH_MAX} levels`, 'body');
  });
}
