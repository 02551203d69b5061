/**
 * Values read once per sync run and shared by its pages on this worker (e.g. QuickBooks' numbering preference, which
 * would otherwise cost one request per pushed batch). Keyed by run id, so a new run always reads afresh; a failed read
 * is forgotten so the next page tries again; the oldest runs are dropped beyond a bound.
 */
export class RunMemo<T> {
  private readonly values = new Map<string, Promise<T>>();

  constructor(private readonly maxRuns = 256) {}

  get(runId: string, read: () => Promise<T>): Promise<T> {
    const known = this.values.get(runId);
    if (known) return known;
    const value = read();
    this.values.set(runId, value);
    value.catch(() => this.values.delete(runId));
    if (this.values.size > this.maxRuns) this.values.delete(this.values.keys().next().value as string);
    return value;
  }
}
