/**
 * Syslog to a SIEM: RFC 5424 messages carrying a CEF payload, over UDP
 * (RFC 5426: one message per datagram) or TCP (RFC 6587 octet-counting
 * frames on one kept-open connection, reopened after an error).
 *
 * Delivery guarantees are those of the transport: a UDP datagram is sent,
 * never acknowledged; a TCP write that succeeded may still be lost if the
 * receiver closes the connection before reading it (RFC 6587 §3.4 has no
 * application-level acknowledgement). TLS (RFC 5425) is not implemented.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { connect, type Socket } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { formatCef } from './cef.ts';
import { FACILITIES, formatRfc5424, frameOctetCounted, SYSLOG_SEVERITY, type FacilityName } from './rfc5424.ts';
import { SinkError } from './sink-error.ts';
import type { Notification, Severity, Sink } from './types.ts';
import { APIWARDEN_VERSION } from './version.ts';

export interface SyslogSinkOptions {
  name?: string;
  protocol: 'udp' | 'tcp';
  host: string;
  port: number;
  /** default local0 */
  facility?: FacilityName;
  /** HOSTNAME (default: this host's name) */
  hostname?: string;
  /** APP-NAME (default apiwarden) */
  appName?: string;
  /**
   * The whole syslog message at most this many bytes; the CEF extension is cut
   * at whole fields to fit. Default 2048 for UDP (what RFC 5426 §3.2 says
   * receivers SHOULD accept) and 8192 for TCP (rsyslog's default maximum).
   */
  maxMessageBytes?: number;
  /** TCP connect and write timeout (default 10 s) */
  timeoutMs?: number;
}

const SEVERITY: Record<Severity, number> = {
  critical: SYSLOG_SEVERITY.critical,
  high: SYSLOG_SEVERITY.error,
  medium: SYSLOG_SEVERITY.warning,
  low: SYSLOG_SEVERITY.notice,
  info: SYSLOG_SEVERITY.informational,
};

export function syslogMessageOf(n: Notification, o: { facility: number; hostname: string; appName: string; maxMessageBytes: number }): string {
  const severity = n.kind === 'digest' ? SEVERITY[n.severity]
    // good news is "normal but significant", whatever the alert's severity was
    : n.kind === 'resolved' || n.kind === 'acknowledged' ? SYSLOG_SEVERITY.notice
      : SEVERITY[n.alert.severity];
  const header = formatRfc5424({ facility: o.facility, severity, time: n.time, hostname: o.hostname, appName: o.appName, procId: String(process.pid), msgId: `alert-${n.kind}` }, '');
  const cef = formatCef(n, { version: APIWARDEN_VERSION, maxBytes: Math.max(0, o.maxMessageBytes - Buffer.byteLength(header)) });
  return header + cef;
}

/** dgram's close() throws when the socket is already closed (after an error): closing twice is not a fault here. */
function closeQuietly(socket: UdpSocket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}

export function createSyslogSink(options: SyslogSinkOptions): Sink {
  const { host, port, protocol } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const format = {
    facility: FACILITIES[options.facility ?? 'local0'],
    hostname: options.hostname ?? osHostname(),
    appName: options.appName ?? 'apiwarden',
    maxMessageBytes: options.maxMessageBytes ?? (protocol === 'udp' ? 2048 : 8192),
  };
  const where = `${protocol}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const unavailable = (what: string, err: unknown) =>
    new SinkError('ALERT_SINK_UNAVAILABLE', `syslog ${where}: ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });

  // UDP: one socket, of the family the host resolves to
  let udp: Promise<{ socket: UdpSocket; address: string }> | null = null;
  const openUdp = async (): Promise<{ socket: UdpSocket; address: string }> => {
    const { address, family } = await lookup(host);
    const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
    socket.on('error', () => {
      udp = null; // the next send opens a new socket
      closeQuietly(socket);
    });
    socket.unref();
    return { socket, address };
  };
  const sendUdp = async (message: string): Promise<void> => {
    udp ??= openUdp();
    let u: { socket: UdpSocket; address: string };
    try {
      u = await udp;
    } catch (err) {
      udp = null;
      throw unavailable('cannot resolve host', err);
    }
    const datagram = Buffer.from(message, 'utf8');
    await new Promise<void>((resolve, reject) => {
      u.socket.send(datagram, port, u.address, (err) => (err ? reject(unavailable('send failed', err)) : resolve()));
    });
  };

  // TCP: one connection, opened on first use and after an error
  let tcp: Promise<Socket> | null = null;
  const openTcp = (): Promise<Socket> => {
    const opening: Promise<Socket> = new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.setTimeout(timeoutMs);
      // an 'error' without a listener would crash the process: there is always one
      socket.on('error', (err) => reject(unavailable('connection failed', err)));
      socket.on('timeout', () => socket.destroy(new Error(`not connected within ${timeoutMs} ms`)));
      socket.on('close', () => {
        if (tcp === opening) tcp = null;
      });
      socket.once('connect', () => {
        socket.setTimeout(0); // kept open while idle; a hung write is bounded by delivery's attempt timeout
        socket.setKeepAlive(true, 60_000);
        socket.unref();
        resolve(socket);
      });
      socket.resume(); // a receiver has nothing to say; whatever it sends is read and dropped
    });
    return opening;
  };
  const sendTcp = async (message: string): Promise<void> => {
    const opening = (tcp ??= openTcp());
    let socket: Socket;
    try {
      socket = await opening;
    } catch (err) {
      if (tcp === opening) tcp = null;
      throw err instanceof SinkError ? err : unavailable('connection failed', err);
    }
    await new Promise<void>((resolve, reject) => {
      socket.write(frameOctetCounted(message), (err) => {
        if (!err) return resolve();
        if (tcp === opening) tcp = null;
        socket.destroy();
        reject(unavailable('write failed', err));
      });
    });
  };

  return {
    name: options.name ?? `syslog-${protocol}`,
    async send(n) {
      const message = syslogMessageOf(n, format);
      await (protocol === 'udp' ? sendUdp(message) : sendTcp(message));
    },
    async close() {
      const u = udp;
      const t = tcp;
      udp = null;
      tcp = null;
      if (u) await u.then((x) => closeQuietly(x.socket), () => {});
      if (t) await t.then((s) => s.end(), () => {});
    },
  };
}
