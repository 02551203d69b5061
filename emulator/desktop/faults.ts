/** Faults injected through the admin API, each used up after `count` matches. */
export type DesktopFault =
  /** QBWC cannot start QuickBooks (connectionError, hresult 0x80040408). */
  | { kind: 'qbNotRunning'; count: number }
  /** QuickBooks runs but no company file is open (connectionError, hresult 0x80040416). */
  | { kind: 'companyClosed'; count: number }
  /** The QuickBooks admin denied the application access (connectionError, hresult 0x80040420). */
  | { kind: 'accessDenied'; count: number }
  /** QuickBooks applies the document, then the answer is lost and the QBWC session dies (no receiveResponseXML). */
  | { kind: 'responseLost'; count: number; requestType?: string }
  /** The session dies before QuickBooks sees the next document (e.g. mid-iterator); its iterators die with it. */
  | {
      kind: 'sessionDies';
      count: number;
      afterRequests?: number;
      /** Only before a document matching this regular expression (e.g. a Continue of one iterator). */
      requestMatch?: string;
    }
  /** Each of the next documents takes `ms` longer (time-scaled). */
  | { kind: 'slow'; count: number; ms: number }
  /** Adds and mods (optionally of one request type) fail as a locked/in-use record does. */
  | { kind: 'locked'; count: number; code?: 3170 | 3175 | 3176 | 3180; requestType?: string };

export type FaultKind = DesktopFault['kind'];

export class FaultBox {
  private rules: DesktopFault[] = [];

  add(fault: DesktopFault): void {
    if (!(fault.count > 0)) throw new Error('count must be positive');
    this.rules.push({ ...fault });
  }

  clear(): void {
    this.rules = [];
  }

  list(): DesktopFault[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Uses up one match of the first rule of this kind that applies. */
  take<K extends FaultKind>(
    kind: K,
    applies: (rule: Extract<DesktopFault, { kind: K }>) => boolean = () => true,
  ): Extract<DesktopFault, { kind: K }> | undefined {
    const index = this.rules.findIndex((r) => r.kind === kind && applies(r as Extract<DesktopFault, { kind: K }>));
    if (index < 0) return undefined;
    const rule = this.rules[index] as Extract<DesktopFault, { kind: K }>;
    rule.count -= 1;
    if (rule.count <= 0) this.rules.splice(index, 1);
    return { ...rule };
  }

  /** Looks without using up. */
  peek<K extends FaultKind>(kind: K): Extract<DesktopFault, { kind: K }> | undefined {
    return this.rules.find((r) => r.kind === kind) as Extract<DesktopFault, { kind: K }> | undefined;
  }
}
