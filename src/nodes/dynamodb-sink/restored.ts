// What becomes of writes restored from the disk buffer after a restart (DESIGN.md 6): no message
// to complete, so their outcomes are counted and logged as a whole.
import type { Node } from 'node-red';
import type { WriteListener } from '../../dynamo/delivery/queue';
import type { SinkText } from './text';

/**
 * The listener of writes restored from the disk buffer after a restart (DESIGN.md 6): their
 * messages are gone with the process that received them, so there is nothing to send on and no
 * Catch node to reach; each outcome is counted (by the writer, as any other) and logged, in one
 * summary line once every restored write has one (or at close, for what had one by then), and at
 * once for the first failure or drop, so a problem is not hidden until the end.
 */
export class RestoredWrites implements WriteListener {
  private expected = 0;
  private written_ = 0;
  private skipped_ = 0;
  private failed_ = 0;
  private dropped_ = 0;
  private firstProblem?: string;
  private reported = false;

  constructor(
    private readonly node: Node,
    private readonly text: SinkText,
  ) {}

  /** How many restored writes report here (call after restore). */
  expect(count: number): void {
    this.expected += count;
  }

  written(): void {
    this.written_ += 1;
    this.check();
  }

  /** Its condition failed and the sink skips such writes (counted dropped.condition). */
  skipped(): void {
    this.skipped_ += 1;
    this.check();
  }

  failed(err: Error): void {
    this.failed_ += 1;
    this.problem(err);
  }

  dropped(_reason: 'expired' | 'queue_full' | 'resource_stopped', err: Error): void {
    this.dropped_ += 1;
    this.problem(err);
  }

  /** At close: what the restored writes came to so far, if any are still open. */
  close(): void {
    if (this.expected > 0 && !this.reported && this.settled() < this.expected) this.report(true);
  }

  private settled(): number {
    return this.written_ + this.skipped_ + this.failed_ + this.dropped_;
  }

  private problem(err: Error): void {
    if (this.firstProblem === undefined) {
      this.firstProblem = err.message;
      this.node.warn(this.text('log.restoredProblem', { error: err.message }));
    }
    this.check();
  }

  private check(): void {
    if (!this.reported && this.expected > 0 && this.settled() >= this.expected) this.report(false);
  }

  private report(partial: boolean): void {
    this.reported = true;
    const text = this.text;
    const line = text('log.restoredSummary', {
      progress: partial ? text('log.restoredPartial', { settled: this.settled(), expected: this.expected }) : text('log.restoredAll', { expected: this.expected }),
      written: this.written_,
      failed: this.failed_,
      dropped: this.dropped_,
      more:
        (this.skipped_ > 0 ? text('log.restoredSkipped', { count: this.skipped_ }) : '') +
        (this.firstProblem ? text('log.restoredFirst', { error: this.firstProblem }) : ''),
    });
    if (this.failed_ + this.dropped_ > 0) this.node.warn(line);
    else this.node.log(line);
  }
}
