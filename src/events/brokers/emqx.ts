// EMQX's $SYS client messages → EMQX's own event columns (DESIGN.md section 3.1).
//
// EMQX: apps/emqx/src/emqx_sys.erl (5.x, 6.x; github.com/emqx/emqx) publishes, for every client,
//   $SYS/brokers/<node>/clients/<clientid>/connected | disconnected | subscribed | unsubscribed
//   $SYS/brokers/<node>/gateway/<gw>/clients/<clientid>/...   (gateway clients: protocol <gw>)
// as JSON: common_infos/2 (clientid, username, ipaddress, sockport, protocol, proto_name,
// proto_ver, connected_at, ts) plus keepalive, clean_start, expiry_interval (connected) or reason,
// disconnected_at (disconnected); 6.x adds receive_maximum, conn_props, client_attrs,
// disconn_props. subscribed / unsubscribed (off by default: sys_event_messages) hold clientid,
// username, protocol, topic, subopts (subscribed only), ts. EMQX 4.x (emqx_mod_presence.erl) sends
// connected / disconnected without `protocol`, with `connack` (always 0) and expiry_interval in
// seconds; 4.0 and 4.1 sent connected_at / disconnected_at in seconds.

import type { Columns } from '../columns';
import { BrokerPayloadError, checkFields, epochMs, jsonObject, props, text } from './fields';
import { words } from '../../words';

/** Where an EMQX $SYS client topic points. */
export interface EmqxTopic {
  /** EMQX's node name from the topic, e.g. `emqx@127.0.0.1`: the `node` column. */
  node: string;
  /** The client id the topic names (may hold `/`). */
  clientid: string;
  kind: 'connected' | 'disconnected' | 'subscribed' | 'unsubscribed';
  /** The gateway name for `$SYS/brokers/<node>/gateway/<gw>/clients/...`. */
  gateway?: string;
}

const KINDS = new Set(['connected', 'disconnected', 'subscribed', 'unsubscribed']);

/** EMQX: emqx_sys:event_topic/2 (`systop("clients")` or `systop("gateway")/<gw>/clients`); undefined for any other topic. */
export function emqxTopic(topic: string): EmqxTopic | undefined {
  if (!topic.startsWith('$SYS/brokers/')) return undefined;
  const levels = topic.split('/');
  const kind = levels[levels.length - 1];
  if (!KINDS.has(kind)) return undefined;
  const node = levels[2];
  if (levels[3] === 'clients' && levels.length >= 6) {
    return { node, clientid: levels.slice(4, -1).join('/'), kind: kind as EmqxTopic['kind'] };
  }
  if (levels[3] === 'gateway' && levels[5] === 'clients' && levels.length >= 8) {
    return { node, clientid: levels.slice(6, -1).join('/'), kind: kind as EmqxTopic['kind'], gateway: levels[4] };
  }
  return undefined;
}

const FIELD_KINDS = {
  clientid: 'string', username: 'string', ipaddress: 'string', sockport: 'number', protocol: 'string',
  proto_name: 'string', proto_ver: ['number', 'string'], connected_at: 'number', ts: 'number',
  keepalive: 'number', clean_start: 'boolean', expiry_interval: 'number', receive_maximum: 'number',
  conn_props: 'object', client_attrs: 'object', reason: 'string', disconnected_at: 'number',
  disconn_props: 'object', topic: 'string', subopts: 'object', connack: 'number',
} as const;

/**
 * The event of one EMQX $SYS client message: `client.connected`, `client.disconnected`,
 * `session.subscribed` or `session.unsubscribed`, with EMQX's event column names.
 * `payload`: the message's text. Throws BrokerPayloadError when it is not EMQX's JSON
 * (not an object, no `clientid` or `ts`, a disconnect without `reason`, a field of the wrong type).
 *
 * Field rules (DESIGN.md section 3.1): `ipaddress` → `peerhost` (`peername` stays undefined: the
 * payload has no client port; `sockport`, the listener's, is kept under its own name, as is
 * `protocol`); `ts` → `timestamp`; connected_at / disconnected_at in ms; expiry_interval in seconds
 * like EMQX's event column (EMQX: emqx_rule_events `ExpiryInterval div 1000`; the 5.x+ payload
 * carries ms, 4.x seconds); username / ipaddress `undefined` text → undefined; the `node` column
 * from the topic. EMQX 4.x's `connack` (always 0) is dropped. `reason` is EMQX's own atom, kept.
 */
export function emqxEvents(where: EmqxTopic, payload: string): Columns[] {
  const p = jsonObject(payload);
  const required = ['clientid', 'ts'];
  if (where.kind === 'disconnected') required.push('reason');
  if (where.kind === 'subscribed' || where.kind === 'unsubscribed') required.push('topic');
  checkFields(p, FIELD_KINDS, required);
  const v5 = typeof p.protocol === 'string';
  const common: Columns = { clientid: p.clientid, username: text(p.username) };
  const own: Columns = {};
  if (p.sockport !== undefined) own.sockport = p.sockport;
  if (p.protocol !== undefined) own.protocol = p.protocol;
  const base = (event: string): Columns => ({ event, timestamp: p.ts, node: where.node });
  switch (where.kind) {
    case 'connected': {
      const expiry = typeof p.expiry_interval === 'number' ? (v5 ? Math.floor(p.expiry_interval / 1000) : p.expiry_interval) : undefined;
      const columns: Columns = {
        ...common,
        mountpoint: undefined,
        peerhost: text(p.ipaddress),
        peername: undefined,
        sockname: undefined,
        proto_name: p.proto_name,
        proto_ver: p.proto_ver,
        keepalive: p.keepalive,
        clean_start: p.clean_start,
        receive_maximum: p.receive_maximum,
        expiry_interval: expiry,
        is_bridge: undefined,
        conn_props: props(p.conn_props),
        connected_at: epochMs(p.connected_at),
        ...own,
        ...base('client.connected'),
      };
      if (p.client_attrs !== undefined) columns.client_attrs = p.client_attrs;
      return [columns];
    }
    case 'disconnected': {
      const columns: Columns = {
        reason: p.reason,
        ...common,
        peerhost: text(p.ipaddress),
        peername: undefined,
        sockname: undefined,
        proto_name: p.proto_name,
        proto_ver: p.proto_ver,
        disconn_props: props(p.disconn_props),
        disconnected_at: epochMs(p.disconnected_at),
        connected_at: epochMs(p.connected_at),
        ...own,
        ...base('client.disconnected'),
      };
      if (p.client_attrs !== undefined) columns.client_attrs = p.client_attrs;
      return [columns];
    }
    case 'subscribed':
    case 'unsubscribed': {
      const subopts = p.subopts as Columns | undefined;
      const qos = subopts?.qos;
      if (qos !== undefined && typeof qos !== 'number') throw new BrokerPayloadError(words('events.payload.emqxQos', '"subopts.qos" is not a number'));
      const columns: Columns = {
        ...common,
        peerhost: undefined,
        peername: undefined,
        topic: p.topic,
        qos,
        [where.kind === 'subscribed' ? 'sub_props' : 'unsub_props']: undefined,
        ...own,
        ...base(where.kind === 'subscribed' ? 'session.subscribed' : 'session.unsubscribed'),
      };
      if (subopts !== undefined) columns.subopts = subopts;
      return [columns];
    }
  }
}
