import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from './logger';

let installed = false;

// The SDK's info lines (bundle sizes, worker state changes) are noise at our info level; they show with LOG_LEVEL=debug.
const LEVELS: Record<string, LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'WARN',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'ERROR',
  silent: 'ERROR',
};

/**
 * Routes the Temporal SDK's own logs through pino (and so through its redaction). Signals are left to our
 * entry points, which shut down worker, pools and child processes in order.
 */
export function installRuntime(logger: Logger): void {
  if (installed) return;
  installed = true;
  const sdkLogger = logger.child({ component: 'temporal' });
  Runtime.install({
    shutdownSignals: [],
    logger: new DefaultLogger(LEVELS[logger.level] ?? 'INFO', ({ level, message, meta }) => {
      // Activity log context carries the task token, which is a credential for completing the activity.
      const { taskToken: _taskToken, ...rest } = (meta ?? {}) as Record<string, unknown>;
      const method =
        level === 'TRACE'
          ? 'trace'
          : level === 'DEBUG'
            ? 'debug'
            : level === 'WARN'
              ? 'warn'
              : level === 'ERROR'
                ? 'error'
                : 'info';
      sdkLogger[method](rest, message);
    }),
  });
}
