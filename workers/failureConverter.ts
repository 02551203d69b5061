import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces go into an encoded payload (and so through the payload codec) instead of plain
 * history fields: a rejected record's message names the customer. Loaded by path by workers, clients and the workflow
 * bundle, so it may import nothing but @temporalio/common.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
