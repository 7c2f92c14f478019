/**
 * The body as rate-limit keys read it (`body.<field>`). JSON bodies are
 * parsed strictly (valid UTF-8, no duplicate member names: see
 * http/strict-json.ts); HTML form bodies are read as name/value pairs with
 * repeated names refused. A body under another media type, or none, is
 * still read as JSON when it is a valid JSON object: upstream frameworks
 * that sniff would otherwise answer a body the limiter never looked at.
 */
import { parseStrictJson } from '../http/strict-json.ts';

export type BodyFields = { ok: true; value: unknown } | { ok: false; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function readBodyFields(body: Buffer, contentType: string | undefined): BodyFields {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { ok: false, reason: 'body is not valid UTF-8' };
  }
  if (type === 'application/x-www-form-urlencoded') return readForm(text);
  const isJson = type === 'application/json' || type.endsWith('+json');
  const parsed = parseStrictJson(text);
  if (parsed.ok) return { ok: true, value: parsed.value };
  if (isJson || parsed.reason === 'duplicate-key') return { ok: false, reason: `JSON body: ${parsed.reason}` };
  // not JSON and not declared as such: no field is present
  return { ok: true, value: undefined };
}

function readForm(text: string): BodyFields {
  const value: Record<string, string> = {};
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    let name: string;
    let v: string;
    try {
      name = decodeURIComponent((eq === -1 ? pair : pair.slice(0, eq)).replaceAll('+', ' '));
      v = eq === -1 ? '' : decodeURIComponent(pair.slice(eq + 1).replaceAll('+', ' '));
    } catch {
      return { ok: false, reason: 'form body: bad percent-encoding' };
    }
    if (Object.hasOwn(value, name)) return { ok: false, reason: 'form body: repeated field' };
    value[name] = v;
  }
  return { ok: true, value };
}
