/**
 * The security schemes a document declares (OAS 3.x
 * `components.securitySchemes`, Swagger 2.0 `securityDefinitions`),
 * normalised to one shape. The gateway builds one verifier per scheme; the
 * document says where the credential is (header, query, cookie) and the
 * verifier reads it from there and nowhere else.
 */
import { isRecord } from './util.ts';

export type SecuritySchemeType = 'apiKey' | 'http' | 'oauth2' | 'openIdConnect' | 'mutualTLS';

export interface SecurityScheme {
  name: string;
  type: SecuritySchemeType;
  /** apiKey: where the key is */
  in: 'header' | 'query' | 'cookie' | null;
  /** apiKey: the header, query parameter or cookie name */
  paramName: string | null;
  /** http: the auth scheme, lower-cased ('bearer', 'basic', ...) */
  scheme: string | null;
  bearerFormat: string | null;
  openIdConnectUrl: string | null;
  /** oauth2: every scope declared by any flow */
  scopes: string[];
  /** oauth2: flow names (implicit, password, clientCredentials, authorizationCode) */
  flows: string[];
  /** `x-` extensions (e.g. x-apiwarden-*) */
  extensions: Record<string, unknown>;
}

export function collectSecuritySchemes(doc: Record<string, unknown>, format: 'openapi-3.0' | 'openapi-3.1' | 'swagger-2.0', warnings: string[]): Map<string, SecurityScheme> {
  const raw = format === 'swagger-2.0'
    ? doc.securityDefinitions
    : isRecord(doc.components) ? doc.components.securitySchemes : undefined;
  const schemes = new Map<string, SecurityScheme>();
  if (!isRecord(raw)) return schemes;
  for (const [name, value] of Object.entries(raw)) {
    if (!isRecord(value) || typeof value.type !== 'string') {
      warnings.push(`security scheme '${name}' has no type; requirements naming it cannot be met`);
      continue;
    }
    let type = value.type as string;
    let scheme: string | null = typeof value.scheme === 'string' ? value.scheme.toLowerCase() : null;
    // Swagger 2.0 "basic" is OAS 3 http/basic
    if (format === 'swagger-2.0' && type === 'basic') {
      type = 'http';
      scheme = 'basic';
    }
    if (!['apiKey', 'http', 'oauth2', 'openIdConnect', 'mutualTLS'].includes(type)) {
      warnings.push(`security scheme '${name}' has an unknown type '${type}'`);
      continue;
    }
    const flows = format === 'swagger-2.0'
      ? (typeof value.flow === 'string' ? [value.flow] : [])
      : isRecord(value.flows) ? Object.keys(value.flows) : [];
    const scopes = new Set<string>();
    const flowObjects = format === 'swagger-2.0' ? [value] : isRecord(value.flows) ? Object.values(value.flows) : [];
    for (const flow of flowObjects) {
      if (isRecord(flow) && isRecord(flow.scopes)) for (const s of Object.keys(flow.scopes)) scopes.add(s);
    }
    const extensions: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (k.startsWith('x-')) extensions[k] = v;
    schemes.set(name, {
      name,
      type: type as SecuritySchemeType,
      in: value.in === 'header' || value.in === 'query' || value.in === 'cookie' ? value.in : null,
      paramName: typeof value.name === 'string' ? value.name : null,
      scheme,
      bearerFormat: typeof value.bearerFormat === 'string' ? value.bearerFormat : null,
      openIdConnectUrl: typeof value.openIdConnectUrl === 'string' ? value.openIdConnectUrl : null,
      scopes: [...scopes],
      flows,
      extensions,
    });
  }
  return schemes;
}
