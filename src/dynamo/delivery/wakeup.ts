// When the writer looks at its queue next: one timer for the whole writer, never one per write,
// and only ever moved earlier (most enqueues find it due soon enough and leave it alone).

export class Wakeup {
  private timer?: NodeJS.Timeout;
  private at = Infinity;
  /** Made once: arming the timer allocates no callback. */
  private readonly fire: () => void;

  constructor(run: () => void) {
    this.fire = () => {
      this.timer = undefined;
      this.at = Infinity;
      run();
    };
  }

  /** The timer is set for `at` or sooner. */
  dueBy(at: number): boolean {
    return this.timer !== undefined && this.at <= at;
  }

  /** Runs in `delayMs` unless it is due sooner already. */
  set(delayMs: number): void {
    const at = Date.now() + Math.max(0, delayMs);
    if (this.timer && at >= this.at) return;
    this.clear();
    this.at = at;
    this.timer = setTimeout(this.fire, Math.max(0, delayMs));
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Infinity;
  }
}
