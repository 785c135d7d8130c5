// What the seed's `aws dynamodb scan` shows (EMQX's DynamoDB walkthrough, seed/000_3da2cbed358ac2d2.txt),
// reduced to what our items must share with it: each item's attribute names and DynamoDB types.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

type Item = Record<string, AttributeValue>;

const seedScan = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/seed-scan.json'), 'utf8')) as {
  Items: Record<string, Record<string, string>>[];
};

/** `{ name: type }` of one item, e.g. `{ qos: 'N', topic: 'S' }`. */
export function attributeTypes(item: Item | Record<string, Record<string, unknown>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(item)
      .map(([name, value]): [string, string] => [name, Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined)[0]])
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

function seedItem(event: string): Record<string, Record<string, string>> {
  const item = seedScan.Items.find((i) => i.event.S === event);
  if (!item) throw new Error(`seed scan has no ${event} item`);
  return item;
}

export const SEED_TYPES = {
  message: attributeTypes(seedItem('message.publish')),
  connected: attributeTypes(seedItem('client.connected')),
  disconnected: attributeTypes(seedItem('client.disconnected')),
};

export const SEED_PAYLOAD = '{ "msg": "hello DynamoDB" }';

/** The item of the given `event`; fails naming the events that are there instead. */
export function itemOf(items: Item[], event: string): Item {
  const found = items.filter((item) => item.event?.S === event);
  assert.equal(found.length, 1, `one ${event} item expected, events present: ${items.map((i) => i.event?.S).join(', ')}`);
  return found[0];
}

/** Same attribute names, each with the seed's DynamoDB type. */
export function assertSeedShape(item: Item, expected: Record<string, string>, what: string): void {
  assert.deepEqual(attributeTypes(item), expected, `${what}: attribute names and types differ from the seed's scan`);
}

export function text(item: Item, name: string): string {
  const value = item[name];
  assert.ok(value?.S !== undefined, `attribute ${name} should be a string, got ${JSON.stringify(value)}`);
  return value.S;
}

export function numberOf(item: Item, name: string): number {
  const value = item[name];
  assert.ok(value?.N !== undefined, `attribute ${name} should be a number, got ${JSON.stringify(value)}`);
  return Number(value.N);
}

/** Polls `read` until it returns at least `count` items, then waits `settleMs` more and reads again. */
export async function waitForItems(read: () => Promise<Item[]>, count: number, timeoutMs = 15000, settleMs = 500): Promise<Item[]> {
  const deadline = Date.now() + timeoutMs;
  let items = await read();
  while (items.length < count && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    items = await read();
  }
  await new Promise((r) => setTimeout(r, settleMs));
  return read();
}
