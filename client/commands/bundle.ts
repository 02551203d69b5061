import fs from 'node:fs';
import type { Command } from 'commander';
import { bundleWorkflowCode } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../../workers/codec';
import { WORKFLOW_BUNDLE_PATH, WORKFLOWS_PATH } from '../../workers/worker';

export function registerBundle(program: Command): void {
  program
    .command('bundle-workflows')
    .description('prebuild the workflow bundle used by workers started from the build (part of `npm run build`)')
    .action(async () => {
      const { code } = await bundleWorkflowCode({
        workflowsPath: WORKFLOWS_PATH,
        // Workflow failures are encoded in the sandbox too (their messages then go through the payload codec).
        failureConverterPath: FAILURE_CONVERTER_PATH,
      });
      fs.writeFileSync(WORKFLOW_BUNDLE_PATH, code);
      console.log(`wrote ${WORKFLOW_BUNDLE_PATH} (${Math.round(code.length / 1024)} KiB)`);
    });
}
