import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { Worker } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH, payloadCipherFromConfig } from '../../workers/codec';
import { loadConfig } from '../../workers/config';
import { workflowSource } from '../../workers/worker';
import { createLogger } from '../../workers/logger';
import { installRuntime } from '../../workers/runtime';

export function registerReplay(program: Command): void {
  program
    .command('replay <files...>')
    .description(
      'replay workflow histories (JSON from `temporal workflow show -o json`) against this workflow code; fails on nondeterminism — run before deploying a workflow change',
    )
    .action(async (files: string[]) => {
      // The verdict is the output; the SDK's bundling and worker chatter would bury it, so only its warnings show.
      installRuntime(createLogger(process.env.LOG_LEVEL === 'debug' ? 'debug' : 'warn'));
      const histories = files.map((file) => ({
        workflowId: path.basename(file),
        history: JSON.parse(fs.readFileSync(file, 'utf8')) as unknown,
      }));
      let failed = 0;
      // Recorded histories may be encrypted (decoded with the configured keys) or plain (passed through unchanged).
      const dataConverter = {
        payloadCodecs: [payloadCipherFromConfig(loadConfig())],
        failureConverterPath: FAILURE_CONVERTER_PATH,
      };
      for await (const result of Worker.runReplayHistories({ ...workflowSource(), dataConverter }, histories)) {
        if (result.error) {
          failed++;
          console.log(`FAIL ${result.workflowId}: ${result.error.message.split('\n')[0]}`);
        } else console.log(`ok   ${result.workflowId}`);
      }
      if (failed)
        throw new Error(
          `${failed} of ${files.length} histories do not replay: this change would break running workflows (version it with patched())`,
        );
    });
}
