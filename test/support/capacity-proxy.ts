// A provisioned table's write capacity in front of a real DynamoDB server (dynalite or DynamoDB
// Local, 127.0.0.1 only): an HTTP proxy that throttles writes the way DynamoDB does for a table
// provisioned at `writeUnits` per second, and counts what it granted. Neither local server
// throttles at all, so without this a test cannot see whether a sink stays inside capacity.
//
// DynamoDB's rules it follows (Developer Guide, "Read/write capacity mode" and BatchWriteItem):
// - a write costs 1 WCU per started KB of the item (1 KB = 1024 bytes; attribute names count);
//   a transactional write costs twice that;
// - the table has `writeUnits` per second, refilled continuously; like DynamoDB's burst
//   capacity, up to `burstSeconds` of unused units are kept (1 s by default: strict);
// - BatchWriteItem: as many items, in order, as the units allow are written; the rest come back
//   as UnprocessedItems; when none can be written the call fails with
//   ProvisionedThroughputExceededException (HTTP 400);
// - PutItem/UpdateItem/DeleteItem/TransactWriteItems: all or nothing (the exception);
// - ReturnConsumedCapacity TOTAL is answered with the units this proxy charged, so a sink's
//   `consumed.wcu` can be compared with `granted`.
// - With `reasons`, the exception carries DynamoDB's ThrottlingReasons (API Reference,
//   ThrottlingReason: a list of { reason, resource }, resource the table's ARN), as the SDK
//   reads them from the JSON body of the HTTP 400: the table's budget is
//   `TableWriteProvisionedThroughputExceeded`. Without it, no reason (older endpoints).
// - `hotKey`: one partition key value has a limit of its own, as each DynamoDB partition has
//   (1,000 WCU/s; here `hotKey.writeUnits`, 1 s of burst), answered with the reason
//   `TableWriteKeyRangeThroughputExceeded` whether or not the table has capacity to spare.
//   By default (`mixedBatches: 'refuse'`), simplified: a BatchWriteItem holding a write to that
//   key beyond its limit is refused whole with the exception, so the reason reaches the sink.
//   With `mixedBatches: 'unprocessed'` it answers as DynamoDB does (API Reference,
//   BatchWriteItem: "If any requested operations fail because the table's provisioned
//   throughput is exceeded ..., the failed operations are returned in the UnprocessedItems
//   response parameter"; "If none of the items can be processed due to insufficient provisioned
//   throughput on all of the tables in the request, then BatchWriteItem returns a
//   ProvisionedThroughputExceededException"): in order, each write is written when its own
//   limits allow (the hot key's units for a hot write, then the table's units); the hot key's
//   writes past its limit and the writes past the table's come back as UnprocessedItems, which
//   carry no reason; a call in which no write can be written fails whole with the exception,
//   whose ThrottlingReasons name the key range when a hot write was held by its key's limit,
//   and the table's budget when a write was held by the table's units (both when both were).
import * as http from 'node:http';
import { listenOnLoopback } from './fault-proxy';

export interface CapacityProxyOptions {
  /** Provisioned write capacity units per second. */
  writeUnits: number;
  /** Seconds of unused capacity kept for bursts (DynamoDB keeps up to 300). Default 1. */
  burstSeconds?: number;
  /** The exception names its ThrottlingReasons (a budget reason for the table's capacity). */
  reasons?: boolean;
  /**
   * One hot partition key: writes whose `attribute` is `value` (S or N) share `writeUnits` per
   * second. `mixedBatches`: how a BatchWriteItem with the key's writes past its limit is
   * answered: `refuse` (default) refuses it whole with the key-range reason; `unprocessed` writes
   * the other writes and returns the hot ones as UnprocessedItems, as DynamoDB does.
   */
  hotKey?: { attribute: string; value: string; writeUnits: number; mixedBatches?: 'refuse' | 'unprocessed' };
}

export interface CapacityProxy {
  url: string;
  /** Write calls seen (BatchWriteItem, PutItem, UpdateItem, DeleteItem, TransactWriteItems). */
  calls: number;
  /** Write calls that were throttled at least in part (UnprocessedItems or the exception). */
  throttledCalls: number;
  /** Calls refused whole with ProvisionedThroughputExceededException. */
  refusedCalls: number;
  /** Items written through the proxy. */
  itemsWritten: number;
  /** Write capacity units granted (what ConsumedCapacity reported). */
  granted: number;
  /** Largest number of write calls the proxy held at once. */
  maxConcurrent: number;
  /** Calls refused for the hot key (TableWriteKeyRangeThroughputExceeded). */
  hotRefusedCalls: number;
  /** Writes to the hot key let through its own limit. */
  hotWritten: number;
  /** Writes to the hot key returned as UnprocessedItems for its own limit (`mixedBatches: 'unprocessed'`). */
  hotUnprocessed: number;
  stop(): Promise<void>;
}

const WRITE_OPERATIONS = new Set(['BatchWriteItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems']);
const THROTTLED = {
  __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message:
    'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
};
const KEY_RANGE = 'TableWriteKeyRangeThroughputExceeded';
const BUDGET = 'TableWriteProvisionedThroughputExceeded';

/** The exception's body, with ThrottlingReasons when given (member names as the SDK's model has them). */
function throttledBody(reason: string | undefined, tables: string[], region: string): string {
  if (!reason) return JSON.stringify(THROTTLED);
  const ThrottlingReasons = tables.map((t) => ({ reason, resource: `arn:aws:dynamodb:${region}:000000000000:table/${t}` }));
  return JSON.stringify({ ...THROTTLED, ThrottlingReasons });
}

/** The exception's body with several ThrottlingReasons, each `{ reason, table }`. */
function reasonsBody(reasons: { reason: string; table: string }[], region: string): string {
  const ThrottlingReasons = reasons.map(({ reason, table }) => ({ reason, resource: `arn:aws:dynamodb:${region}:000000000000:table/${table}` }));
  return JSON.stringify({ ...THROTTLED, ThrottlingReasons });
}

type Wire = Record<string, any>;

/** DynamoDB's size of one attribute value in bytes, from its wire JSON. */
function valueSize(v: Wire): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  // Numbers: about 1 byte per 2 significant digits, plus 1.
  if (v.N !== undefined) return Math.ceil(String(v.N).replace(/^-|\.|e.*$/gi, '').replace(/^0+/, '').length / 2) + 1;
  if (v.B !== undefined) return Buffer.from(v.B, 'base64').length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS) return v.SS.reduce((n: number, s: string) => n + Buffer.byteLength(s), 0);
  if (v.NS) return v.NS.reduce((n: number, s: string) => n + valueSize({ N: s }), 0);
  if (v.BS) return v.BS.reduce((n: number, s: string) => n + Buffer.from(s, 'base64').length, 0);
  if (v.L) return 3 + v.L.reduce((n: number, e: Wire) => n + 1 + valueSize(e), 0);
  if (v.M) return 3 + itemBytes(v.M) + Object.keys(v.M).length;
  return 0;
}

function itemBytes(item: Wire): number {
  let n = 0;
  for (const [name, value] of Object.entries(item)) n += Buffer.byteLength(name) + valueSize(value as Wire);
  return n;
}

/** WCU of one write: 1 per started KB, at least 1. */
export function writeUnitsOf(item: Wire): number {
  return Math.max(1, Math.ceil(itemBytes(item) / 1024));
}

export async function startCapacityProxy(targetUrl: string, options: CapacityProxyOptions): Promise<CapacityProxy> {
  const target = new URL(targetUrl);
  const rate = options.writeUnits;
  const capacity = rate * (options.burstSeconds ?? 1);
  let tokens = capacity;
  let refilledAt = performance.now();
  const refill = () => {
    const now = performance.now();
    tokens = Math.min(capacity, tokens + ((now - refilledAt) / 1000) * rate);
    refilledAt = now;
  };
  const hot = options.hotKey;
  let hotTokens = hot?.writeUnits ?? 0;
  let hotRefilledAt = performance.now();
  const refillHot = () => {
    const now = performance.now();
    if (hot) hotTokens = Math.min(hot.writeUnits, hotTokens + ((now - hotRefilledAt) / 1000) * hot.writeUnits);
    hotRefilledAt = now;
  };
  const isHot = (item: Wire): boolean => {
    const v = hot ? (item[hot.attribute] as Wire | undefined) : undefined;
    return v !== undefined && (v.S ?? v.N) === hot!.value;
  };
  const budgetReason = options.reasons ? BUDGET : undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let active = 0;

  const proxy: CapacityProxy = {
    url: '',
    calls: 0,
    throttledCalls: 0,
    refusedCalls: 0,
    itemsWritten: 0,
    granted: 0,
    maxConcurrent: 0,
    hotRefusedCalls: 0,
    hotWritten: 0,
    hotUnprocessed: 0,
    stop: async () => undefined,
  };

  function forward(req: http.IncomingMessage, body: string, answer: (status: number, headers: http.IncomingHttpHeaders, body: string) => void, fail: (err: Error) => void): void {
    const headers = { ...req.headers, host: target.host, 'content-length': String(Buffer.byteLength(body)) };
    const out = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => answer(res.statusCode ?? 500, res.headers, text));
      res.on('error', fail);
    });
    out.on('error', fail);
    out.end(body);
  }

  function reply(res: http.ServerResponse, status: number, body: string, headers: http.IncomingHttpHeaders = {}): void {
    res.writeHead(status, {
      'content-type': headers['content-type'] ?? 'application/x-amz-json-1.0',
      'x-amzn-requestid': headers['x-amzn-requestid'] ?? 'capacity-proxy',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  }

  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      const failed = (err: Error) => {
        if (!res.headersSent) reply(res, 500, JSON.stringify({ __type: 'InternalServerError', message: err.message }));
        else res.destroy();
      };
      if (!WRITE_OPERATIONS.has(operation)) {
        forward(req, raw, (status, headers, text) => reply(res, status, text, headers), failed);
        return;
      }
      proxy.calls += 1;
      active += 1;
      proxy.maxConcurrent = Math.max(proxy.maxConcurrent, active);
      res.on('close', () => (active -= 1));
      const data = JSON.parse(raw) as Wire;
      refill();
      refillHot();
      const region = /Credential=[^/]+\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? 'us-east-1';
      // DynamoDB's answer to a BatchWriteItem: each write within its key's and the table's limits.
      const perWrite = operation === 'BatchWriteItem' && hot?.mixedBatches === 'unprocessed';
      // The hot key's own limit (a partition's), before the table's: the call is refused whole.
      if (hot && !perWrite) {
        const items: [string, Wire][] =
          operation === 'BatchWriteItem'
            ? Object.entries(data.RequestItems as Record<string, Wire[]>).flatMap(([t, ws]) => ws.map((w): [string, Wire] => [t, w.PutRequest?.Item ?? w.DeleteRequest?.Key ?? {}]))
            : operation === 'TransactWriteItems'
              ? (data.TransactItems as Wire[]).map((t): [string, Wire] => [t.Put?.TableName ?? t.Update?.TableName ?? '', t.Put?.Item ?? t.Update?.Key ?? t.Delete?.Key ?? {}])
              : [[data.TableName as string, (data.Item ?? data.Key ?? {}) as Wire]];
        const hotItems = items.filter(([, item]) => isHot(item));
        const cost = hotItems.reduce((n, [, item]) => n + writeUnitsOf(item), 0);
        if (hotItems.length > 0 && hotTokens < cost) {
          proxy.throttledCalls += 1;
          proxy.refusedCalls += 1;
          proxy.hotRefusedCalls += 1;
          reply(res, 400, throttledBody(KEY_RANGE, [...new Set(hotItems.map(([t]) => t))], region));
          return;
        }
        hotTokens -= cost;
        proxy.hotWritten += hotItems.length;
      }
      if (operation === 'BatchWriteItem') {
        const granted: Record<string, Wire[]> = {};
        const unprocessed: Record<string, Wire[]> = {};
        const units: Record<string, number> = {};
        let grantedCount = 0;
        let left = 0;
        // perWrite: the tables whose writes the hot key's limit held, and those the table's units held.
        const heldByKey = new Set<string>();
        const heldByBudget = new Set<string>();
        let hotHeld = 0;
        for (const [table, writes] of Object.entries(data.RequestItems as Record<string, Wire[]>)) {
          for (const w of writes) {
            const item = w.PutRequest?.Item ?? w.DeleteRequest?.Key ?? {};
            const cost = writeUnitsOf(item);
            const hotWrite = perWrite && isHot(item);
            if (hotWrite && hotTokens < cost) {
              (unprocessed[table] ??= []).push(w);
              left += 1;
              hotHeld += 1;
              heldByKey.add(table);
            } else if (tokens >= cost) {
              tokens -= cost;
              if (hotWrite) {
                hotTokens -= cost;
                proxy.hotWritten += 1;
              }
              (granted[table] ??= []).push(w);
              units[table] = (units[table] ?? 0) + cost;
              grantedCount += 1;
            } else {
              (unprocessed[table] ??= []).push(w);
              left += 1;
              heldByBudget.add(table);
            }
          }
        }
        if (left > 0) proxy.throttledCalls += 1;
        if (grantedCount === 0) {
          proxy.refusedCalls += 1;
          if (perWrite && heldByKey.size > 0) {
            proxy.hotRefusedCalls += 1;
            // ThrottlingReasons: one per table and reason.
            const reasons = [...heldByKey].map((t) => ({ reason: KEY_RANGE, table: t }));
            if (options.reasons) for (const t of heldByBudget) reasons.push({ reason: BUDGET, table: t });
            reply(res, 400, reasonsBody(reasons, region));
            return;
          }
          reply(res, 400, throttledBody(budgetReason, Object.keys(data.RequestItems as Wire), region));
          return;
        }
        proxy.hotUnprocessed += hotHeld;
        forward(
          req,
          JSON.stringify({ ...data, RequestItems: granted }),
          (status, headers, text) => {
            if (status !== 200) return reply(res, status, text, headers);
            const out = JSON.parse(text) as Wire;
            // What the server left unprocessed itself (it never does locally) goes back too.
            for (const [table, writes] of Object.entries((out.UnprocessedItems ?? {}) as Record<string, Wire[]>)) (unprocessed[table] ??= []).push(...writes);
            out.UnprocessedItems = unprocessed;
            const total = Object.values(units).reduce((a, b) => a + b, 0);
            proxy.granted += total;
            proxy.itemsWritten += grantedCount;
            if (data.ReturnConsumedCapacity === 'TOTAL' || data.ReturnConsumedCapacity === 'INDEXES') {
              out.ConsumedCapacity = Object.entries(units).map(([TableName, CapacityUnits]) => ({ TableName, CapacityUnits }));
            } else {
              delete out.ConsumedCapacity;
            }
            reply(res, 200, JSON.stringify(out), headers);
          },
          failed,
        );
        return;
      }
      // Single-item and transactional writes: all or nothing.
      const items: Wire[] =
        operation === 'TransactWriteItems'
          ? (data.TransactItems as Wire[]).map((t) => t.Put?.Item ?? t.Update?.Key ?? t.Delete?.Key ?? t.ConditionCheck?.Key ?? {})
          : [data.Item ?? { ...data.Key, ...Object.fromEntries(Object.entries(data.ExpressionAttributeValues ?? {})) }];
      const cost = items.reduce((n, item) => n + writeUnitsOf(item), 0) * (operation === 'TransactWriteItems' ? 2 : 1);
      if (tokens < cost) {
        proxy.throttledCalls += 1;
        proxy.refusedCalls += 1;
        reply(res, 400, throttledBody(budgetReason, [data.TableName ?? 'transaction'], region));
        return;
      }
      tokens -= cost;
      forward(
        req,
        raw,
        (status, headers, text) => {
          if (status !== 200) {
            // A refused write (a failed condition) consumes capacity all the same in DynamoDB.
            proxy.granted += cost;
            return reply(res, status, text, headers);
          }
          const out = (text ? JSON.parse(text) : {}) as Wire;
          proxy.granted += cost;
          proxy.itemsWritten += items.length;
          const table = data.TableName ?? 'transaction';
          if (data.ReturnConsumedCapacity === 'TOTAL' || data.ReturnConsumedCapacity === 'INDEXES') {
            out.ConsumedCapacity = operation === 'TransactWriteItems' ? [{ TableName: table, CapacityUnits: cost }] : { TableName: table, CapacityUnits: cost };
          }
          reply(res, 200, JSON.stringify(out), headers);
        },
        failed,
      );
    });
  });
  Object.assign(proxy, await listenOnLoopback(server, agent));
  return proxy;
}
