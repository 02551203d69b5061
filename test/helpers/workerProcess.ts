import { spawn } from 'node:child_process';
import { BIN } from './cli';
import type { Stack } from './stack';

/** A `qbsync worker` in its own OS process, so a test can SIGKILL it as a crash would, and start another. */
export interface WorkerProcess {
  pid: number;
  /** Sends the signal (SIGKILL unless told) and resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM: the worker finishes in-flight activities within its grace time, then exits. */
  stop(): Promise<void>;
  /** Its stdout and stderr so far, for failure messages. */
  output(): string;
}

const STARTED = /worker started/;

/** Starts the real `qbsync worker` (from sources) on the stack's database, task queue and emulator; resolves once it polls. */
export async function startWorkerProcess(
  stack: Stack,
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [BIN, 'worker'], {
    env: { ...process.env, QBSYNC_FROM_SOURCE: '1', ...stack.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let started!: () => void;
  const ready = new Promise<void>((resolve) => (started = resolve));
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    if (STARTED.test(output)) started();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);

  const timeoutMs = options.timeoutMs ?? 90_000;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    ready.then(() => 'ready' as const),
    exited.then(() => 'exited' as const),
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (outcome !== 'ready') {
    child.kill('SIGKILL');
    throw new Error(
      `qbsync worker ${outcome === 'exited' ? `exited (code ${child.exitCode})` : `did not start within ${timeoutMs} ms`}; output:\n${output}`,
    );
  }

  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    pid: child.pid!,
    kill: (signal = 'SIGKILL') => end(signal),
    stop: () => end('SIGTERM'),
    output: () => output,
  };
}
