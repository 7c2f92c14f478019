/**
 * Documented operations as the inventory's keys: a request that a loaded
 * document routes is counted under the operation's template (with the
 * document's base path) rather than a learned one. Hosts are not told apart:
 * a document describes its paths wherever it is served.
 */
import { compileRouteTable } from '../openapi/route-table.ts';
import type { LoadedDocument } from '../openapi/types.ts';
import type { DocumentedRoutes } from './inventory.ts';

export function compileDocumentedRoutes(documents: readonly LoadedDocument[]): DocumentedRoutes {
  const table = compileRouteTable(documents);
  return {
    match(method, _host, path) {
      let found;
      try {
        found = table.match(method, path);
      } catch {
        // a path the router cannot take (malformed encoding): not documented
        return null;
      }
      return found === null ? null : { template: found.operation.template, operationId: found.operation.operationId };
    },
  };
}
