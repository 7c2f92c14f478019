/** Builders for route-table tests: documents without files. */

import type { LoadedDocument, Operation } from './types.ts';

/** One operation from `METHOD /template`, with path parameters taken from the template. */
export function operation(route: string, source = 'inline.yaml', operationId?: string): Operation {
  const space = route.indexOf(' ');
  const method = route.slice(0, space);
  const template = route.slice(space + 1);
  return {
    method,
    template,
    documentPath: template,
    operationId: operationId ?? route,
    deprecated: false,
    parameters: [...template.matchAll(/\{([^{}/]*)\}/g)].map((m) => ({
      name: m[1] as string,
      in: 'path' as const,
      required: true,
      schema: { type: 'string' },
    })),
    security: null,
    tags: [],
    extensions: {},
    source,
  };
}

/** A document of `METHOD /template` routes. */
export function documentOf(routes: readonly string[], source = 'inline.yaml'): LoadedDocument {
  return {
    source,
    format: 'openapi-3.1',
    title: source,
    version: '1',
    basePaths: [''],
    operations: routes.map((r) => operation(r, source)),
  };
}
