// AWS IoT Core's lifecycle events → EMQX event columns (DESIGN.md section 3.1).
//
// AWS IoT: "Lifecycle events", AWS IoT Core Developer Guide
// (https://docs.aws.amazon.com/iot/latest/developerguide/life-cycle-events.html):
//   $aws/events/presence/connected/<clientId>       clientId, thingName?, timestamp, eventType,
//   $aws/events/presence/disconnected/<clientId>    sessionIdentifier, principalIdentifier,
//                                                   ipAddress (connect only), versionNumber,
//                                                   clientInitiatedDisconnect, disconnectReason (disconnect only)
//   $aws/events/presence/connect_failed/<clientId>  ... connectFailureReason (AUTHORIZATION_FAILED), ipAddress
//   $aws/events/subscriptions/subscribed/<clientId> and .../unsubscribed/<clientId>: ... topics [..]
// "Lifecycle messages might be sent out of order. You might receive duplicate messages." They
// are passed on as they come; `versionNumber` (the same for a connect and its disconnect) lets a
// sink condition keep only the newer state per device.

import { Columns, NODE_NAME } from '../columns';
import { BrokerPayloadError, checkFields, jsonObject } from './fields';
import { words } from '../../words';

/** Where an AWS IoT lifecycle topic points. */
export interface AwsIotTopic {
  kind: 'connected' | 'disconnected' | 'connect_failed' | 'subscribed' | 'unsubscribed';
  /** The client id the topic names. */
  clientid: string;
}

/** AWS IoT: the five lifecycle topics; undefined for any other topic. */
export function awsIotTopic(topic: string): AwsIotTopic | undefined {
  if (!topic.startsWith('$aws/events/')) return undefined;
  const levels = topic.split('/');
  if (levels.length < 5) return undefined;
  const [, , group, kind] = levels;
  const clientid = levels.slice(4).join('/');
  if (group === 'presence' && (kind === 'connected' || kind === 'disconnected' || kind === 'connect_failed')) return { kind, clientid };
  if (group === 'subscriptions' && (kind === 'subscribed' || kind === 'unsubscribed')) return { kind, clientid };
  return undefined;
}

/**
 * AWS IoT's disconnectReason → EMQX's client.disconnected `reason` (the reference, section 4;
 * EMQX's MQTT reason-code names from emqx_reason_codes). AWS's own text stays in
 * `disconnectReason`. An unknown value is `internal_error`, as EMQX reports what it does not know.
 */
export const AWS_DISCONNECT_REASONS: Readonly<Record<string, string>> = {
  // "The client indicates that it will disconnect" (DISCONNECT packet or WebSocket Close frame).
  CLIENT_INITIATED_DISCONNECT: 'normal',
  // "The client-server connection is cut off."
  CONNECTION_LOST: 'tcp_closed',
  // "no client-server communication for 1.5x of the client's keep-alive time"
  MQTT_KEEP_ALIVE_TIMEOUT: 'keepalive_timeout',
  // "The client failed to authenticate or authorization failed."
  AUTH_ERROR: 'not_authorized',
  // "e.g. sending more than 1 MQTT CONNECT packet on the same connection, a payload over the limit"
  CLIENT_ERROR: 'protocol_error',
  // "The client that is already connected will be disconnected with this disconnect reason."
  // EMQX says `takenover` or `discarded` after whether the new connection resumes the session,
  // which AWS does not report.
  DUPLICATE_CLIENTID: 'takenover',
  // "The client is not allowed to be connected. For example, a client with a denied IP address."
  FORBIDDEN_ACCESS: 'banned',
  // "Disconnected due to unexpected server issues."
  SERVER_ERROR: 'internal_error',
  // "Server intentionally disconnects a client for operational reasons."
  SERVER_INITIATED_DISCONNECT: 'server_shutting_down',
  // "The client was disconnected using the DeleteConnection API." (EMQX's kick API: `kicked`)
  API_INITIATED_DISCONNECT: 'kicked',
  // "The client is disconnected for exceeding a throttling limit."
  THROTTLED: 'quota_exceeded',
  // "a WebSocket has been connected longer than its time-to-live value"
  WEBSOCKET_TTL_EXPIRATION: 'maximum_connect_time',
  // "connected longer than the time-to-live value of its custom authorizer"
  CUSTOMAUTH_TTL_EXPIRATION: 'maximum_connect_time',
};

/** AWS IoT's connectFailureReason → EMQX's client.connack `reason_code`. */
export const AWS_CONNECT_FAILURE_REASONS: Readonly<Record<string, string>> = {
  AUTHORIZATION_FAILED: 'not_authorized',
};

const FIELD_KINDS = {
  clientId: 'string', thingName: 'string', timestamp: 'number', eventType: 'string',
  sessionIdentifier: 'string', principalIdentifier: 'string', ipAddress: 'string', versionNumber: 'number',
  clientInitiatedDisconnect: 'boolean', disconnectReason: 'string', connectFailureReason: 'string', topics: 'array',
} as const;

/**
 * The events of one AWS IoT lifecycle message. `payload`: the message's text; the event's time is
 * AWS's `timestamp` (ms), `node` is this Node-RED's (AWS names no broker node). Throws
 * BrokerPayloadError when it is not AWS's JSON (not an object; no `clientId` or `timestamp`;
 * `eventType` other than the topic's; a disconnect without `disconnectReason`; a connect failure
 * without `connectFailureReason`; `topics` not a list of texts; a field of the wrong type).
 *
 * - connected → `client.connected`; disconnected → `client.disconnected` (reason mapped by
 *   AWS_DISCONNECT_REASONS); connect_failed → `client.connack` (reason_code mapped by
 *   AWS_CONNECT_FAILURE_REASONS); subscribed / unsubscribed → one `session.subscribed` /
 *   `session.unsubscribed` per topic.
 * - `ipAddress` → `peerhost`; `timestamp` → `timestamp` and connected_at / disconnected_at (ms);
 *   what AWS does not report (username, protocol, keepalive, clean start, ...) is undefined.
 * - AWS's own fields are kept under their names: sessionIdentifier, principalIdentifier,
 *   versionNumber, thingName (when present), clientInitiatedDisconnect, disconnectReason,
 *   connectFailureReason.
 */
export function awsIotEvents(where: AwsIotTopic, payload: string): Columns[] {
  const p = jsonObject(payload);
  const required = ['clientId', 'timestamp'];
  if (where.kind === 'disconnected') required.push('disconnectReason');
  if (where.kind === 'connect_failed') required.push('connectFailureReason');
  if (where.kind === 'subscribed' || where.kind === 'unsubscribed') required.push('topics');
  checkFields(p, FIELD_KINDS, required);
  if (p.eventType !== undefined && p.eventType !== where.kind) {
    throw new BrokerPayloadError(words('events.payload.awsEventType', 'eventType "__eventType__" on a __kind__ topic', { eventType: String(p.eventType), kind: where.kind }));
  }
  const own: Columns = {};
  for (const name of ['sessionIdentifier', 'principalIdentifier', 'versionNumber', 'thingName']) {
    if (p[name] !== undefined) own[name] = p[name];
  }
  const at = p.timestamp as number;
  const base = (event: string): Columns => ({ event, timestamp: at, node: NODE_NAME });
  const who = { clientid: p.clientId, username: undefined };
  switch (where.kind) {
    case 'connected':
      return [{
        ...who, mountpoint: undefined, peerhost: p.ipAddress, peername: undefined, sockname: undefined,
        proto_name: undefined, proto_ver: undefined, keepalive: undefined, clean_start: undefined,
        receive_maximum: undefined, expiry_interval: undefined, is_bridge: undefined, conn_props: undefined,
        connected_at: at, ...own, ...base('client.connected'),
      }];
    case 'disconnected': {
      const reason = AWS_DISCONNECT_REASONS[p.disconnectReason as string] ?? 'internal_error';
      return [{
        reason, ...who, peerhost: p.ipAddress, peername: undefined, sockname: undefined,
        proto_name: undefined, proto_ver: undefined, disconn_props: undefined, disconnected_at: at,
        ...own, clientInitiatedDisconnect: p.clientInitiatedDisconnect, disconnectReason: p.disconnectReason,
        ...base('client.disconnected'),
      }];
    }
    case 'connect_failed': {
      const reasonCode = AWS_CONNECT_FAILURE_REASONS[p.connectFailureReason as string] ?? 'unspecified_error';
      return [{
        reason_code: reasonCode, ...who, peerhost: p.ipAddress, peername: undefined, sockname: undefined,
        proto_name: undefined, proto_ver: undefined, clean_start: undefined, keepalive: undefined,
        expiry_interval: undefined, connected_at: undefined, conn_props: undefined,
        ...own, connectFailureReason: p.connectFailureReason, ...base('client.connack'),
      }];
    }
    case 'subscribed':
    case 'unsubscribed': {
      const topics = p.topics as unknown[];
      if (!topics.every((t) => typeof t === 'string')) throw new BrokerPayloadError(words('events.payload.awsTopics', '"topics" is not a list of topic texts'));
      const event = where.kind === 'subscribed' ? 'session.subscribed' : 'session.unsubscribed';
      const propsName = where.kind === 'subscribed' ? 'sub_props' : 'unsub_props';
      return topics.map((topic) => ({
        ...who, peerhost: undefined, peername: undefined, topic, qos: undefined, [propsName]: undefined,
        ...own, ...base(event),
      }));
    }
  }
}
