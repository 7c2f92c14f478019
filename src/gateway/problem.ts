import type { ServerResponse } from 'node:http';
import { ERROR_CODES, type ErrorCode } from '../errors.ts';

/**
 * Denials render as `application/problem+json` (RFC 9457) with a stable
 * `code` member. Bodies are serialised once: a refusal under attack costs
 * one write. They say what happened, never why a check failed in detail.
 */
export interface RenderedProblem {
  status: number;
  body: Buffer;
}

const RENDERED = new Map<string, RenderedProblem>();

export function renderProblem(code: ErrorCode, status: number = ERROR_CODES[code].status): RenderedProblem {
  const key = `${code}:${status}`;
  let rendered = RENDERED.get(key);
  if (!rendered) {
    const { title } = ERROR_CODES[code];
    rendered = { status, body: Buffer.from(JSON.stringify({ type: 'about:blank', title, status, code })) };
    RENDERED.set(key, rendered);
  }
  return rendered;
}

/**
 * Send a problem answer. `status` overrides the code's default (the shadow
 * status is configurable). `extraHeaders` is a flat name/value list.
 */
export function sendProblem(
  res: ServerResponse,
  code: ErrorCode,
  options: { status?: number; extraHeaders?: readonly string[]; close?: boolean } = {},
): void {
  const { status, body } = renderProblem(code, options.status ?? ERROR_CODES[code].status);
  const headers: string[] = ['content-type', 'application/problem+json', 'content-length', String(body.length), 'cache-control', 'no-store'];
  if (options.extraHeaders) headers.push(...options.extraHeaders);
  // after a refused body or an ambiguous head the connection cannot be trusted to be in sync
  if (options.close) headers.push('connection', 'close');
  res.writeHead(status, headers);
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
