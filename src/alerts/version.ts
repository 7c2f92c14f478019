/** The package version, for CEF's Device Version and User-Agent headers (src/alerts and dist/alerts are both two levels below package.json). */
import { readFileSync } from 'node:fs';

export const APIWARDEN_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
