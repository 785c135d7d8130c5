// The status under a dynamodb-sink node: the state and the one count that matters, in words
// from the message catalog (Node-RED core nodes: status text is an i18n key), about 30
// characters so it does not run under the neighbouring nodes (DESIGN.md 1.3): `written 1,204`,
// `DynamoDB down · 12 queued`, `table not found · failed 2`. The reason, the other counters
// and the last error in full are in the sidebar card, the metrics and the log. Changed at most
// every STATUS_INTERVAL_MS, not once per message.
import type { Node } from 'node-red';
import type { MetricsSnapshot } from '../../dynamo/delivery/metrics';
import { fit, formatCount as count } from '../catalog';
import type { SinkText } from './text';

export { fit };

/** How often the status may change at most (it is not updated once per message). */
export const STATUS_INTERVAL_MS = 500;

/** What the status says, read when it is shown. */
export interface StatusFacts {
  counters: MetricsSnapshot;
  /** The writer holds its writes back (DynamoDB unreachable): why (shown in the sidebar). */
  pause?: { reason: string };
  connecting: boolean;
  lastError?: string;
  /** lastError's cause where the writer knows it (any language); else read from its words. */
  lastCause?: string;
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
    const { counters: m, pause, connecting, lastError, lastCause } = this.facts();
    const queued = m.queuing + m.inflight;
    const withQueued = (key: string) => (queued > 0 ? text(`${key}Queued`, { queued: count(queued) }) : text(key));
    if (pause) {
      node.status({ fill: 'yellow', shape: 'ring', text: fit(withQueued('status.down')) });
    } else if (connecting) {
      node.status({ fill: 'grey', shape: 'ring', text: fit(withQueued('status.connecting')) });
    } else if (lastError && (m.failed > 0 || m.dropped > 0 || m.queuing > 0)) {
      const cause = text(`status.cause.${lastCause ?? causeOf(lastError)}`);
      const which = m.failed > 0 ? 'failed' : m.dropped > 0 ? 'dropped' : 'queued';
      const n = which === 'failed' ? m.failed : which === 'dropped' ? m.dropped : queued;
      node.status({ fill: 'red', shape: 'dot', text: fit(text(`status.${which}`, { cause, n: count(n) })) });
    } else if (m.dropped > 0) {
      node.status({ fill: 'green', shape: 'dot', text: fit(text('status.writtenDropped', { n: count(m.success), dropped: count(m.dropped) })) });
    } else {
      node.status({ fill: 'green', shape: 'dot', text: fit(text('status.written', { n: count(m.success) })) });
    }
  }

  /** The node closed: no change is shown any more. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

/**
 * The catalog key (`status.cause.<key>`) of a few words for a last error whose cause the writer
 * does not know (ErrorCause, errors.ts): recognised by its English wording or the drop reason's
 * code in parentheses; anything else is `error`.
 */
export function causeOf(lastError: string): string {
  if (/\btable "[^"]*" not found|ResourceNotFoundException/.test(lastError)) return 'notFound';
  if (/refused the credentials|no AWS credentials/.test(lastError)) return 'credentials';
  if (/is not DynamoDB/.test(lastError)) return 'notDynamo';
  // DESIGN.md 6: a hot partition key (ThrottlingReasons TableWriteKeyRangeThroughputExceeded).
  if (/throttled writes to one partition key/.test(lastError)) return 'hotKey';
  if (/throttled/.test(lastError)) return 'throttled';
  if (/condition on the item failed/.test(lastError)) return 'condition';
  if (/cannot reach DynamoDB|no answer from DynamoDB/.test(lastError)) return 'unreachable';
  if (/rejected the request|over DynamoDB's 400 KB/.test(lastError)) return 'rejected';
  if (/^msg\.(payload|operation)\b/.test(lastError)) return 'input';
  // By the drop reason's code, which the translations keep in parentheses as the English does.
  if (/\(expired\)/.test(lastError)) return 'expired';
  if (/\(queue_full\)/.test(lastError)) return 'queueFull';
  if (/\(resource_stopped\)/.test(lastError)) return 'stopped';
  return 'error';
}

/** A text of at most 200 characters (log lines and the like). */
export function clip(s: string): string {
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
}
