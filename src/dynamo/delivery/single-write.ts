// Single-item and transactional calls of the BatchWriter (DESIGN.md 1.3 and 6): a write with a
// condition or an update cannot go into BatchWriteItem. PutItem / UpdateItem / DeleteItem carry
// the condition; a non-idempotent update (ADD, list_append, + / -) goes as TransactWriteItems with
// its ClientRequestToken, which DynamoDB keeps for 10 minutes: a retry after a lost answer then
// returns success without applying the update again. A condition that fails on a retry of an
// idempotent write is checked against the item in place: finding our own earlier attempt there
// (its answer was lost) counts as written, not as a stale message.
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type ConsumedCapacity,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { attributeAt, sameItem, sameValue } from '../item/expression';
import type { AttributeMap, WriteExpression, WriteRequest } from './queue';
import { words } from '../../words';

export type SingleOutcome = 'written' | 'condition';

/**
 * How long after its first attempt a write with a ClientRequestToken may still be retried:
 * DynamoDB honours the token for 10 minutes; half a minute less leaves room for the call itself.
 */
export const CLIENT_TOKEN_WINDOW_MS = 9.5 * 60 * 1000;

/** What a writer learned about its server: dynalite, for one, has no TransactWriteItems. */
export interface ServerSupport {
  transactions: boolean;
}

/** This write needs a call of its own (BatchWriteItem takes puts and deletes without conditions). */
export function needsSingleCall(w: WriteRequest): boolean {
  return w.operation === 'update' || w.expression?.condition !== undefined;
}

interface AwsError {
  name?: string;
  message?: string;
  Item?: AttributeMap;
  CancellationReasons?: { Code?: string; Message?: string; Item?: AttributeMap }[];
}

/**
 * Sends one write alone. Resolves 'condition' when its condition failed (the message is stale),
 * 'written' otherwise; throws what the writer classifies and retries (errors.ts).
 * `onNoTransactions` is called once when the server turns out to lack TransactWriteItems.
 * `options.abortSignal` ends every call it makes (the writer's requestTtl, DESIGN.md 6).
 */
export async function sendSingle(
  client: DynamoDBClient,
  w: WriteRequest,
  attempts: number,
  support: ServerSupport,
  onNoTransactions: () => void,
  options: { abortSignal?: AbortSignal; onConsumed?: (reported: ConsumedCapacity[] | undefined) => void } = {},
): Promise<SingleOutcome> {
  try {
    if (w.expression?.token && support.transactions) {
      try {
        const out = await client.send(transactCommand(w), { abortSignal: options.abortSignal });
        options.onConsumed?.(out.ConsumedCapacity);
        return 'written';
      } catch (err) {
        const e = err as AwsError;
        if (e.name === 'UnknownOperationException') {
          support.transactions = false;
          onNoTransactions();
        } else if (e.name === 'TransactionCanceledException') {
          const reason = e.CancellationReasons?.find((r) => r.Code && r.Code !== 'None');
          // With the token, a retry of a transaction that went through answers success: a
          // failed condition here is a stale message, never our own earlier write.
          if (reason?.Code === 'ConditionalCheckFailed') return 'condition';
          throw cancellationError(reason?.Code, reason?.Message ?? e.message);
        } else {
          throw err;
        }
      }
    }
    const consumed = await sendPlain(client, w, { abortSignal: options.abortSignal });
    options.onConsumed?.(consumed ? [consumed] : undefined);
    return 'written';
  } catch (err) {
    const e = err as AwsError;
    if (e.name !== 'ConditionalCheckFailedException') throw err;
    if (attempts <= 1) return 'condition';
    // DynamoDB (and DynamoDB Local) return the item with ReturnValuesOnConditionCheckFailure;
    // dynalite does not, so read it (consistent) there: only retries that met a failed
    // condition pay for this read.
    const old =
      e.Item ?? (await client.send(new GetItemCommand({ TableName: w.table, Key: w.key, ConsistentRead: true }), options)).Item;
    return appliedInPlace(w, old) ? 'written' : 'condition';
  }
}

/** The item shows this very write: the same item (put), gone (delete), or every expected value (update). */
export function appliedInPlace(w: WriteRequest, old: AttributeMap | undefined): boolean {
  if (w.operation === 'delete') return old === undefined;
  if (!old) return false;
  if (w.operation === 'put') return sameItem(old, w.item);
  const expression = w.expression;
  if (expression?.update === undefined) {
    for (const name in w.item) if (!(name in w.key) && !sameValue(old[name], w.item[name])) return false;
    return true;
  }
  if (!expression.expect || expression.expect.length === 0) return false;
  return expression.expect.every((x) => {
    const found = attributeAt(old, x.path);
    return x.value === undefined ? found === undefined : sameValue(found, expression.values?.[x.value]);
  });
}

const RETURN_OLD = { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } as const;

function expressionParts(x: WriteExpression = {}) {
  return {
    ...(x.condition !== undefined ? { ConditionExpression: x.condition, ...RETURN_OLD } : {}),
    ...(x.names && Object.keys(x.names).length > 0 ? { ExpressionAttributeNames: x.names } : {}),
    ...(x.values && Object.keys(x.values).length > 0 ? { ExpressionAttributeValues: x.values } : {}),
  };
}

/** Sends a plain single-item call; gives the capacity it consumed (ReturnConsumedCapacity TOTAL, for consumed.wcu). */
async function sendPlain(client: DynamoDBClient, w: WriteRequest, options: { abortSignal?: AbortSignal }): Promise<ConsumedCapacity | undefined> {
  const capacity = { ReturnConsumedCapacity: 'TOTAL' } as const;
  if (w.operation === 'put') {
    return (await client.send(new PutItemCommand({ TableName: w.table, Item: w.item, ...expressionParts(w.expression), ...capacity }), options)).ConsumedCapacity;
  }
  if (w.operation === 'delete') {
    return (await client.send(new DeleteItemCommand({ TableName: w.table, Key: w.key, ...expressionParts(w.expression), ...capacity }), options)).ConsumedCapacity;
  }
  return (await client.send(new UpdateItemCommand({ ...updateInput(w), ...capacity }), options)).ConsumedCapacity;
}

function transactCommand(w: WriteRequest): TransactWriteItemsCommand {
  return new TransactWriteItemsCommand({
    ClientRequestToken: w.expression?.token,
    TransactItems: [{ Update: updateInput(w) as never }],
    ReturnConsumedCapacity: 'TOTAL',
  });
}

/** UpdateItem's input: the sink's expression, or SET every non-key attribute given (creating the item if absent). */
function updateInput(w: WriteRequest) {
  const x = w.expression;
  if (x?.update !== undefined) {
    return { TableName: w.table, Key: w.key, UpdateExpression: x.update, ...expressionParts(x) };
  }
  const names: Record<string, string> = { ...x?.names };
  const values: AttributeMap = { ...x?.values };
  const sets: string[] = [];
  for (const [name, value] of Object.entries(w.item)) {
    if (name in w.key) continue;
    const i = sets.length;
    names[`#a${i}`] = name;
    values[`:a${i}`] = value;
    sets.push(`#a${i} = :a${i}`);
  }
  return {
    TableName: w.table,
    Key: w.key,
    ...expressionParts({ ...x, names, values }),
    ...(sets.length > 0 ? { UpdateExpression: `SET ${sets.join(', ')}` } : {}),
  };
}

/** A cancelled transaction's reason as the error the writer knows how to retry (or not). */
function cancellationError(code: string | undefined, message: string | undefined): Error {
  const names: Record<string, string> = {
    TransactionConflict: 'TransactionConflictException',
    ThrottlingError: 'ThrottlingException',
    ProvisionedThroughputExceeded: 'ProvisionedThroughputExceededException',
    RequestLimitExceeded: 'RequestLimitExceeded',
    ValidationError: 'ValidationException',
    ItemCollectionSizeLimitExceeded: 'ItemCollectionSizeLimitExceededException',
  };
  const reason = code ?? words('delivery.transaction.noReason', 'no reason given');
  const err = new Error(
    message
      ? words('delivery.transaction.cancelledBecause', 'TransactWriteItems cancelled (__reason__): __message__', { reason, message })
      : words('delivery.transaction.cancelled', 'TransactWriteItems cancelled (__reason__)', { reason }),
  );
  err.name = names[code ?? ''] ?? 'TransactionCanceledException';
  return err;
}
