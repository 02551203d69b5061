import { Emulator } from './emulator';
import { listen } from './http';
import type { EmulatorOptions, RunningEmulator } from './options';

/** Starts the emulator (state loaded from `stateFile` when it exists; demo company and app when `seed: 'demo'`). */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator & { emulator: Emulator }> {
  const emulator = new Emulator(options);
  if (options.stateFile) emulator.load(options.stateFile);
  if (options.seed === 'demo') emulator.ensureDemo();
  const host = options.host ?? '127.0.0.1';
  const { server, port } = await listen((req, res) => void emulator.handle(req, res), options.port ?? 0, host);
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    emulator,
    close() {
      closed ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await emulator.close();
      })();
      return closed;
    },
  };
}
