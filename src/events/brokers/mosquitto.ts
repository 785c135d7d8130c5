// Mosquitto 2.x's log, published with `log_dest topic`, → EMQX event columns (DESIGN.md 3.1).
//
// Mosquitto: src/logging.c (github.com/eclipse-mosquitto/mosquitto, v2.0.22 and v2.1.2) publishes
// each log line on $SYS/broker/log/<N|I|W|E|M/subscribe|M/unsubscribe>, prefixed with
// "<epoch seconds>: " (log_timestamp true, the default) or nothing (log_timestamp false).
// The lines about clients:
//   src/handle_connect.c  "New client connected from %s:%d as %s (p%d, c%d, k%d, u'%s')." (", u'%s'"
//                         only with a username; "New bridge connected ..." for a bridge).
//                         p is the protocol enum: 2.0 mosq_p_mqtt31 = 1, mqtt311 = 2, mqtt5 = 5;
//                         2.1 mqtt31 = 3, mqtt311 = 4, mqtt5 = 5 (lib/mosquitto_internal.h); the
//                         MQTT-SN numbers (2.0: 3, 2.1: 1) are never a broker client's.
//   src/loop.c do_disconnect, 2.0: "Client %s disconnected." (after DISCONNECT), "Client %s closed
//                         its connection.", "Client %s has exceeded timeout, disconnecting.", ...;
//                         2.1: "Client %s [%s:%d] disconnected[: <reason>]."
//   src/handle_connect.c  2.0: "Client %s already connected, closing old connection." (log E)
//   src/handle_subscribe.c "%s %d %s" (client id, granted QoS, filter) on M/subscribe;
//   src/handle_unsubscribe.c "%s %s" on M/unsubscribe.

import { Columns, NODE_NAME, hostPort, protoName } from '../columns';
import { BrokerPayloadError } from './fields';
import { disconnectReasonOf, V20_DISCONNECTS } from './mosquitto-reasons';
import { words } from '../../words';

/** The log topic a Mosquitto line came on: `log` for N/I/W/E, else subscribe / unsubscribe. */
export type MosquittoLogKind = 'log' | 'subscribe' | 'unsubscribe';

/** Mosquitto: `$SYS/broker/log/<level>`; undefined for any other topic (WS and D carry no client events). */
export function mosquittoTopic(topic: string): MosquittoLogKind | undefined {
  if (!topic.startsWith('$SYS/broker/log/')) return undefined;
  const level = topic.slice('$SYS/broker/log/'.length);
  if (level === 'M/subscribe') return 'subscribe';
  if (level === 'M/unsubscribe') return 'unsubscribe';
  return level === 'N' || level === 'I' || level === 'W' || level === 'E' || level === 'WS' || level === 'D' ? 'log' : undefined;
}

// Mosquitto's "p" number → MQTT protocol version (both numberings; see the header).
const PROTOCOL_VERSIONS: Readonly<Record<string, number>> = { 1: 3, 2: 4, 3: 3, 4: 4, 5: 5 };

const CONNECTED = /^New (client|bridge) connected from (.+):(\d+) as (.*) \(p(\d+), c([01]), k(\d+)(?:, u'(.*)')?\)\.$/;
// 2.1: the client's address in brackets, then ":" and the reason unless it sent DISCONNECT.
const DISCONNECTED_21 = /^Client (.*) \[(.+):(\d+)\] disconnected(?:: (.*?))?\.?$/;
// 2.0: one sentence per reason (the V20_DISCONNECTS table), or ": <strerror>".
const DISCONNECTED_20 = /^Client (.*?) (disconnected\.|closed its connection\.|has exceeded timeout, disconnecting\.|disconnected due to .*|disconnected, not authorised\.|been disconnected by administrative action\.|already connected, closing old connection\.|disconnected: (.*)\.)$/;
const BAD_SOCKET_20 = /^Bad socket read\/write on client (.*?): (.*)$/;
const SUBSCRIBED = /^(.+) (\d+) (.+)$/;
const UNSUBSCRIBED = /^(.+?) (.+)$/;

/**
 * The events of one Mosquitto log line: `client.connected`, `client.disconnected`,
 * `session.subscribed`, `session.unsubscribed`, or none for a line about anything else
 * ("New connection from ...", a line about a connection that never sent CONNECT, ...).
 * `payload`: the line as published; `now`: the arrival time, ms.
 * Throws BrokerPayloadError only for a line on M/subscribe or M/unsubscribe that is not
 * Mosquitto's "<id> <qos> <filter>" / "<id> <filter>".
 *
 * Field rules (DESIGN.md section 3.1): `timestamp` is the arrival time (ms: the log has whole
 * seconds, and the seed's `str(event) + timestamp` ids of two devices in one second must not
 * collide); connected_at / disconnected_at are the line's second × 1000 (the arrival time when the
 * line has no timestamp); `peerhost` / `peername` from "<ip>:<port>"; proto_ver from p1-p5;
 * clean_start from c0/c1; keepalive from k (s); no `u'...'` means no username; is_bridge for
 * "New bridge connected". Disconnect reasons: mosquitto-reasons.ts.
 */
export function mosquittoEvents(kind: MosquittoLogKind, payload: string, now: number): Columns[] {
  let line = payload.replace(/\r?\n$/, '');
  let at = now;
  const stamp = /^(\d+): /.exec(line);
  if (stamp) {
    at = Number(stamp[1]) * 1000;
    line = line.slice(stamp[0].length);
  }
  const base = (event: string): Columns => ({ event, timestamp: now, node: NODE_NAME });
  if (kind === 'subscribe' || kind === 'unsubscribe') {
    const m = (kind === 'subscribe' ? SUBSCRIBED : UNSUBSCRIBED).exec(line);
    if (!m) throw new BrokerPayloadError(words('events.payload.mosquittoLine', 'not a Mosquitto __kind__ log line: __line__', { kind, line: JSON.stringify(line.slice(0, 80)) }));
    const qos = kind === 'subscribe' ? Number(m[2]) : undefined;
    // A refused filter is logged with the failure code (0x80, or MQTT 5's 0x87) as its "QoS".
    if (qos !== undefined && qos > 2) return [];
    return [{
      clientid: m[1], username: undefined, peerhost: undefined, peername: undefined,
      topic: kind === 'subscribe' ? m[3] : m[2], qos,
      [kind === 'subscribe' ? 'sub_props' : 'unsub_props']: undefined,
      ...base(kind === 'subscribe' ? 'session.subscribed' : 'session.unsubscribed'),
    }];
  }
  let m = CONNECTED.exec(line);
  if (m) {
    const protoVer = PROTOCOL_VERSIONS[m[5]];
    if (protoVer === undefined) return [];
    const [host, port] = [m[2], Number(m[3])];
    return [{
      clientid: m[4], username: m[8], mountpoint: undefined, peerhost: host, peername: hostPort(host, port),
      sockname: undefined, proto_name: protoName(protoVer), proto_ver: protoVer, keepalive: Number(m[7]),
      clean_start: m[6] === '1', receive_maximum: undefined, expiry_interval: undefined,
      is_bridge: m[1] === 'bridge', conn_props: undefined, connected_at: at, ...base('client.connected'),
    }];
  }
  let clientid: string;
  let reason: string | undefined;
  let host: string | undefined;
  let port: number | undefined;
  if ((m = DISCONNECTED_21.exec(line))) {
    [clientid, host, port] = [m[1], m[2], Number(m[3])];
    // 2.1 names a connection that never sent CONNECT by its address.
    if (clientid === host) return [];
    reason = disconnectReasonOf(m[4]);
  } else if ((m = DISCONNECTED_20.exec(line))) {
    clientid = m[1];
    reason = m[3] !== undefined ? disconnectReasonOf(m[3]) : V20_DISCONNECTS[m[2]];
  } else if ((m = BAD_SOCKET_20.exec(line))) {
    clientid = m[1];
    reason = disconnectReasonOf(`bad socket read/write: ${m[2]}`);
  } else {
    return [];
  }
  // 2.0 names a connection that never sent CONNECT "<unknown>".
  if (reason === undefined || clientid === '<unknown>') return [];
  return [{
    reason, clientid, username: undefined, peerhost: host, peername: hostPort(host, port), sockname: undefined,
    proto_name: undefined, proto_ver: undefined, disconn_props: undefined, disconnected_at: at,
    ...base('client.disconnected'),
  }];
}
