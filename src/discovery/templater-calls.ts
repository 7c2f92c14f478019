/**
 * OData-style keys and function calls inside one path segment:
 * 'certificates(thumbprintAlgorithm=sha1,thumbprint=ab12…)', 'Products(42)',
 * "getOffice365ActiveUserDetail(period='D7')". The call's name and its
 * argument names are the API's; the values are parameters. The templater
 * keys such a parameter by the segment with each value replaced by '{}'
 * (quotes kept, as documents write them: "period='{period}'"), and the
 * renderer names each hole after its argument.
 */

const CALL = /^([A-Za-z_$][\w.$-]*)\((.+)\)$/s;
const NAMED = /^([A-Za-z_$][\w.$-]*)=(.+)$/s;

/** `certificates(thumbprintAlgorithm={},thumbprint={})` for a call with arguments, else null */
export function callKey(value: string): string | null {
  const m = CALL.exec(value);
  if (m === null) return null;
  const args = splitArguments(m[2] as string);
  if (args === null) return null;
  const named = args.map((a) => NAMED.exec(a));
  if (named.every((n) => n !== null)) return `${m[1] as string}(${named.map((n) => `${(n as RegExpExecArray)[1] as string}=${hole((n as RegExpExecArray)[2] as string)}`).join(',')})`;
  return args.length === 1 ? `${m[1] as string}(${hole(args[0] as string)})` : null;
}

/** a value's place: '{}', or "'{}'" for a quoted string */
function hole(value: string): string {
  return value.length >= 2 && value.charCodeAt(0) === 39 && value.charCodeAt(value.length - 1) === 39 ? "'{}'" : '{}';
}

/** the arguments at top-level commas (not inside quotes); null when one is empty */
function splitArguments(text: string): string[] | null {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 39) quoted = !quoted;
    else if (c === 44 && !quoted) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.some((a) => a === '') ? null : out;
}

/**
 * The names of a call key's holes, left to right: the argument's name where
 * it has one ('thumbprint'), else `unnamed(i)`.
 */
export function callHoleNames(key: string, unnamed: (index: number) => string): string[] {
  const names: string[] = [];
  const re = /(?:([A-Za-z_$][\w$.-]*)=)?'?\{\}/g;
  for (let m = re.exec(key); m !== null; m = re.exec(key)) names.push(m[1] ?? unnamed(names.length));
  return names;
}
