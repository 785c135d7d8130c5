// What one message becomes (DESIGN.md 1.3), decided in one place: compiled once from a sink's
// settings (template, table with ${path} placeholders, operation, updateExpression, condition,
// TTL), then applied per message to give the write request the BatchWriter queues: table,
// operation, key, item or update, condition, values, and a ClientRequestToken for updates that
// must not be applied twice.
import { randomUUID } from 'node:crypto';
import { parseJson } from '../../rules/exact-json';
import { JsonDepthError } from '../../json/depth';
import { encodeItem, ItemError, itemSize, keyOf, type EncodeOptions, type ItemMeasure } from './encoding';
import { bindValues, compileExpressions, type CompiledExpressions } from './expression';
import type { WriteExpression, WriteOperation, WriteRequest } from '../delivery/queue';
import { compileTemplate, lookupPath, type CompiledTemplate } from './template';
import { describeType } from './item-words';
import { words } from '../../words';

/** DynamoDB limit: a table name is 3-255 characters of a-z, A-Z, 0-9, `_`, `-` and `.`. */
export const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

export interface WritePlanSettings {
  /** The sink's table, else the connector's; may hold `${path}` placeholders. */
  table: string;
  /** JSON item template with `${path}` placeholders; empty = the row is the item. */
  template: string;
  operation: WriteOperation | 'msg';
  updateExpression: string;
  condition: string;
  /** Attribute for the expiry time in epoch seconds; empty = no TTL. */
  ttlAttribute: string;
  /** Seconds after the row's `timestamp` (or now) that the item expires. */
  ttlSeconds: number;
  encode: EncodeOptions;
}

/**
 * Words for the per-message errors about msg.payload and msg.operation. The sink gives its own
 * (its catalog's `errors` section, worded for the node: "...; expected an object (e.g. a row from
 * rule-sql) ..."); a library caller gets ENGLISH, worded for code (": send an object ..."). The
 * two wordings differ and both are pinned, so these three stay injected rather than words():
 * every other text of this room is words() (item.* keys); `__type__` comes from describeType,
 * which is.
 */
export interface PlanMessages {
  payloadNotJson(): string;
  payloadNotObject(type: string): string;
  operation(operation: string): string;
}

const ENGLISH: PlanMessages = {
  payloadNotJson: () => 'msg.payload is a string but not JSON: send an object (e.g. from rule-sql) or a string holding a JSON object',
  payloadNotObject: (type) => `msg.payload is ${type}, not an object: send an object (e.g. from rule-sql) or a string holding a JSON object`,
  operation: (op) => `msg.operation is ${op}: with operation "msg" set msg.operation to "put", "update" or "delete"`,
};

export interface PlannedWrite {
  request: WriteRequest;
  /** The item's size as DynamoDB counts it (values' size for an expression update). */
  itemBytes: number;
}

type TablePart = string | string[];

export class WritePlan {
  private readonly template?: CompiledTemplate;
  private readonly tableParts: TablePart[];
  private readonly expressions: CompiledExpressions;
  /** ExpressionAttributeNames for an update and for a put/delete: one object each, shared. */
  private readonly updateNames?: Record<string, string>;
  private readonly conditionNames?: Record<string, string>;
  private readonly measure: ItemMeasure = { size: 0 };

  /** Throws TemplateSyntaxError, ExpressionSyntaxError (with positions) or a plain Error for the table. */
  constructor(
    private readonly settings: WritePlanSettings,
    private readonly messages: PlanMessages = ENGLISH,
  ) {
    this.template = settings.template ? compileTemplate(settings.template) : undefined;
    this.tableParts = compileTableName(settings.table);
    this.expressions = compileExpressions(
      { updateExpression: settings.updateExpression, condition: settings.condition, ttlAttribute: settings.ttlAttribute || undefined },
      { hashKey: settings.encode.hashKey, rangeKey: settings.encode.rangeKey || undefined },
    );
    const { update, condition } = this.expressions;
    if (update || condition) this.updateNames = { ...update?.names, ...condition?.names };
    if (condition) this.conditionNames = condition.names;
  }

  /** Updates go as TransactWriteItems (ADD, list_append, + / -): never applied twice, 2x the write units. */
  get nonIdempotentUpdate(): boolean {
    return this.expressions.nonIdempotent;
  }

  /** The row's own memory is counted again when a template built a new object from it. */
  get templated(): boolean {
    return this.template !== undefined;
  }

  /** One message's write; throws an Error worded for the user when this message cannot be written. */
  plan(payload: unknown, msgOperation: unknown, now = Date.now()): PlannedWrite {
    const row = this.rowOf(payload);
    const operation = this.settings.operation === 'msg' ? msgOperation : this.settings.operation;
    if (operation !== 'put' && operation !== 'update' && operation !== 'delete') {
      throw new Error(this.messages.operation(JSON.stringify(operation) ?? 'undefined'));
    }
    const table = this.tableFor(row);
    const { encode, ttlAttribute } = this.settings;
    const item = encodeItem(this.template ? this.template(row) : row, encode, this.measure);
    let itemBytes = this.measure.size;
    const key = keyOf(item, encode.hashKey, encode.rangeKey);
    const { update, condition } = this.expressions;
    const ttl = ttlAttribute && operation !== 'delete' ? expiry(row, this.settings.ttlSeconds, now) : undefined;
    const request: WriteRequest = { table, operation, key, item };
    let expression: WriteExpression | undefined;
    if (operation === 'delete') {
      request.item = key;
    } else if (operation === 'update' && update) {
      // The expression says what changes: the item only gave the key.
      request.item = key;
      expression = { update: update.text, values: bindValues(update, row, encode, {}, ttl), expect: this.expressions.expect };
      if (this.expressions.nonIdempotent) expression.token = randomUUID();
      itemBytes = itemSize(expression.values!);
    } else if (ttl !== undefined) {
      item[ttlAttribute] = { N: String(ttl) };
      itemBytes += ttlAttribute.length + 6;
    }
    if (condition) {
      expression ??= {};
      expression.condition = condition.text;
      expression.values = bindValues(condition, row, encode, expression.values ?? {});
    }
    if (expression) {
      const names = operation === 'update' && update ? this.updateNames : this.conditionNames;
      if (names) expression.names = names;
      request.expression = expression;
    }
    return { request, itemBytes };
  }

  private rowOf(payload: unknown): Record<string, unknown> {
    let value = payload;
    if (typeof value === 'string') {
      try {
        // Integers beyond 2^53 keep every digit (DESIGN.md section 2).
        value = parseJson(value);
      } catch (err) {
        // DESIGN.md section 6: too deep is EMQX's decode_json_failed, found before parsing.
        if (err instanceof JsonDepthError) throw new ItemError('not_object', `decode_json_failed: msg.payload: ${err.message}`);
        throw new Error(this.messages.payloadNotJson());
      }
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value)) {
      throw new Error(this.messages.payloadNotObject(describeType(value)));
    }
    return value as Record<string, unknown>;
  }

  private tableFor(row: Record<string, unknown>): string {
    const parts = this.tableParts;
    if (parts.length === 1 && typeof parts[0] === 'string') return parts[0];
    let name = '';
    for (const part of parts) {
      if (typeof part === 'string') {
        name += part;
        continue;
      }
      const value = lookupPath(row, part);
      // A missing field must not route the row to a table named without it (telemetry_).
      if ((typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'bigint') || value === '') {
        const vars = { table: this.settings.table, placeholder: `\${${part.join('.')}}` };
        throw new ItemError(
          'template',
          value === undefined || value === ''
            ? words('item.table.placeholderMissing', 'the table name "__table__" needs __placeholder__, which this message lacks: give it a text or number there', vars)
            : words('item.table.placeholderType', 'the table name "__table__" needs __placeholder__, which this message holds as __type__: give it a text or number there', {
                ...vars,
                type: value === null ? 'null' : typeof value,
              }),
        );
      }
      name += String(value);
    }
    if (!TABLE_NAME.test(name)) {
      throw new ItemError(
        'template',
        words(
          'item.table.invalidName',
          'table name __name__ from "__table__" is not a valid DynamoDB table name (3-255 characters: letters, digits, _ - .): check the fields the placeholders name in this message',
          { name: JSON.stringify(name.length > 80 ? `${name.slice(0, 77)}...` : name), table: this.settings.table },
        ),
      );
    }
    return name;
  }
}

/**
 * DESIGN.md 1.3: expiry = the row's `timestamp` (ms) / 1000, floored, + ttlSeconds; the current
 * time when the row has no numeric `timestamp`.
 */
export function expiry(row: Record<string, unknown>, ttlSeconds: number, now: number): number {
  const ts = row.timestamp;
  const ms =
    typeof ts === 'number' && Number.isFinite(ts)
      ? ts
      : typeof ts === 'bigint' || (typeof ts === 'string' && /^\d+$/.test(ts))
        ? Number(ts)
        : now;
  return Math.floor(ms / 1000) + ttlSeconds;
}

/** `telemetry_${payload.site}` → ['telemetry_', ['payload', 'site']]; a fixed name must be valid at once. */
function compileTableName(text: string): TablePart[] {
  const parts: TablePart[] = [];
  let rest = text;
  for (let at = rest.indexOf('${'); at >= 0; at = rest.indexOf('${')) {
    const end = rest.indexOf('}', at);
    const inner = end < 0 ? '' : rest.slice(at + 2, end).trim();
    if (end < 0 || inner === '' || inner.split('.').some((s) => s === '' || /[\s"'{$\\]/.test(s))) {
      const column = text.length - rest.length + at + 1;
      throw new Error(words('item.table.badPlaceholder', 'table "__table__": bad placeholder at column __column__; write e.g. telemetry_${payload.site}', { table: text, column }));
    }
    if (at > 0) parts.push(rest.slice(0, at));
    parts.push(inner.split('.'));
    rest = rest.slice(end + 1);
  }
  if (rest) parts.push(rest);
  if (parts.length === 1 && typeof parts[0] === 'string' && !TABLE_NAME.test(parts[0])) {
    throw new Error(words('item.table.invalidFixed', 'table "__table__" is not a valid DynamoDB table name: 3-255 characters of letters, digits, _ - and .', { table: text }));
  }
  if (parts.length === 0) throw new Error(words('item.table.none', "no table: set the sink's table or the connector's default table"));
  return parts;
}
