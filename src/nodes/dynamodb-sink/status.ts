// The status under a dynamodb-sink node: the connection state, the counts and the last error in
// words from the message catalog (Node-RED core nodes: status text is an i18n key), changed at
// most every STATUS_INTERVAL_MS, not once per message.
import type { Node } from 'node-red';
import type { MetricsSnapshot } from '../../dynamo/delivery/metrics';
import type { SinkText } from './text';

/** How often the status may change at most (it is not updated once per message). */
export const STATUS_INTERVAL_MS = 500;

/** What the status says, read when it is shown. */
export interface StatusFacts {
  counters: MetricsSnapshot;
  /** The writer holds its writes back (DynamoDB unreachable): why. */
  pause?: { reason: string };
  connecting: boolean;
  lastError?: string;
}

export class SinkStatus {
  private timer?: NodeJS.Timeout;
  private lastShownAt = 0;

  constructor(
    private readonly node: Node,
    private readonly text: SinkText,
    private readonly facts: () => StatusFacts,
  ) {}

  /** Shows the status now, or when STATUS_INTERVAL_MS have passed since it last changed. */
  schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastShownAt + STATUS_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastShownAt = Date.now();
      this.show();
    }, wait);
  }

  show(): void {
    const { text, node } = this;
    const { counters: m, pause, connecting, lastError } = this.facts();
    const counts = text('status.counts', { success: m.success, failed: m.failed, queued: m.queuing + m.inflight });
    const dropped =
      (m.dropped > 0 ? text('status.dropped', { dropped: m.dropped }) : '') +
      (m['consumed.wcu'] > 0 ? text('status.wcu', { wcu: Math.round(m['consumed.wcu'] * 10) / 10 }) : '');
    if (pause) {
      node.status({ fill: 'yellow', shape: 'ring', text: clip(text('status.down', { reason: pause.reason, counts: counts + dropped })) });
    } else if (connecting) {
      node.status({ fill: 'grey', shape: 'ring', text: clip(text('status.connecting', { counts: counts + dropped })) });
    } else if (lastError && (m.failed > 0 || m.dropped > 0 || m.queuing > 0)) {
      node.status({ fill: 'red', shape: 'dot', text: clip(`${counts}${dropped} · ${lastError}`) });
    } else {
      node.status({ fill: 'green', shape: 'dot', text: clip(counts + dropped) });
    }
  }

  /** The node closed: no change is shown any more. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

/** A status text of at most 200 characters. */
export function clip(s: string): string {
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
}
