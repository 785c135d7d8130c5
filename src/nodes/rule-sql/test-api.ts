// The editor's SQL test and validation (DESIGN.md section 5), as EMQX's rule_test API
// (reference section 6): parse, fill the context with the event's example columns, match
// FROM, run, and answer 200 / 412 / 400 with a JSON body. Independent of Node-RED's HTTP layer.

import { compileRule, RuleSyntaxError, RuleEvaluationError } from '../../index';
import type { Row, Rule, RuleStream } from '../../index';
import { JsonDepthError, jsonValueTooDeep } from '../../json/depth';
import { BROKER_LABELS, EVENT_TYPES, brokerEventsFrom, eventNameOf, exampleColumns, payloadText } from '../../events';
import { englishText, type RuleSqlText } from './text';

export interface ApiAnswer {
  status: number;
  body: unknown;
}

const RULE_ID = 'rule_sql_test';

/**
 * POST /rule-sql/test: `{ sql, context }` → the rows, NOT_MATCH, or BAD_REQUEST. A
 * `message_publish` context whose topic and payload are a broker's lifecycle message (EMQX
 * `$SYS/brokers/...`, AWS IoT `$aws/events/...`, Mosquitto `$SYS/broker/log/...`) is also
 * tested as the events it reports; NOT_MATCH then says why when the payload did not parse.
 */
export function runRuleTest(request: unknown, text: RuleSqlText = englishText): ApiAnswer {
  const { sql, context } = (request && typeof request === 'object' ? request : {}) as { sql?: unknown; context?: unknown };
  if (typeof sql !== 'string') return badRequest(text('api.sql-not-string'));
  if (jsonValueTooDeep(request)) return badRequest(text('api.too-deep', { reason: new JsonDepthError().message }));
  const ctx = (context && typeof context === 'object' && !Array.isArray(context) ? context : {}) as Record<string, unknown>;
  const eventType = typeof ctx.event_type === 'string' ? ctx.event_type : undefined;
  if (!eventType || !eventNameOf(eventType)) {
    const eventTypes = EVENT_TYPES.join(', ');
    return badRequest(eventType ? text('api.unknown-event-type', { eventType, eventTypes }) : text('api.no-event-type', { eventTypes }));
  }
  let rule;
  try {
    rule = compileRule(sql, { id: RULE_ID });
  } catch (err) {
    return syntaxAnswer(err);
  }
  const columnsOf = (overrides: Record<string, unknown>[]): Record<string, unknown> => {
    const columns = exampleColumns(eventType);
    for (const layer of overrides) {
      for (const [name, value] of Object.entries(layer)) {
        if (name === 'event_type') continue;
        // The dashboard's payload is text; an object typed into the JSON context means its JSON.
        columns[name] = name === 'payload' ? payloadText(value) : value;
      }
    }
    return columns;
  };
  if (rule.stateful) return runStreamTest(rule, request as Record<string, unknown>, ctx, columnsOf, text);
  const columns = columnsOf([ctx]);
  // A publish on an external broker's lifecycle topic (DESIGN.md 3.1) is also the events it
  // reports: the first of them (the publish first) that the rule matches answers, as at runtime.
  const reported = columns.event === 'message.publish' ? brokerEventsFrom(columns.topic, columns.payload, Date.now()) : undefined;
  const candidates = [columns, ...(reported?.events ?? [])];
  let rows: Row[] | null = null;
  try {
    for (const candidate of candidates) {
      rows = rule.evaluate(candidate);
      if (rows !== null) break;
    }
  } catch (err) {
    if (err instanceof RuleEvaluationError) {
      return {
        status: 400,
        body: { code: 'BAD_REQUEST', message: JSON.stringify({ [err.errorClass]: err.code }), reason: err.message },
      };
    }
    throw err;
  }
  if (rows === null) {
    if (reported?.error !== undefined) {
      const reason = text('api.not-lifecycle-payload', { broker: BROKER_LABELS[reported.broker], error: reported.error });
      return { status: 412, body: { code: 'NOT_MATCH', message: 'SQL Not Match', reason } };
    }
    return { status: 412, body: { code: 'NOT_MATCH', message: 'SQL Not Match' } };
  }
  return { status: 200, body: toTestJson(rule.kind === 'foreach' ? rows : rows[0]) };
}

/**
 * A stateful statement (DESIGN.md section 7): `events` (each a context of its own over `context`)
 * run through a fresh stream in order, each arriving at its `timestamp` column (processing time)
 * unless `eventTime` says otherwise; then every window still open is closed. 200 `{ windows:
 * [{ window?, row }], late }`, 412 when nothing came out, 400 for an error with the event's index.
 */
function runStreamTest(
  rule: Rule, request: Record<string, unknown>, ctx: Record<string, unknown>,
  columnsOf: (layers: Record<string, unknown>[]) => Record<string, unknown>, text: RuleSqlText,
): ApiAnswer {
  const events = request.events;
  const isEvent = (e: unknown) => e !== null && typeof e === 'object' && !Array.isArray(e);
  if (events !== undefined && !(Array.isArray(events) && events.every(isEvent))) {
    return badRequest(text('api.bad-events'));
  }
  const list = events === undefined ? [{}] : events as unknown[];
  if (list.length > 1000) return badRequest(text('api.too-many-events', { max: 1000 }));
  let stream: RuleStream;
  try {
    const num = (v: unknown): number | undefined => (v === undefined || v === '' || v === null ? undefined : Number(v));
    stream = rule.stream({
      eventTime: typeof request.eventTime === 'string' ? request.eventTime : undefined,
      lateness: num(request.lateness), maxGroups: num(request.maxGroups),
      watermark: request.watermark === 'group' ? 'group' : undefined,
    });
  } catch (err) {
    if (err instanceof RuleSyntaxError) {
      const message = text('api.event-time', { message: err.message });
      return { status: 400, body: { code: 'BAD_REQUEST', message, reason: err.reason, line: err.line, column: err.column, field: 'eventTime' } };
    }
    return badRequest(err instanceof Error ? err.message : String(err));
  }
  const out: Row[] = [];
  let clock = -Infinity;
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    const layer = item && typeof item === 'object' && !Array.isArray(item) ? item as Record<string, unknown> : {};
    const columns = columnsOf([ctx, layer]);
    const stamp = typeof columns.timestamp === 'number' ? columns.timestamp : Date.now();
    clock = Math.max(clock, stamp);
    try {
      const deadline = stream.nextDeadline();
      if (deadline !== undefined && deadline <= clock) out.push(...stream.advance(clock));
      out.push(...stream.push(columns, clock));
    } catch (err) {
      if (err instanceof RuleEvaluationError) {
        return {
          status: 400,
          body: { code: 'BAD_REQUEST', message: JSON.stringify({ [err.errorClass]: err.code }), reason: text('api.event-failed', { n: i + 1, reason: err.message }), event: i },
        };
      }
      throw err;
    }
  }
  out.push(...stream.flush());
  const [failure] = stream.takeErrors();
  if (failure !== undefined) {
    return { status: 400, body: { code: 'BAD_REQUEST', message: JSON.stringify({ [failure.errorClass]: failure.code }), reason: failure.message } };
  }
  if (out.length === 0) return { status: 412, body: { code: 'NOT_MATCH', message: 'SQL Not Match' } };
  return {
    status: 200,
    body: {
      windows: out.map((row) => {
        const window = stream.origin(row)?.window;
        return window ? { window, row: toTestJson(row) } : { row: toTestJson(row) };
      }),
      late: stream.stats.late,
    },
  };
}

/** POST /rule-sql/validate: `{ sql }` → `{ ok, sources }` or BAD_REQUEST with line and column. */
export function validateRule(request: unknown, text: RuleSqlText = englishText): ApiAnswer {
  const { sql } = (request && typeof request === 'object' ? request : {}) as { sql?: unknown };
  if (typeof sql !== 'string') return badRequest(text('api.sql-not-string'));
  try {
    const rule = compileRule(sql, { id: RULE_ID });
    return { status: 200, body: { ok: true, sources: rule.sources, stateful: rule.stateful } };
  } catch (err) {
    return syntaxAnswer(err);
  }
}

function syntaxAnswer(err: unknown): ApiAnswer {
  if (err instanceof RuleSyntaxError) {
    return { status: 400, body: { code: 'BAD_REQUEST', message: err.message, reason: err.reason, line: err.line, column: err.column } };
  }
  return badRequest(err instanceof Error ? err.message : String(err));
}

function badRequest(message: string): ApiAnswer {
  return { status: 400, body: { code: 'BAD_REQUEST', message } };
}


/**
 * The body as EMQX's jsx encodes it: undefined becomes the string "undefined" (keys kept),
 * bytes that are not UTF-8 become their Latin-1 text.
 */
export function toTestJson(value: unknown): unknown {
  if (value === undefined) return 'undefined';
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  if (Array.isArray(value)) return value.map(toTestJson);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toTestJson(v);
    return out;
  }
  return value;
}
