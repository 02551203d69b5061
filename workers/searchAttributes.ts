import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes, so Temporal Web can filter sync runs by tenant, trigger and outcome. */
export const TENANT = defineSearchAttributeKey('QbsyncTenant', SearchAttributeType.KEYWORD);
export const TRIGGER = defineSearchAttributeKey('QbsyncTrigger', SearchAttributeType.KEYWORD);
export const OUTCOME = defineSearchAttributeKey('QbsyncOutcome', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES: Record<string, 'Keyword'> = {
  QbsyncTenant: 'Keyword',
  QbsyncTrigger: 'Keyword',
  QbsyncOutcome: 'Keyword',
};
