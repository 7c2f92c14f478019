/**
 * A throw-away PKI for tests, made with the `openssl` command line: CAs, and
 * client or server certificates signed by them, with any validity dates
 * (expired ones included). Not part of the build (tsconfig.build.json
 * excludes test-helpers.ts).
 *
 * `openssl ca` is used rather than `openssl x509 -req` because OpenSSL 3.0
 * (Debian 12) has no `-not_before`/`-not_after` for x509 (they came with
 * 3.4), and `ca` takes `-startdate`/`-enddate` in every 3.x.
 *
 *     const version = opensslVersion();          // null: skip the test
 *     const ca = createTestCa(dir, 'Test CA');
 *     const client = ca.issue({ cn: 'alice', usage: 'client' });
 *     const old = ca.issue({ cn: 'bob', startDate: '20200101000000Z', endDate: '20200102000000Z' });
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The installed OpenSSL version ("OpenSSL 3.0.x ..."), or null when there is no `openssl` command. */
export function opensslVersion(): string | null {
  try {
    return execFileSync('openssl', ['version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function openssl(args: readonly string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0] ?? ''} failed: ${stderr.trim()}`, { cause: error });
  }
}

export interface IssueOptions {
  /** subject CN; omit for a certificate named by its SANs only */
  cn?: string;
  dns?: readonly string[];
  ips?: readonly string[];
  emails?: readonly string[];
  uris?: readonly string[];
  /** extended key usage; default 'client' */
  usage?: 'client' | 'server';
  /** validity in days from now; default 30 (ignored with startDate/endDate) */
  days?: number;
  /** YYYYMMDDHHMMSSZ; with endDate, fixed validity dates (e.g. in the past) */
  startDate?: string;
  endDate?: string;
}

export interface IssuedCertificate {
  /** PEM */
  cert: string;
  /** PEM, unencrypted */
  key: string;
  certFile: string;
  keyFile: string;
}

export interface TestCa {
  readonly name: string;
  /** PEM of the CA certificate */
  readonly cert: string;
  readonly certFile: string;
  issue(options: IssueOptions): IssuedCertificate;
}

/** RFC 4514-ish escaping for `openssl -subj`: '/' and '=' and '\' would end the value. */
function subjectValue(text: string): string {
  return text.replace(/[\\/=+]/g, '\\$&');
}

/** Makes a self-signed CA (EC P-256, ten years) in `<dir>/<slug of name>`. */
export function createTestCa(dir: string, name: string): TestCa {
  const home = join(dir, name.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase());
  mkdirSync(join(home, 'issued'), { recursive: true });
  writeFileSync(join(home, 'index.txt'), '');
  writeFileSync(join(home, 'serial'), '1000\n');
  writeFileSync(join(home, 'ca.cnf'), `[ca]
default_ca = this
[this]
dir = .
database = ./index.txt
new_certs_dir = ./issued
serial = ./serial
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
email_in_dn = no
[anything]
commonName = optional
`);
  const certFile = join(home, 'ca.pem');
  openssl(['req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3650', '-subj', `/CN=${subjectValue(name)}`,
    '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], home);
  const cert = readFileSync(certFile, 'utf8');
  let count = 0;

  return {
    name,
    cert,
    certFile,
    issue(options) {
      const base = `leaf-${++count}`;
      const alt = [
        ...(options.dns ?? []).map((v, i) => `DNS.${i + 1} = ${v}`),
        ...(options.ips ?? []).map((v, i) => `IP.${i + 1} = ${v}`),
        ...(options.emails ?? []).map((v, i) => `email.${i + 1} = ${v}`),
        ...(options.uris ?? []).map((v, i) => `URI.${i + 1} = ${v}`),
      ];
      writeFileSync(join(home, `${base}.ext`), `[leaf]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = ${options.usage === 'server' ? 'serverAuth' : 'clientAuth'}
authorityKeyIdentifier = keyid
${alt.length > 0 ? 'subjectAltName = @alt\n[alt]\n' + alt.join('\n') : ''}
`);
      const subject = options.cn === undefined ? '/' : `/CN=${subjectValue(options.cn)}`;
      openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', subject], home);
      const validity = options.startDate !== undefined || options.endDate !== undefined
        ? [...(options.startDate ? ['-startdate', options.startDate] : []), ...(options.endDate ? ['-enddate', options.endDate] : [])]
        : ['-days', String(options.days ?? 30)];
      openssl(['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', `${base}.csr`,
        '-out', `${base}.pem`, '-notext', '-extfile', `${base}.ext`, '-extensions', 'leaf', ...validity], home);
      const certFile = join(home, `${base}.pem`);
      const keyFile = join(home, `${base}.key`);
      return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile, keyFile };
    },
  };
}
