// What a deploy of a dynamodb-sink resolves before it takes a message (DESIGN.md 1.3): its
// settings, its connector, the table, the compiled write plan and the buffer its writes wait in.
// Any of them wrong gives a refusal (refused.ts) that says why, not a node that fails later.
import * as path from 'node:path';
import type { NodeAPI } from 'node-red';
import type { DynamoConnection } from '../../dynamo/connection/connection';
import { DiskStore, MemoryStore, type WriteStore } from '../../dynamo/delivery/disk-buffer';
import type { CreateTableSettings } from '../../dynamo/delivery/table-creation';
import type { ItemEncoding } from '../../dynamo/item/encoding';
import { WritePlan } from '../../dynamo/item/write-plan';
import { bufferRoot } from './backlog';
import { faultyField } from './check';
import { readSinkConfig, type SinkConfig, type SinkNodeDef } from './config';
import type { SinkNode } from './running';
import type { SinkText } from './text';

export interface PreparedSink {
  config: SinkConfig;
  connection: DynamoConnection;
  table: string;
  plan: WritePlan;
  store: WriteStore;
  /** createTable (DESIGN.md 1.3): the shape of the tables the sink makes; absent when it makes none. */
  createTable?: CreateTableSettings;
  /** Disk mode: `<userDir>/dynamodb-sink-buffer/<id>`. */
  bufferDir?: string;
  /** Reports a disk error outside a message's own append (the disk buffer's onError). */
  onDiskError: (err: Error, suppressed: number) => void;
}

/** Why the sink cannot work: its short status text, and the error every message fails with (in full). */
export interface SinkRefusal {
  status: string;
  why: string;
}

export function prepareSink(RED: NodeAPI, node: SinkNode, def: SinkNodeDef, text: SinkText): PreparedSink | SinkRefusal {
  let config: SinkConfig;
  try {
    config = readSinkConfig(def);
  } catch (err) {
    return { status: invalidStatus(text, err), why: (err as Error).message };
  }
  const connection = RED.nodes.getNode(def.connector) as unknown as DynamoConnection | null;
  if (!connection || typeof connection.register !== 'function') {
    return { status: text('status.noConnector'), why: text('errors.noConnector') };
  }
  const table = config.table || connection.settings.table;
  if (!table) {
    return { status: text('status.noTable'), why: text('errors.noTable') };
  }
  // What each message becomes (table, operation, key, item or update, condition, TTL), compiled
  // once: a template or expression that does not parse stops the deploy here, with its position.
  let plan: WritePlan;
  try {
    plan = new WritePlan(
      {
        ...config,
        table,
        encode: {
          encoding: config.encoding as ItemEncoding,
          undefinedVarsAsNull: config.undefinedVarsAsNull,
          hashKey: config.hashKey,
          rangeKey: config.rangeKey,
        },
      },
      {
        payloadNotJson: () => text('errors.payloadNotJson'),
        payloadNotObject: (type) => text('errors.payloadNotObject', { type }),
        operation: (operation) => text('errors.operation', { operation }),
      },
    );
  } catch (err) {
    return { status: invalidStatus(text, err), why: (err as Error).message };
  }

  // Tables made on demand get the sink's keys (their types from each table's first item) and
  // its TTL attribute.
  const createTable: CreateTableSettings | undefined = config.createTable
    ? { hashKey: config.hashKey, ...(config.rangeKey ? { rangeKey: config.rangeKey } : {}), ...(config.ttlAttribute ? { ttlAttribute: config.ttlAttribute } : {}) }
    : undefined;

  // Disk errors outside a message's own append (settling, deleting, reading): the records stay
  // on disk for replay; the log says why, at most once per kind every 10 s.
  const onDiskError = (err: Error, suppressed: number) =>
    node.warn(suppressed > 0 ? text('log.diskErrorRepeated', { error: err.message, count: suppressed }) : err.message);
  if (config.bufferMode !== 'disk') return { config, connection, table, plan, store: new MemoryStore(), createTable, onDiskError };
  const bufferDir = path.join(bufferRoot(RED), node.id);
  try {
    return { config, connection, table, plan, store: new DiskStore(bufferDir, { onError: onDiskError }), createTable, bufferDir, onDiskError };
  } catch (err) {
    return { status: text('status.bufferDir'), why: text('errors.bufferDir', { dir: bufferDir, error: (err as Error).message }) };
  }
}

/** The short status of a setting that stops the deploy: `invalid batchSize`, `invalid template`. */
function invalidStatus(text: SinkText, err: unknown): string {
  const field = faultyField(err);
  return field ? text('status.invalid', { field }) : text('status.invalidSettings');
}

export function isRefusal(prepared: PreparedSink | SinkRefusal): prepared is SinkRefusal {
  return 'why' in prepared;
}
