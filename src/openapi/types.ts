import type { SecurityScheme } from './security-schemes.ts';

/** One operation of a loaded OpenAPI / Swagger document, as routed. */
export interface Operation {
  /** upper-case HTTP method */
  method: string;
  /** full path template with the document's base path, e.g. "/v2/accounts/{accountId}" */
  template: string;
  /** the template as written under `paths` (without base path) */
  documentPath: string;
  /** operationId from the document, or "METHOD template" when none */
  operationId: string;
  deprecated: boolean;
  /** merged path-level and operation-level parameters (operation wins on name+in) */
  parameters: OperationParameter[];
  /** effective security requirements: operation-level, else root-level; null = none declared */
  security: Array<Record<string, string[]>> | null;
  tags: string[];
  /** `x-` extensions of the operation (e.g. x-sunset, x-apiwarden-*) */
  extensions: Record<string, unknown>;
  /** absolute path of the document file */
  source: string;
}

export interface OperationParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie' | 'body' | 'formData';
  required: boolean;
  /** JSON schema of the parameter, when given */
  schema: Record<string, unknown> | null;
}

export interface LoadedDocument {
  source: string;
  /** 'openapi-3.0' | 'openapi-3.1' | 'swagger-2.0' */
  format: 'openapi-3.0' | 'openapi-3.1' | 'swagger-2.0';
  title: string;
  version: string;
  /** base paths from servers[].url (or Swagger basePath); ["" ] when none */
  basePaths: string[];
  operations: Operation[];
  /** components.securitySchemes (Swagger 2.0: securityDefinitions) by name; absent in hand-built documents */
  securitySchemes?: ReadonlyMap<string, SecurityScheme>;
  /**
   * what was tolerated while loading (e.g. a path without a leading "/", a
   * server variable without default); empty when the document is clean
   */
  warnings?: string[];
}

export interface RouteMatch {
  operation: Operation;
  /** path parameters, percent-decoded */
  params: Record<string, string>;
}

/** A compiled, immutable route table for one upstream (possibly several documents). */
export interface RouteTable {
  /**
   * Find the operation for a method and a canonical path (no query).
   * HEAD falls back to GET when the document declares no HEAD.
   */
  match(method: string, path: string): RouteMatch | null;
  /** true when some operation has this path for another method */
  hasPath(path: string): boolean;
  readonly operations: readonly Operation[];
  /**
   * what was set aside while compiling, e.g. a method + template declared
   * twice across documents (the first document wins)
   */
  readonly warnings?: readonly string[];
}
