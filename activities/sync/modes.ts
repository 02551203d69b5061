import { MAPPINGS } from './entities';
import type { AppEntity } from './entity';
import { STEP_ENTITIES, type Direction, type EntityName, type StepName, type SyncMode } from './model';
import { ORDER_TAKING_MAPPINGS, ORDER_TAKING_STEP_ENTITIES } from './orderTaking/steps';

export interface StepPart {
  entity: EntityName;
  direction: Direction;
}

/** The entity mappings a mode syncs with (the same entity can map differently per mode). */
export function mappingsFor(mode: SyncMode): Record<string, AppEntity<unknown>> {
  return (mode === 'order-taking' ? ORDER_TAKING_MAPPINGS : MAPPINGS) as Record<string, AppEntity<unknown>>;
}

/** Which entities a step moves in a mode, and in which directions, in order. */
export function stepParts(mode: SyncMode, step: StepName): StepPart[] {
  const entities = (mode === 'order-taking' ? ORDER_TAKING_STEP_ENTITIES : STEP_ENTITIES)[step];
  const mappings = mappingsFor(mode);
  return entities.flatMap((entity): StepPart[] => {
    const mapping = mappings[entity];
    if (!mapping) return [];
    const parts: StepPart[] = [];
    if (mapping.pull) parts.push({ entity, direction: 'pull' });
    if (mapping.push) parts.push({ entity, direction: 'push' });
    return parts;
  });
}
