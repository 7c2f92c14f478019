/**
 * The loud findings of the inline inventory, as alerts: every interval the
 * inventory is held against the policy's documents, and each exposure, and
 * each high or critical shadow or zombie finding, is signalled to the alert
 * manager. A finding that holds keeps its alert firing (the manager
 * deduplicates by rule and labels and repeats at its own interval); one
 * that goes away lets it resolve.
 */
import type { AlertManager } from '../alerts/lifecycle.ts';
import type { AlertSignal } from '../alerts/types.ts';
import { loadDocument } from '../openapi/load.ts';
import { loadOperationDetails, type OperationDetails } from '../openapi/responses.ts';
import type { LoadedDocument } from '../openapi/types.ts';
import type { Inventory } from './inventory.ts';
import { diffInventory } from './spec-diff.ts';
import type { Finding } from './types.ts';

type Log = (level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>) => void;

export interface FindingAlertsOptions {
  inventory: Inventory;
  alerts: AlertManager;
  /** the policy's OpenAPI documents */
  documents: readonly string[];
  retiredPrefixes: readonly string[];
  everyMs: number;
  log: Log;
}

/** which findings page someone: every exposure, and shadow or zombie endpoints that answer */
export function isAlerting(finding: Finding): boolean {
  if (finding.kind === 'exposure') return true;
  return (finding.kind === 'shadow' || finding.kind === 'zombie') && (finding.severity === 'critical' || finding.severity === 'high');
}

export function signalOf(finding: Finding, now: number): AlertSignal {
  const requests = typeof finding.evidence.requests === 'number' ? finding.evidence.requests : 0;
  const clients = typeof finding.evidence.clients === 'number' ? finding.evidence.clients : 0;
  return {
    rule: `discovery-${finding.kind}`,
    severity: finding.severity,
    labels: { kind: finding.kind, operation: `${finding.method} ${finding.template}`, host: finding.host, finding: finding.id },
    summary: finding.title,
    evidence: { topIdentities: [], counts: { requests, clients }, exampleRequests: [] },
    time: now,
  };
}

export function startFindingAlerts(options: FindingAlertsOptions): { stop(): void; check(): Promise<void> } {
  const { inventory, alerts, log } = options;
  let documents: Promise<{ current: LoadedDocument[]; details: Map<string, OperationDetails> }> | null = null;
  let isChecking = false;

  function loadDocuments(): Promise<{ current: LoadedDocument[]; details: Map<string, OperationDetails> }> {
    documents ??= (async () => {
      const current = await Promise.all(options.documents.map((f) => loadDocument(f)));
      const details = new Map<string, OperationDetails>();
      for (const f of options.documents) for (const [k, v] of await loadOperationDetails(f)) details.set(k, v);
      return { current, details };
    })();
    return documents;
  }

  async function check(): Promise<void> {
    if (isChecking) return;
    isChecking = true;
    try {
      const { current, details } = await loadDocuments();
      const now = Date.now();
      for (const finding of diffInventory(inventory.endpoints(), { current, details }, { retiredPrefixes: options.retiredPrefixes })) {
        if (isAlerting(finding)) alerts.signal(signalOf(finding, now));
      }
    } catch (error) {
      log('warn', 'the inventory could not be held against the documents for alerts', { error: String(error) });
    } finally {
      isChecking = false;
    }
  }

  const timer = setInterval(() => void check(), options.everyMs);
  timer.unref();
  return {
    check,
    stop() {
      clearInterval(timer);
    },
  };
}
