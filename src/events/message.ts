// One entry point for every input kind rule-sql accepts (DESIGN.md section 1.2): an aedes
// broker message, a Status-node message about an mqtt node, and anything else (core
// `mqtt in` included) as a publish of msg.payload on msg.topic.

import { Columns } from './columns';
import { AedesEventMapper, isAedesMessage } from './aedes';
import { columnsFromMqttIn } from './mqtt-in';
import { DescribeMqttNode, StatusEventMapper, isStatusMessage } from './status';

export type InputKind = 'aedes' | 'status' | 'message';

/** The input kinds in a form a node keeps for its lifetime (the aedes mapper has a cache). */
export class MessageColumnMapper {
  readonly aedes = new AedesEventMapper();
  private readonly status: StatusEventMapper;

  constructor(describeMqttNode: DescribeMqttNode = () => undefined) {
    this.status = new StatusEventMapper(describeMqttNode);
  }

  kindOf(msg: Record<string, unknown>): InputKind {
    if (isAedesMessage(msg)) return 'aedes';
    if (isStatusMessage(msg)) return 'status';
    return 'message';
  }

  /** The events a message stands for: usually one column map, zero or several for some. */
  columnsFrom(msg: Record<string, unknown>, now = Date.now()): Columns[] {
    switch (this.kindOf(msg)) {
      case 'aedes': return this.aedes.columnsFrom(msg, now);
      case 'status': return this.status.columnsFrom(msg, now);
      default: return [columnsFromMqttIn(msg, now)];
    }
  }
}

/** Stateless convenience: a fresh mapper per call loses the aedes per-client cache. */
export function columnsFromMessage(msg: Record<string, unknown>, mapper = new MessageColumnMapper()): Columns[] {
  return mapper.columnsFrom(msg);
}
