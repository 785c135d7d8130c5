// EMQX's example columns per event (emqx_rule_events:columns_with_exam/1) for the SQL test
// API, and the short editable context the dashboard shows first (test_columns/1). Hidden
// columns follow the same rule as live events (see setHiddenColumn).

import { Columns, NODE_NAME, messageId, setHiddenColumn } from './columns';
import { words } from '../words';

/** The `context.event_type` values the test API accepts, as EMQX names them. */
export const EVENT_TYPES = [
  'message_publish', 'message_delivered', 'message_acked', 'message_dropped', 'delivery_dropped',
  'client_connected', 'client_disconnected', 'client_connack', 'client_ping',
  'client_check_authz_complete', 'client_check_authn_complete',
  'session_subscribed', 'session_unsubscribed',
  'schema_validation_failed', 'message_transformation_failed',
  'alarm_activated', 'alarm_deactivated',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** `client_connected` → `client.connected`; undefined for an unknown type. */
export function eventNameOf(eventType: string): string | undefined {
  const type = eventType.replace('.', '_');
  if (!(EVENT_TYPES as readonly string[]).includes(type)) return undefined;
  const first = type.indexOf('_');
  return `${type.slice(0, first)}.${type.slice(first + 1)}`;
}

function props(kind: 'pub' | 'puback' | 'conn' | 'disconn' | 'sub'): Columns {
  const specific: Record<string, Columns> = {
    pub: { 'Payload-Format-Indicator': 0, 'Message-Expiry-Interval': 30 },
    puback: { 'Reason-String': 'OK' },
    conn: { 'Session-Expiry-Interval': 7200, 'Receive-Maximum': 32 },
    disconn: {
      'Session-Expiry-Interval': 7200,
      'Reason-String': 'Redirect to another server',
      'Server Reference': '192.168.22.129',
    },
    sub: {},
  };
  return {
    ...specific[kind],
    'User-Property': { foo: 'bar' },
    'User-Property-Pairs': [{ key: 'foo', value: 'bar' }],
  };
}

function publishLike(now: number): Columns {
  return {
    id: messageId(),
    clientid: 'c_emqx',
    username: 'u_emqx',
    payload: '{"msg": "hello"}',
    peerhost: '192.168.0.10',
    topic: 't/a',
    qos: 1,
    flags: {},
    publish_received_at: now,
    pub_props: props('pub'),
  };
}

function deliveredLike(now: number): Columns {
  const columns = publishLike(now);
  delete columns.clientid;
  delete columns.username;
  return {
    ...columns,
    from_clientid: 'c_emqx_1',
    from_username: 'u_emqx_1',
    clientid: 'c_emqx_2',
    username: 'u_emqx_2',
    peername: '192.168.0.10:32781',
  };
}

const connection = {
  clientid: 'c_emqx',
  username: 'u_emqx',
  peername: '192.168.0.10:56431',
  sockname: '0.0.0.0:1883',
  proto_name: 'MQTT',
  proto_ver: 5,
};

/**
 * A full example column map for one event type (`client_connected` or `client.connected`),
 * with a fresh `id` and the current time, as EMQX's SQL tester fills unsupplied columns.
 */
export function exampleColumns(eventType: string, now = Date.now()): Columns {
  const event = eventNameOf(eventType);
  if (!event) throw new Error(words('events.examples.unknownEventType', 'unknown event type "__eventType__"; expected one of __eventTypes__', { eventType, eventTypes: EVENT_TYPES.join(', ') }));
  let columns: Columns;
  const hidden: Columns = {};
  switch (event) {
    case 'message.publish':
      columns = publishLike(now);
      hidden.peername = '192.168.0.10:32781';
      hidden.client_attrs = { test: 'example' };
      break;
    case 'message.delivered':
      columns = deliveredLike(now);
      break;
    case 'message.acked':
      columns = { ...deliveredLike(now), puback_props: props('puback') };
      break;
    case 'message.dropped':
      columns = { ...publishLike(now), reason: 'no_subscribers', peername: '192.168.0.10:32781' };
      break;
    case 'delivery.dropped':
      columns = { ...deliveredLike(now), reason: 'queue_full' };
      break;
    case 'schema.validation_failed':
      columns = { ...publishLike(now), validation: 'my_validation', peername: '192.168.0.10:32781' };
      break;
    case 'message.transformation_failed': {
      columns = { ...publishLike(now), transformation: 'my_transformation', peername: '192.168.0.10:56431' };
      delete columns.peerhost;
      break;
    }
    case 'client.connected':
      columns = {
        ...connection, mountpoint: undefined, keepalive: 60, clean_start: true, receive_maximum: 32,
        expiry_interval: 3600, is_bridge: false, conn_props: props('conn'), connected_at: now,
      };
      hidden.client_attrs = { test: 'example' };
      break;
    case 'client.disconnected':
      columns = { reason: 'normal', ...connection, disconn_props: props('disconn'), disconnected_at: now };
      hidden.connected_at = now;
      hidden.client_attrs = { test: 'example' };
      break;
    case 'client.connack':
      columns = {
        reason_code: 'success', ...connection, keepalive: 60, clean_start: true, expiry_interval: 3600,
        connected_at: now, conn_props: props('conn'),
      };
      break;
    case 'client.ping':
      columns = { ...connection, clean_start: true, keepalive: 60, expiry_interval: 3600, conn_props: props('conn') };
      break;
    case 'client.check_authz_complete':
      columns = {
        clientid: 'c_emqx', username: 'u_emqx', peerhost: '192.168.0.10', peername: '192.168.0.10:32781',
        topic: 't/a', action: 'publish', authz_source: 'cache', result: 'allow',
      };
      hidden.client_attrs = { test: 'example' };
      break;
    case 'client.check_authn_complete':
      columns = {
        clientid: 'c_emqx', username: 'u_emqx', peername: '192.168.0.10:56431', reason_code: 'success',
        is_superuser: true, is_anonymous: false,
      };
      hidden.client_attrs = { test: 'example' };
      break;
    case 'session.subscribed':
    case 'session.unsubscribed':
      columns = {
        clientid: 'c_emqx', username: 'u_emqx', peerhost: '192.168.0.10', topic: 't/a', qos: 1,
        [event === 'session.subscribed' ? 'sub_props' : 'unsub_props']: props('sub'),
      };
      hidden.peername = '192.168.0.10:32781';
      hidden.client_attrs = { test: 'example' };
      break;
    case 'alarm.activated':
    case 'alarm.deactivated':
      columns = { name: 'alarm_name', details: { extra: 'details' }, message: 'something is wrong', activated_at: 1736512728666 };
      if (event === 'alarm.deactivated') columns.deactivated_at = 1736512728999;
      break;
    default:
      throw new Error(`no example columns for ${event}`);
  }
  columns.event = event;
  columns.timestamp = now;
  columns.node = NODE_NAME;
  for (const [name, value] of Object.entries(hidden)) setHiddenColumn(columns, name, value);
  return columns;
}

/** The short editable context the SQL test panel starts from (EMQX's test_columns). */
export function exampleTestContext(eventType: string): Columns {
  const event = eventNameOf(eventType);
  const type = eventType.replace('.', '_');
  const who = { clientid: 'c_emqx', username: 'u_emqx' };
  const message = { topic: 't/a', qos: 1, payload: '{"msg": "hello"}' };
  const delivered = { from_clientid: 'c_emqx_1', from_username: 'u_emqx_1', clientid: 'c_emqx_2', username: 'u_emqx_2', ...message };
  let fields: Columns;
  switch (event) {
    case 'message.publish': fields = { ...who, ...message }; break;
    case 'message.dropped': fields = { reason: 'no_subscribers', ...who, ...message }; break;
    case 'schema.validation_failed': fields = { validation: 'my_validation', ...who, ...message }; break;
    case 'message.transformation_failed': fields = { transformation: 'my_transformation', ...who, ...message }; break;
    case 'message.delivered': case 'message.acked': fields = delivered; break;
    case 'delivery.dropped': fields = { reason: 'queue_full', ...delivered }; break;
    case 'client.connected': fields = { ...who, peername: '127.0.0.1:52918' }; break;
    case 'client.disconnected': fields = { ...who, reason: 'normal' }; break;
    case 'client.connack': fields = { ...who, reason_code: 'success' }; break;
    case 'client.ping': fields = { ...who }; break;
    case 'client.check_authz_complete': fields = { ...who, topic: 't/1', action: 'publish', result: 'allow' }; break;
    case 'client.check_authn_complete': fields = { ...who, reason_code: 'success', is_superuser: true, is_anonymous: false }; break;
    case 'session.subscribed': case 'session.unsubscribed': fields = { ...who, topic: 't/a', qos: 1 }; break;
    case 'alarm.activated': case 'alarm.deactivated': fields = { name: 'alarm_name', message: 'something is wrong' }; break;
    default: throw new Error(words('events.examples.unknownEvent', 'unknown event type "__eventType__"', { eventType }));
  }
  return { event_type: type, ...fields };
}

/**
 * One sample lifecycle message per external broker (DESIGN.md section 3.1), as `mqtt in` gives it
 * (topic and payload text), for the SQL test panel's "Record client events from ..." examples:
 * EMQX: apps/emqx/src/emqx_sys.erl (5.x connected); AWS IoT: the disconnect message of the
 * "Lifecycle events" page; Mosquitto: a 2.0 connect line on $SYS/broker/log/N.
 */
export const BROKER_SAMPLES: Readonly<Record<'emqx' | 'aws-iot' | 'mosquitto', { topic: string; payload: string }>> = {
  emqx: {
    topic: '$SYS/brokers/emqx@127.0.0.1/clients/c_emqx/connected',
    payload: JSON.stringify({
      clientid: 'c_emqx', username: 'u_emqx', ipaddress: '192.168.0.10', sockport: 1883, protocol: 'mqtt', proto_name: 'MQTT',
      proto_ver: 5, connected_at: 1736512728660, ts: 1736512728666, keepalive: 60, clean_start: true, expiry_interval: 7200000,
    }),
  },
  'aws-iot': {
    topic: '$aws/events/presence/disconnected/186b5',
    payload: JSON.stringify({
      clientId: '186b5', timestamp: 1573002340451, eventType: 'disconnected',
      sessionIdentifier: '00000000-0000-0000-0000-000000000000', principalIdentifier: '12345678901234567890123456789012',
      clientInitiatedDisconnect: true, disconnectReason: 'CLIENT_INITIATED_DISCONNECT', versionNumber: 0,
    }),
  },
  mosquitto: {
    topic: '$SYS/broker/log/N',
    payload: "1736512728: New client connected from 192.168.0.10:56431 as c_emqx (p5, c1, k60, u'u_emqx').",
  },
};
