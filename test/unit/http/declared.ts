import type { HttpMethod } from '../../../lib/topology.ts';
import { routes } from '../../../lib/routes.ts';
import type { RouteDeclaration } from '../../../functions/http/route-declaration.ts';

/**
 * A declared route of the topology as a pipeline test serves it: its method, path, caller and the rest,
 * but only the body and query schemas (or other fields) the test gives, so the test controls what is valid.
 */
export function declared<const Overrides extends Partial<RouteDeclaration> = Record<never, never>>(
  method: HttpMethod,
  path: string,
  overrides?: Overrides,
): Omit<RouteDeclaration, 'body' | 'query'> & Overrides {
  const found = routes.find((route) => route.method === method && route.path === path);
  if (found === undefined) throw new Error(`${method} ${path} is not a route of lib/topology.ts`);
  const { body: _body, query: _query, ...rest } = found;
  return { ...rest, ...(overrides ?? ({} as Overrides)) };
}
