// Building blocks shared by every input mapper (DESIGN.md section 3): EMQX message ids, the
// node name, MQTT 5 properties under EMQX's names, payload text, socket addresses, and the
// "hidden" columns that SQL can read by name but `SELECT *` does not copy.

import { jsonText, JsonValueError } from '../json/encode';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { words } from '../words';

/** The rule input: a flat map of EMQX column names. */
export type Columns = Record<string, unknown>;

/** EMQX's `node` column: `name@host`, as `emqx@127.0.0.1` is for EMQX. */
export const NODE_NAME = `node-red@${hostname()}`;

// EMQX's guid (emqx_guid): 64-bit microsecond timestamp, 48 bits that identify the node and
// process, 16-bit sequence. Printed as 32 upper-case hex digits, sortable by time.
const processTag = randomBytes(6).toString('hex').toUpperCase();
let lastMicros = 0n;
let sequence = 0;

export function messageId(): string {
  let micros = BigInt(Date.now()) * 1000n + BigInt(Math.floor((performance.now() % 1) * 1000));
  if (micros <= lastMicros) {
    micros = lastMicros;
    sequence = (sequence + 1) & 0xffff;
    if (sequence === 0) micros = lastMicros + 1n;
  } else {
    sequence = 0;
  }
  lastMicros = micros;
  return micros.toString(16).toUpperCase().padStart(16, '0') + processTag
    + sequence.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * Adds a column that SQL reads by name (`SELECT peername`) but `SELECT *` and FOREACH do not
 * copy, because the engine copies enumerable keys. Used for the columns newer EMQX versions
 * add beyond the ones the seed's DynamoDB items show (publish `peername`, `client_attrs`,
 * disconnected `connected_at`), so `SELECT *` gives exactly the seed's attribute set.
 */
export function setHiddenColumn(columns: Columns, name: string, value: unknown): void {
  Object.defineProperty(columns, name, { value, enumerable: false, writable: true, configurable: true });
}

/** EMQX's proto_name: MQTT 3.1 clients say `MQIsdp` in CONNECT. */
export function protoName(protoVer: number | undefined): string {
  return protoVer === 3 ? 'MQIsdp' : 'MQTT';
}

/**
 * A client.connected event: the client's own columns (`head`), then the ones every client here
 * has alike: not a bridge, no CONNECT user properties, no client_attrs.
 */
export function clientConnectedColumns(head: Columns, now: number): Columns {
  const columns: Columns = {
    ...head,
    is_bridge: false,
    conn_props: { 'User-Property': {} },
    connected_at: now,
    event: 'client.connected',
    timestamp: now,
    node: NODE_NAME,
  };
  setHiddenColumn(columns, 'client_attrs', {});
  return columns;
}

/** A client.disconnected event: the client's own columns and reason (`head`), then the rest alike. */
export function clientDisconnectedColumns(head: Columns, now: number, connectedAt: number | undefined): Columns {
  const columns: Columns = {
    ...head,
    disconn_props: { 'User-Property': {} },
    disconnected_at: now,
    event: 'client.disconnected',
    timestamp: now,
    node: NODE_NAME,
  };
  setHiddenColumn(columns, 'connected_at', connectedAt);
  setHiddenColumn(columns, 'client_attrs', {});
  return columns;
}

/** EMQX's payload: the raw bytes; text when they are UTF-8 (the engine treats both alike). */
export function payloadText(payload: unknown): string | Buffer {
  if (typeof payload === 'string') return payload;
  if (Buffer.isBuffer(payload)) return isUtf8(payload) ? payload.toString('utf8') : payload;
  if (payload instanceof Uint8Array) return payloadText(Buffer.from(payload));
  if (payload === undefined || payload === null) return '';
  if (typeof payload === 'object') {
    // A parsed object (mqtt in "auto-detect", a JSON node, a function node's Map) goes back to
    // JSON text, since EMQX rules always see the payload as it travelled; with the encoder the
    // rule's json_encode and the sink use, so a Map is not an empty map. What cannot be JSON
    // (a function, a cycle, ...) fails this message by path.
    try {
      return jsonText(payload, 'msg.payload');
    } catch (err) {
      if (err instanceof JsonValueError) throw new Error(words('events.payload.notJsonValue', '__reason__ (the rule reads msg.payload as JSON text)', { reason: err.message }));
      throw err;
    }
  }
  return String(payload);
}

// Node-RED's mqtt nodes and mqtt.js use camelCase MQTT 5 property names; EMQX prints the
// specification's names (emqx_mqtt_props).
const PROPERTY_NAMES: Record<string, string> = {
  payloadFormatIndicator: 'Payload-Format-Indicator',
  messageExpiryInterval: 'Message-Expiry-Interval',
  contentType: 'Content-Type',
  responseTopic: 'Response-Topic',
  correlationData: 'Correlation-Data',
  subscriptionIdentifier: 'Subscription-Identifier',
  topicAlias: 'Topic-Alias',
  sessionExpiryInterval: 'Session-Expiry-Interval',
  receiveMaximum: 'Receive-Maximum',
  maximumPacketSize: 'Maximum-Packet-Size',
  topicAliasMaximum: 'Topic-Alias-Maximum',
  requestResponseInformation: 'Request-Response-Information',
  requestProblemInformation: 'Request-Problem-Information',
  reasonString: 'Reason-String',
  serverReference: 'Server-Reference',
};

// Built once: Object.entries per message allocated 15 pairs and cost ~1 µs of every publish.
const PROPERTY_ENTRIES = Object.entries(PROPERTY_NAMES);

/**
 * MQTT 5 properties (camelCase, as on a Node-RED message or an mqtt.js packet) as an EMQX
 * props map: `User-Property` always present (`{}` when empty), `User-Property-Pairs` when
 * there are user properties, every other known property under its specification name.
 */
export function emqxProps(source: Record<string, unknown> | undefined): Columns {
  const props: Columns = {};
  const userProperty: Record<string, unknown> = {};
  const pairs: Array<{ key: string; value: unknown }> = [];
  if (source) {
    for (const [name, emqxName] of PROPERTY_ENTRIES) {
      const value = source[name];
      if (value === undefined || value === null) continue;
      // Node-RED's mqtt in sets messageExpiryInterval 0 when the PUBLISH had none.
      if (name === 'messageExpiryInterval' && value === 0) continue;
      props[emqxName] = propertyValue(name, value);
    }
    const user = source.userProperties;
    if (user && typeof user === 'object') {
      for (const [key, raw] of Object.entries(user as Record<string, unknown>)) {
        // mqtt.js gives an array for a repeated key; EMQX's map keeps the last, the pairs keep all.
        for (const value of Array.isArray(raw) ? raw : [raw]) {
          const text = typeof value === 'string' ? value : JSON.stringify(value);
          pairs.push({ key, value: text });
          userProperty[key] = text;
        }
      }
    }
  }
  props['User-Property'] = userProperty;
  if (pairs.length > 0) props['User-Property-Pairs'] = pairs;
  return props;
}

function propertyValue(name: string, value: unknown): unknown {
  if (name === 'payloadFormatIndicator' && typeof value === 'boolean') return value ? 1 : 0;
  if (name === 'correlationData') return payloadText(value);
  return value;
}

/** EMQX prints IPv4-mapped IPv6 addresses as plain IPv4. */
export function normaliseHost(address: string | undefined): string | undefined {
  if (!address) return undefined;
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** `ip:port` as EMQX's `ntoa` prints it (no brackets around IPv6); undefined when unknown. */
export function hostPort(address: string | undefined, port: number | undefined): string | undefined {
  const host = normaliseHost(address);
  if (!host || port === undefined || port === null) return undefined;
  return `${host}:${port}`;
}
