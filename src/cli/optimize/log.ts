/**
 * Seed 002's `--log-level` (debug < info < warning < error < critical; default
 * error). Log lines go to stderr so that `--json` keeps stdout to the result.
 */
export const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  enabled(level: LogLevel): boolean;
  debug(msg: string): void;
  info(msg: string): void;
  warning(msg: string): void;
  error(msg: string): void;
}

export function createLogger(threshold: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const min = LOG_LEVELS.indexOf(threshold);
  const enabled = (level: LogLevel): boolean => LOG_LEVELS.indexOf(level) >= min;
  const at = (level: LogLevel) => (msg: string): void => {
    if (enabled(level)) write(`${level.toUpperCase()}: ${msg}\n`);
  };
  return { enabled, debug: at('debug'), info: at('info'), warning: at('warning'), error: at('error') };
}
