// The editor's SQL test and validation (DESIGN.md section 5), as EMQX's rule_test API
// (reference section 6): parse, fill the context with the event's example columns, match
// FROM, run, and answer 200 / 412 / 400 with a JSON body. Independent of Node-RED's HTTP layer.

import { compileRule, RuleSyntaxError, RuleEvaluationError } from '../index';
import { EVENT_TYPES, eventNameOf, exampleColumns, payloadText } from '../events';

export interface ApiAnswer {
  status: number;
  body: unknown;
}

const RULE_ID = 'rule_sql_test';

/** POST /rule-sql/test: `{ sql, context }` → the rows, NOT_MATCH, or BAD_REQUEST. */
export function runRuleTest(request: unknown): ApiAnswer {
  const { sql, context } = (request && typeof request === 'object' ? request : {}) as { sql?: unknown; context?: unknown };
  if (typeof sql !== 'string') return badRequest('Bad Arguments: sql must be a string');
  const ctx = (context && typeof context === 'object' && !Array.isArray(context) ? context : {}) as Record<string, unknown>;
  const eventType = typeof ctx.event_type === 'string' ? ctx.event_type : undefined;
  if (!eventType || !eventNameOf(eventType)) {
    return badRequest(`unknown event type${eventType ? ` "${eventType}"` : ''}; context.event_type must be one of ${EVENT_TYPES.join(', ')}`);
  }
  let rule;
  try {
    rule = compileRule(sql, { id: RULE_ID });
  } catch (err) {
    return syntaxAnswer(err);
  }
  const columns = exampleColumns(eventType);
  for (const [name, value] of Object.entries(ctx)) {
    if (name === 'event_type') continue;
    // The dashboard's payload is text; an object typed into the JSON context means its JSON.
    columns[name] = name === 'payload' ? payloadText(value) : value;
  }
  let rows;
  try {
    rows = rule.evaluate(columns);
  } catch (err) {
    if (err instanceof RuleEvaluationError) {
      return {
        status: 400,
        body: { code: 'BAD_REQUEST', message: JSON.stringify({ [err.errorClass]: err.code }), reason: err.message },
      };
    }
    throw err;
  }
  if (rows === null) return { status: 412, body: { code: 'NOT_MATCH', message: 'SQL Not Match' } };
  return { status: 200, body: toTestJson(rule.kind === 'foreach' ? rows : rows[0]) };
}

/** POST /rule-sql/validate: `{ sql }` → `{ ok, sources }` or BAD_REQUEST with line and column. */
export function validateRule(request: unknown): ApiAnswer {
  const { sql } = (request && typeof request === 'object' ? request : {}) as { sql?: unknown };
  if (typeof sql !== 'string') return badRequest('Bad Arguments: sql must be a string');
  try {
    const rule = compileRule(sql, { id: RULE_ID });
    return { status: 200, body: { ok: true, sources: rule.sources } };
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
