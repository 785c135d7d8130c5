// What the three broker formats share (DESIGN.md section 3.1): the result shape, the error a
// payload that is not the broker's format raises, and the field rules (timestamps in ms, the text
// `undefined`, JSON objects only).

import type { Columns } from '../columns';
import { words } from '../../words';

/** The brokers whose lifecycle messages become events. */
export type BrokerName = 'emqx' | 'aws-iot' | 'mosquitto';

/** The brokers' names as users know them, for log lines and answers. */
export const BROKER_LABELS: Readonly<Record<BrokerName, string>> = { emqx: 'EMQX', 'aws-iot': 'AWS IoT', mosquitto: 'Mosquitto' };

/**
 * What one `mqtt in` message on a broker's lifecycle topic stands for: the `events` it reports
 * (zero for a Mosquitto log line that is not about a client), or `error` when the payload is not
 * that broker's format (then `events` is empty: never a half-filled event).
 */
export interface BrokerEvents {
  broker: BrokerName;
  events: Columns[];
  error?: string;
}

/** A payload on a lifecycle topic that is not the broker's format; the message is a publish only. */
export class BrokerPayloadError extends Error {}

/** The payload as one JSON object, or BrokerPayloadError. */
export function jsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BrokerPayloadError(words('events.payload.notJson', 'payload is not JSON: __reason__', { reason: (err as Error).message }));
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new BrokerPayloadError(words('events.payload.notObject', 'payload is not a JSON object'));
  return value as Record<string, unknown>;
}

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'array';

/**
 * Checks the types of the fields a payload holds (absent fields pass; `required` ones must be
 * there), so that a payload with a field of the wrong type is refused as a whole.
 */
export function checkFields(payload: Record<string, unknown>, kinds: Readonly<Record<string, Kind | readonly Kind[]>>, required: string[]): void {
  for (const name of required) {
    if (payload[name] === undefined || payload[name] === null) throw new BrokerPayloadError(words('events.payload.missingField', 'payload has no "__field__"', { field: name }));
  }
  for (const [name, kind] of Object.entries(kinds)) {
    const value = payload[name];
    if (value === undefined || value === null) continue;
    const actual: Kind = Array.isArray(value) ? 'array' : (typeof value as Kind);
    const allowed: readonly Kind[] = typeof kind === 'string' ? [kind] : kind;
    if (!allowed.includes(actual)) {
      throw new BrokerPayloadError(words('events.payload.fieldType', '"__field__" is __actual__, expected __expected__', { field: name, actual, expected: allowed.join(words('events.payload.or', ' or ')) }));
    }
  }
}

/**
 * A broker's epoch time as ms. EMQX 4.0 and 4.1 sent connected_at / disconnected_at in seconds
 * (emqx_channel: erlang:system_time(second)); a value below 10^11 (the year 5138 in seconds,
 * 1973 in ms) is seconds.
 */
export function epochMs(value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  return value < 1e11 ? value * 1000 : value;
}

/**
 * A text field, undefined when absent, null or the text `undefined` (EMQX's JSON encoder writes
 * the Erlang atom `undefined`, e.g. a client without a username, as that text).
 */
export function text(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === 'undefined') return undefined;
  return value;
}

/** An MQTT 5 props map as EMQX prints them: `User-Property` always present. */
export function props(value: unknown): Columns | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const map = value as Columns;
  return 'User-Property' in map ? map : { ...map, 'User-Property': {} };
}
