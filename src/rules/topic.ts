// What triggers a rule (reference sections 3.1 and 4): MQTT topic filter matching with the
// `$` rule, the event topic table (new and legacy names), and the trigger topic of a set of
// columns.

/** Event name → its FROM topic (new spelling). */
const EVENT_TOPICS: Readonly<Record<string, string>> = {
  'message.delivered': '$events/message/delivered',
  'message.acked': '$events/message/acked',
  'message.dropped': '$events/message/dropped',
  'delivery.dropped': '$events/message/delivery_dropped',
  'client.connected': '$events/client/connected',
  'client.disconnected': '$events/client/disconnected',
  'client.connack': '$events/client/connack',
  'client.ping': '$events/client/ping',
  'client.check_authz_complete': '$events/auth/check_authz_complete',
  'client.check_authn_complete': '$events/auth/check_authn_complete',
  'session.subscribed': '$events/session/subscribed',
  'session.unsubscribed': '$events/session/unsubscribed',
  'schema.validation_failed': '$events/schema_validation/failed',
  'message.transformation_failed': '$events/message_transformation/failed',
  'alarm.activated': '$events/sys/alarm_activated',
  'alarm.deactivated': '$events/sys/alarm_deactivated',
};

/** Legacy FROM spelling → new spelling. */
const LEGACY_TOPICS: Readonly<Record<string, string>> = {
  '$events/message_delivered': '$events/message/delivered',
  '$events/message_acked': '$events/message/acked',
  '$events/message_dropped': '$events/message/dropped',
  '$events/delivery_dropped': '$events/message/delivery_dropped',
  '$events/client_connected': '$events/client/connected',
  '$events/client_disconnected': '$events/client/disconnected',
  '$events/client_connack': '$events/client/connack',
  '$events/client_check_authz_complete': '$events/auth/check_authz_complete',
  '$events/client_check_authn_complete': '$events/auth/check_authn_complete',
  '$events/session_subscribed': '$events/session/subscribed',
  '$events/session_unsubscribed': '$events/session/unsubscribed',
  '$events/schema_validation_failed': '$events/schema_validation/failed',
  '$events/message_transformation_failed': '$events/message_transformation/failed',
};

const TOPIC_EVENTS: ReadonlyMap<string, string> = new Map(
  Object.entries(EVENT_TOPICS).map(([event, topic]) => [topic, event]),
);

export const PUBLISH_EVENT = 'message.publish';

/** Every event that has an event topic, in the reference's order. */
export const EVENT_NAMES: readonly string[] = Object.keys(EVENT_TOPICS);

function isDataSourceName(s: string): boolean {
  return s.startsWith('$bridges/') || s.startsWith('$sources/');
}

/**
 * The FROM topic of an event (`client.connected` → `$events/client/connected`). A data source
 * event (`$bridges/mqtt:in`) is its own topic. `message.publish` has none: use the MQTT topic.
 */
export function eventTopicOf(event: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(EVENT_TOPICS, event)) return EVENT_TOPICS[event];
  return isDataSourceName(event) ? event : undefined;
}

/** The event an event topic stands for, in either spelling (`$events/client_connected`). */
export function eventOfTopic(topic: string): string | undefined {
  return TOPIC_EVENTS.get(normalizeSource(topic));
}

/** A FROM topic with a legacy event name replaced by the new one. */
export function normalizeSource(source: string): string {
  return Object.prototype.hasOwnProperty.call(LEGACY_TOPICS, source) ? LEGACY_TOPICS[source] : source;
}

export type SourceKind = 'topic' | 'event' | 'data_source';

export function sourceKind(source: string): SourceKind {
  if (source === '$events' || source.startsWith('$events/')) return 'event';
  return isDataSourceName(source) ? 'data_source' : 'topic';
}

/** MQTT filter matching: `+` is one level (possibly empty), `#` the rest including the parent. */
export function matchTopic(filter: string, topic: string): boolean {
  return compileTopicFilter(filter)(topic);
}

/**
 * A matcher for one filter, prepared once. A topic starting with `$` is never matched by a
 * filter whose first level is a wildcard (MQTT 3.1.1, section 4.7.2).
 */
export function compileTopicFilter(filter: string): (topic: string) => boolean {
  const levels = filter.split('/');
  const hasPlus = levels.includes('+');
  const hashAt = levels.indexOf('#');
  const wildFirst = levels[0] === '#' || levels[0] === '+';
  if (!hasPlus && hashAt === -1) return (topic) => topic === filter;
  if (!hasPlus && hashAt === levels.length - 1) {
    if (levels.length === 1) return (topic) => topic.charCodeAt(0) !== 36; // not '$'
    const parent = levels.slice(0, -1).join('/');
    const prefix = `${parent}/`;
    return (topic) => topic === parent || topic.startsWith(prefix);
  }
  return (topic) => {
    if (wildFirst && topic.charCodeAt(0) === 36) return false;
    const words = topic.split('/');
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i];
      if (level === '#') return i === levels.length - 1;
      if (i >= words.length) return false;
      if (level !== '+' && level !== words[i]) return false;
    }
    return words.length === levels.length;
  };
}

/** The events a FROM topic can fire for (`$events/#` → every event; `t/#` → message.publish). */
export function sourceEvents(source: string): string[] {
  const normalized = normalizeSource(source);
  switch (sourceKind(normalized)) {
    case 'topic': return [PUBLISH_EVENT];
    case 'data_source': return [normalized];
    default: {
      const match = compileTopicFilter(normalized);
      return EVENT_NAMES.filter((event) => match(EVENT_TOPICS[event]));
    }
  }
}

/**
 * The topic a rule's FROM is matched against (reference section 3.1): an explicit
 * `event_topic` (data sources), else the event's topic, else the publish's MQTT topic.
 * Undefined when nothing can be matched (an unknown event, a publish without a topic).
 */
export function triggerTopicOf(columns: Record<string, unknown>): { kind: SourceKind; topic: string } | undefined {
  const explicit = columns.event_topic;
  if (typeof explicit === 'string') return { kind: 'data_source', topic: explicit };
  const event = columns.event;
  if (event === undefined || event === PUBLISH_EVENT) {
    const topic = columns.topic;
    return typeof topic === 'string' ? { kind: 'topic', topic } : undefined;
  }
  if (typeof event !== 'string') return undefined;
  const topic = eventTopicOf(event);
  if (topic === undefined) return undefined;
  return { kind: isDataSourceName(topic) ? 'data_source' : 'event', topic };
}
