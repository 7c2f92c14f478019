/**
 * The bus modules report through one small callback so the gateway can route
 * them to its pino logger and tests can stay quiet; nothing here writes to
 * the console by itself.
 */
export type BusLogLevel = 'debug' | 'info' | 'warn' | 'error';

export type BusLog = (level: BusLogLevel, message: string, detail?: Record<string, unknown>) => void;

export const silentLog: BusLog = () => {};

/** Wraps a caller's log so a throwing logger can never break the bus. */
export function safeLog(log: BusLog | undefined): BusLog {
  if (!log) return silentLog;
  return (level, message, detail) => {
    try {
      log(level, message, detail);
    } catch {
      // a broken logger must not take events down with it
    }
  };
}
