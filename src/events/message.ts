// One entry point for every input kind rule-sql accepts (DESIGN.md section 1.2): an aedes
// broker message, a Status-node message about an mqtt node, and anything else (core
// `mqtt in` included) as a publish of msg.payload on msg.topic, plus the events it reports when
// that topic is an external broker's lifecycle topic (section 3.1, ./brokers).

import { Columns } from './columns';
import { AedesEventMapper, isAedesMessage } from './aedes';
import { columnsFromMqttIn } from './mqtt-in';
import { DescribeMqttNode, StatusEventMapper, isStatusMessage } from './status';
import { BrokerName, brokerEventsFrom } from './brokers';

/** Told of a message on a broker's lifecycle topic whose payload is not that broker's format. */
export type BrokerPayloadRefused = (topic: string, broker: BrokerName, error: string) => void;

export type InputKind = 'aedes' | 'status' | 'message';

/** The input kinds in a form a node keeps for its lifetime (the aedes mapper has a cache). */
export class MessageColumnMapper {
  readonly aedes = new AedesEventMapper();
  private readonly status: StatusEventMapper;
  /** Messages on a broker's lifecycle topic that were a publish only: the payload did not parse. */
  brokerPayloadsRefused = 0;

  /**
   * `describeMqttNode`: what a Status message's mqtt node is (status.ts); `refused`: called for
   * each lifecycle message whose payload is not its broker's format, after it is counted.
   */
  constructor(describeMqttNode: DescribeMqttNode = () => undefined, private readonly refused?: BrokerPayloadRefused) {
    this.status = new StatusEventMapper(describeMqttNode);
  }

  kindOf(msg: Record<string, unknown>): InputKind {
    if (isAedesMessage(msg)) return 'aedes';
    if (isStatusMessage(msg)) return 'status';
    return 'message';
  }

  /**
   * The events a message stands for: usually one column map, zero or several for some. A message
   * on an external broker's lifecycle topic gives its `message.publish` first, then the events
   * it reports (none, and counted in brokerPayloadsRefused, when its payload does not parse).
   */
  columnsFrom(msg: Record<string, unknown>, now = Date.now()): Columns[] {
    switch (this.kindOf(msg)) {
      case 'aedes': return this.aedes.columnsFrom(msg, now);
      case 'status': return this.status.columnsFrom(msg, now);
      default: {
        const publish = columnsFromMqttIn(msg, now);
        const reported = brokerEventsFrom(publish.topic, publish.payload, now);
        if (reported === undefined) return [publish];
        if (reported.error !== undefined) {
          this.brokerPayloadsRefused++;
          this.refused?.(publish.topic as string, reported.broker, reported.error);
          return [publish];
        }
        return [publish, ...reported.events];
      }
    }
  }
}

/** Stateless convenience: a fresh mapper per call loses the aedes per-client cache. */
export function columnsFromMessage(msg: Record<string, unknown>, mapper = new MessageColumnMapper()): Columns[] {
  return mapper.columnsFrom(msg);
}
