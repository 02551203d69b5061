import type { Command } from 'commander';
import { payloadCipherFromConfig } from '../../workers/codec';
import { DEFAULT_CODEC_ORIGINS, startCodecServer } from '../../workers/codecServer';
import { commandContext, untilSignal } from '../context';

export function registerCodecServer(program: Command): void {
  program
    .command('codec-server')
    .description(
      "decodes qbsync's encrypted Temporal payloads for Temporal Web (Settings → Codec Server) and `temporal --codec-endpoint`; needs the payload key",
    )
    .option('--port <port>', 'port to listen on', '8234')
    .option('--host <host>', 'address to bind (anything beyond loopback exposes decrypted customer data)', '127.0.0.1')
    .option('--origin <origin...>', "Temporal Web's origin(s), allowed by CORS", DEFAULT_CODEC_ORIGINS)
    .action(async (options: { port: string; host: string; origin: string[] }) => {
      const { config } = commandContext();
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new Error(`--port ${options.port} is not a port number (0 to 65535)`);
      const codec = payloadCipherFromConfig(config);
      const server = await startCodecServer({ codec, host: options.host, port, origins: options.origin });
      console.log(
        `[qbsync] codec server on ${server.url} (payload key ${codec.keyId}) for ${options.origin.join(', ')}`,
      );
      await untilSignal();
      await server.close();
    });
}
