// The BatchWriteItem side of the BatchWriter (DESIGN.md 6): one call's RequestItems, which may
// hold several tables, and which of its writes DynamoDB sent back as UnprocessedItems.
import type { WriteRequest as DynamoWriteRequest } from '@aws-sdk/client-dynamodb';
import { keyIdentity, type AttributeMap, type QueuedWrite, type WriteRequest } from './queue';

export function batchItems(requests: WriteRequest[]): Record<string, DynamoWriteRequest[]> {
  const items: Record<string, DynamoWriteRequest[]> = {};
  for (const r of requests) {
    const write: DynamoWriteRequest =
      r.operation === 'delete' ? { DeleteRequest: { Key: r.key } } : { PutRequest: { Item: r.item } };
    (items[r.table] ??= []).push(write);
  }
  return items;
}

/** keyIds of the writes DynamoDB sent back unprocessed (matched on the key attributes). */
export function unprocessedKeys(
  unprocessed: Record<string, DynamoWriteRequest[]> | undefined,
  call: QueuedWrite[],
  requests: WriteRequest[],
): Set<string> {
  const found = new Set<string>();
  if (!unprocessed) return found;
  const keyNames = new Map<string, string[]>();
  for (const r of requests) keyNames.set(r.table, Object.keys(r.key));
  for (const [table, writes] of Object.entries(unprocessed)) {
    const names = keyNames.get(table) ?? [];
    for (const write of writes) {
      const source = write.PutRequest?.Item ?? write.DeleteRequest?.Key ?? {};
      const key: AttributeMap = {};
      for (const n of names) if (source[n] !== undefined) key[n] = source[n];
      found.add(keyIdentity(table, key));
    }
  }
  // A key that matches no write of this call would be a protocol surprise; ignore it.
  const ours = new Set(call.map((w) => w.keyId));
  for (const id of found) if (!ours.has(id)) found.delete(id);
  return found;
}
