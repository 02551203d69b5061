import { qboTime } from './clock';
import { authenticationFault, faults, QboFault, type Reply } from './faults';

export type FaultKind =
  | { kind: 'status'; status: number }
  | {
      kind: 'delay';
      ms: number;
      /** Execute the request first, log it, then hold the answer: a window in which the change is made but the client does not know yet. */ afterExecute?: boolean;
    }
  | {
      kind: 'drop';
      /** Execute the request first, then drop: the change happens but the answer is lost. */ afterExecute?: boolean;
    }
  | { kind: 'malformed-json' }
  | {
      kind: 'body';
      /** Execute the request, then answer 200 with this JSON body instead (e.g. `{}`): a 200 that is not what QuickBooks sends. */ body: unknown;
    };

export interface FaultMatch {
  method?: string;
  pathIncludes?: string;
  entity?: string;
  operation?: string;
}

export interface FaultRule {
  realmId?: string;
  match?: FaultMatch;
  count: number;
  fault: FaultKind;
  /** Inject into this share of matching requests (0..1) instead of the next `count`. */
  probability?: number;
}

export interface RequestFacts {
  realmId?: string;
  method: string;
  path: string;
  entity?: string;
  operation: string;
  id?: string;
}

/** Faults injected into the next N matching requests (or a share of them), for tests of the ways QuickBooks fails. */
export class FaultInjector {
  private rules: FaultRule[] = [];
  injected = 0;

  add(rule: FaultRule): void {
    this.rules.push({ ...rule });
  }

  clear(): void {
    this.rules = [];
  }

  take(facts: RequestFacts, random: () => number = Math.random): FaultKind | undefined {
    for (const rule of this.rules) {
      if (rule.count <= 0) continue;
      if (rule.realmId && rule.realmId !== facts.realmId) continue;
      const m = rule.match ?? {};
      if (m.method && m.method.toUpperCase() !== facts.method) continue;
      if (m.pathIncludes && !facts.path.includes(m.pathIncludes)) continue;
      if (m.entity && m.entity.toLowerCase() !== (facts.entity ?? '').toLowerCase()) continue;
      if (m.operation && m.operation !== facts.operation) continue;
      if (rule.probability !== undefined && random() >= rule.probability) continue;
      rule.count--;
      this.injected++;
      return rule.fault;
    }
    return undefined;
  }
}

/** The reply an injected status fault gives, in the shape QuickBooks uses for that status. */
export function injectedReply(status: number, now: number): Reply {
  const time = qboTime(now);
  if (status === 429) return { status, body: faults.throttled().toBody(time) };
  if (status === 401) return authenticationFault('Token expired (injected)', now);
  if (status === 503)
    return {
      status,
      body: '<html><body><h1>503 Service Unavailable</h1></body></html>',
      headers: { 'content-type': 'text/html' },
    };
  if (status === 400) return { status, body: faults.businessValidation('Injected validation fault').toBody(time) };
  return {
    status,
    body: new QboFault(
      status,
      '10000',
      'An application error has occurred while processing your request',
      'System Failure Error: injected',
      'SystemFault',
    ).toBody(time),
  };
}
