/**
 * What a peer tool (CrowdSec, fail2ban) reports after replaying a scenario's
 * access log, in one shape, so the scenario benchmark can score peers the
 * same way it scores apiwarden: who was flagged, by which rule, and when in
 * log time (time to detect is measured against the attack's first request).
 * Also the two helpers both runners need (finding a binary, running one with
 * a time limit), so that neither runner depends on the other.
 */

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

export type PeerTool = 'crowdsec' | 'fail2ban';

export interface PeerDetection {
  tool: PeerTool;
  /** CrowdSec scenario (crowdsecurity/http-probing) or fail2ban jail (nginx-botsearch). */
  rule: string;
  ip: string;
  /**
   * ms since epoch, log time: when the tool decides (CrowdSec: the event
   * that overflowed the bucket, the alert's stop_at; fail2ban: the
   * maxretry-th match within findtime, i.e. the ban).
   */
  time: number;
  /** ms since epoch, log time: the first event the decision counted (CrowdSec start_at; fail2ban the first of the maxretry matches). */
  firstEventTime?: number;
}

export interface PeerRun {
  tool: PeerTool;
  /** '' when the tool is not installed. */
  version: string;
  detections: PeerDetection[];
  /** Scenarios / jails that were active in the run: what "no detection" was measured against. */
  rulesLoaded: string[];
  wallMs: number;
  /** Set when the run could not be done (tool missing) or was partial; detections are then empty or incomplete. */
  problem?: string;
}

/** Absolute path of an executable on PATH (or in /usr/bin, /usr/sbin: Debian's places), undefined if none. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/bin', '/usr/sbin'];
  for (const dir of dirs) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface ProcessResult { code: number | null; stdout: string; stderr: string; timedOut: boolean }

/**
 * Runs a command to completion with a time limit. The child stays in our
 * process group, so Ctrl-C reaches it too; on timeout it is killed by pid
 * (neither crowdsec in replay mode nor fail2ban-regex starts children).
 */
export function runProcess(cmd: string, args: string[], opts: { cwd?: string; timeoutMs: number }): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut });
    });
  });
}
