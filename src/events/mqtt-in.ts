// The core `mqtt in` node's message, and any other plain message, as an EMQX message.publish
// (DESIGN.md section 3). The publisher is unknown on this path, so clientid, username and
// peerhost are undefined.

import { Columns, NODE_NAME, emqxProps, messageId, payloadText, setHiddenColumn } from './columns';

/** What a message from `mqtt in` carries (Node-RED 4, 10-mqtt.js subscriptionHandler). */
export interface MqttInMessage {
  topic?: unknown;
  payload?: unknown;
  qos?: unknown;
  retain?: unknown;
  dup?: unknown;
  [property: string]: unknown;
}

export function columnsFromMqttIn(msg: MqttInMessage, now = Date.now()): Columns {
  const columns: Columns = {
    id: messageId(),
    clientid: undefined,
    username: undefined,
    payload: payloadText(msg.payload),
    peerhost: undefined,
    topic: typeof msg.topic === 'string' ? msg.topic : msg.topic === undefined ? undefined : String(msg.topic),
    qos: qosOf(msg.qos),
    flags: { retain: msg.retain === true || msg.retain === 'true', dup: msg.dup === true },
    pub_props: emqxProps(msg),
    publish_received_at: now,
    event: 'message.publish',
    timestamp: now,
    node: NODE_NAME,
  };
  setHiddenColumn(columns, 'peername', undefined);
  setHiddenColumn(columns, 'client_attrs', {});
  return columns;
}

function qosOf(value: unknown): number {
  const qos = Number(value);
  return qos === 1 || qos === 2 ? qos : 0;
}
