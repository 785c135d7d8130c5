// Closing the writer (DESIGN.md 6: a writer that has closed takes nothing back): the close state,
// where a write that comes back from a call goes (the queue while open, else the successor or a
// drop), and the waits close() makes for calls to settle.
import type { QueuedWrite, WriteQueue } from './queue';
import type { Settlement } from './settlement';
import { words } from '../../words';

export interface HandOverOptions {
  /** Takes a write left unwritten by a call that returned after close() (the node's successor). */
  onHandOff?: (w: QueuedWrite) => void;
}

export class HandOver {
  /** close() has begun: whatever is queued is due now. */
  closing = false;
  /** close() has stopped waiting for the queue: nothing is taken or sent any more. */
  closed = false;
  /** After close(..., drop): writes that come back from a late call are dropped, not handed off. */
  dropLate = false;
  /** Disk store, closed without drop: calls still in flight were released to the disk (see close). */
  released = false;
  private settledWaiters: (() => void)[] = [];

  constructor(
    private readonly queue: WriteQueue,
    private readonly settlement: Settlement,
    private readonly options: HandOverOptions,
  ) {}

  /** A write back from a call, counted queuing: into the queue, or, once closed, to the successor. */
  requeue(w: QueuedWrite): void {
    // A disk store closing without drop keeps what is unwritten: close() returns the queue (the
    // records stay on disk for the successor or the next start), so back into it until then.
    if (!this.closed || (this.settlement.persistent && !this.dropLate && !this.released)) {
      this.queue.insert(w);
      return;
    }
    if (!this.dropLate && this.options.onHandOff) {
      this.options.onHandOff(w);
      return;
    }
    this.settlement.drop(w, 'resource_stopped', words('delivery.dropped.closedInFlight', 'the sink closed while this write was in flight, and it was not written'));
  }

  /** Resolves when a call next returns, or after `timeoutMs`. */
  nextSettle(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, timeoutMs));
      this.settledWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** A call returned: wakes close()'s waits. */
  notifySettled(): void {
    // Nobody waits until close(): no new array per call.
    if (this.settledWaiters.length === 0) return;
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
