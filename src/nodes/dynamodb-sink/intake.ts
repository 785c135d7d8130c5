// How a sink takes its messages from Node-RED (issue 14: bursts). Node-RED hands a node every
// message another node sent at once (a function node's array, a split node) in one run of
// immediates, and no answer from DynamoDB is read until that run ends. A message that arrives
// while the writer has nothing to send is planned and queued at once, as always. One that arrives
// while the writer already holds a full window of calls' worth of writes waits here instead, in
// arrival order, and is taken in slices between turns of the event loop: Node-RED's hand-over of
// a burst ends sooner, and DynamoDB's answers (and the next calls) go out between slices instead
// of after the last message of the burst.

/** Messages taken in one slice at least; more while many wait (a 64th of them, so the intake stays bounded). */
export const INTAKE_SLICE = 256;

/**
 * A FIFO of (msg, send, done) that calls `take` for each, now or in a later slice.
 * `backlogged()`: the writer has enough to send for now, so a new message may wait.
 */
export class Intake<M, S, D> {
  /** msg, send, done, msg, send, done, ... from `head` on (three slots a message, no object each). */
  private slots: unknown[] = [];
  private head = 0;
  private immediate?: NodeJS.Immediate;

  constructor(
    private readonly take: (msg: M, send: S, done: D) => void,
    private readonly backlogged: () => boolean,
  ) {}

  /** Messages waiting for a slice. */
  get length(): number {
    return (this.slots.length - this.head) / 3;
  }

  /** One message from Node-RED: taken now, unless others wait or the writer is backlogged. */
  offer(msg: M, send: S, done: D): void {
    if (this.head === this.slots.length && !this.backlogged()) {
      this.take(msg, send, done);
      return;
    }
    this.slots.push(msg, send, done);
    this.immediate ??= setImmediate(() => this.slice());
  }

  /** Takes every waiting message now (the node closes: its writer must have them first). */
  flush(): void {
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
    this.run(this.length);
  }

  private slice(): void {
    this.immediate = undefined;
    // Bounded: while Node-RED delivers faster than one slice a turn, slices grow with the backlog.
    this.run(Math.max(INTAKE_SLICE, Math.ceil(this.length / 64)));
    if (this.length > 0) this.immediate ??= setImmediate(() => this.slice());
  }

  private run(count: number): void {
    const slots = this.slots;
    const end = Math.min(slots.length, this.head + count * 3);
    while (this.head < end) {
      const at = this.head;
      this.head = at + 3;
      const msg = slots[at] as M;
      const send = slots[at + 1] as S;
      const done = slots[at + 2] as D;
      slots[at] = slots[at + 1] = slots[at + 2] = undefined;
      // `take` reports its own errors (done(err)); one that throws must not strand the rest.
      try {
        this.take(msg, send, done);
      } catch (err) {
        (done as unknown as (err: Error) => void)(err as Error);
      }
    }
    if (this.head === slots.length) {
      this.slots = [];
      this.head = 0;
    } else if (this.head > 3 * 4096 && this.head * 2 > slots.length) {
      this.slots = slots.slice(this.head);
      this.head = 0;
    }
  }
}
