// POST /dynamodb-sink/check (admin API, dynamodb-sink.write): the editor's check of a sink's
// write settings before deploy. Builds the same write plan the node builds, so an expression,
// template or table that would stop the deploy is shown in the dialog with its field and
// position; a valid one is answered with the DynamoDB call each message will take.
import type { NodeAPI } from 'node-red';
import { ExpressionRuleError, ExpressionSyntaxError } from '../../dynamo/item/expression';
import { TemplateSyntaxError } from '../../dynamo/item/template';
import { WritePlan } from '../../dynamo/item/write-plan';
import { readSinkConfig, SinkConfigError, type SinkNodeDef } from './config';

export interface SinkCheckAnswer {
  ok: boolean;
  /** The property at fault: updateExpression, condition, template, table, ttlAttribute, ... */
  field?: string;
  message?: string;
  /** 1-based, where the text has a position. */
  line?: number;
  column?: number;
  /** The call one message of each operation takes, when valid (for the write-unit note). */
  calls?: { put: string; update: string; delete: string };
}

/** Checks a dialog's settings (the saved-flow property names); never throws. */
export function checkSinkSettings(body: Record<string, unknown>): SinkCheckAnswer {
  const def = { id: 'check', type: 'dynamodb-sink', name: '', z: '', connector: '', ...body } as unknown as SinkNodeDef;
  try {
    const config = readSinkConfig(def);
    const plan = new WritePlan({
      ...config,
      // The connector's table is not known here: a fixed stand-in keeps the rest checkable.
      table: config.table || 'connector_table',
      encode: { encoding: config.encoding, undefinedVarsAsNull: config.undefinedVarsAsNull, hashKey: config.hashKey, rangeKey: config.rangeKey },
    });
    const conditional = Boolean(config.condition);
    return {
      ok: true,
      calls: {
        put: conditional ? 'PutItem' : 'BatchWriteItem',
        update: plan.nonIdempotentUpdate ? 'TransactWriteItems' : 'UpdateItem',
        delete: conditional ? 'DeleteItem' : 'BatchWriteItem',
      },
    };
  } catch (err) {
    if (err instanceof ExpressionSyntaxError) {
      return { ok: false, field: err.field, message: err.message, line: err.line, column: err.column };
    }
    if (err instanceof TemplateSyntaxError) {
      return { ok: false, field: 'template', message: err.message, line: err.line, column: err.column };
    }
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, field: faultyField(err), message };
  }
}

/** The setting a deploy-time error of the write plan or the settings concerns ('' when unknown). */
export function faultyField(err: unknown): string {
  if (err instanceof ExpressionSyntaxError) return err.field;
  if (err instanceof TemplateSyntaxError) return 'template';
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ExpressionRuleError) return /^ttlAttribute/.test(message) ? 'ttlAttribute' : 'updateExpression';
  if (err instanceof SinkConfigError) return err.field;
  return /^table/.test(message) ? 'table' : '';
}

export function registerSinkCheck(RED: NodeAPI): void {
  RED.httpAdmin.post('/dynamodb-sink/check', RED.auth.needsPermission('dynamodb-sink.write'), (req, res) => {
    const body = req.body !== null && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
    const answer = checkSinkSettings(body);
    res.status(answer.ok ? 200 : 400).json(answer);
  });
}
