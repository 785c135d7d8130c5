// External brokers' lifecycle messages → events (DESIGN.md section 3.1): which broker a topic
// belongs to, and the events its payload reports. Each format is its own module: emqx.ts
// (EMQX $SYS), aws-iot.ts (AWS IoT Core $aws/events), mosquitto.ts (Mosquitto's log on $SYS).

import { isUtf8 } from 'node:buffer';
import { awsIotEvents, awsIotTopic } from './aws-iot';
import { emqxEvents, emqxTopic } from './emqx';
import { BrokerEvents, BrokerPayloadError } from './fields';
import { mosquittoEvents, mosquittoTopic } from './mosquitto';
import { words } from '../../words';

export { BROKER_LABELS, BrokerEvents, BrokerName, BrokerPayloadError } from './fields';
export { AWS_CONNECT_FAILURE_REASONS, AWS_DISCONNECT_REASONS, AwsIotTopic, awsIotEvents, awsIotTopic } from './aws-iot';
export { EmqxTopic, emqxEvents, emqxTopic } from './emqx';
export { MosquittoLogKind, mosquittoEvents, mosquittoTopic } from './mosquitto';
export { SOCKET_ERRORS, V20_DISCONNECTS, V21_DISCONNECTS, disconnectReasonOf } from './mosquitto-reasons';

/**
 * The events a message on topic `topic` with payload `payload` (text, or bytes) reports, when
 * the topic is a broker's lifecycle topic:
 * - undefined: not such a topic (every topic not starting with `$SYS/` or `$aws/` costs one test);
 * - `{ broker, events }`: the events (none for a Mosquitto log line about anything else);
 * - `{ broker, events: [], error }`: the payload is not that broker's format; the message stays a
 *   publish only, and the caller counts it.
 * `now`: the arrival time, ms (Mosquitto's events are timed by it). Never throws.
 */
export function brokerEventsFrom(topic: unknown, payload: unknown, now: number): BrokerEvents | undefined {
  if (typeof topic !== 'string' || topic.charCodeAt(0) !== 36 /* $ */) return undefined;
  const emqx = emqxTopic(topic);
  if (emqx) return run('emqx', payload, (text) => emqxEvents(emqx, text));
  const aws = awsIotTopic(topic);
  if (aws) return run('aws-iot', payload, (text) => awsIotEvents(aws, text));
  const mosquitto = mosquittoTopic(topic);
  if (mosquitto) return run('mosquitto', payload, (text) => mosquittoEvents(mosquitto, text, now));
  return undefined;
}

function run(broker: BrokerEvents['broker'], payload: unknown, parse: (text: string) => BrokerEvents['events']): BrokerEvents {
  let text: string;
  if (typeof payload === 'string') text = payload;
  else if (Buffer.isBuffer(payload) && isUtf8(payload)) text = payload.toString('utf8');
  else return { broker, events: [], error: words('events.payload.notText', 'payload is not text') };
  try {
    return { broker, events: parse(text) };
  } catch (err) {
    if (err instanceof BrokerPayloadError) return { broker, events: [], error: err.message };
    return { broker, events: [], error: err instanceof Error ? err.message : String(err) };
  }
}
