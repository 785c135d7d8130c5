// Tables made on demand (DESIGN.md 1.3 `createTable`): a put or update that DynamoDB answers with
// ResourceNotFoundException is held in its place in the queue while the sink makes the table
// (connection/create-table.ts: CreateTable with the sink's keys, their types from the item,
// on-demand billing; DescribeTable until ACTIVE; UpdateTimeToLive on ttlAttribute), then goes
// again. One creation per table at a time: the writes that find the table missing meanwhile wait
// for the same one; writes to other tables go on. Another sink (or anyone) creating the same table
// is DynamoDB's ResourceInUseException: wait until it is ACTIVE and write. A creation refused for
// good (AccessDeniedException: no dynamodb:CreateTable) fails the held writes with an error naming
// the table and the permission; the table's next write tries again only after a backoff.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ACTIVE_WAIT_MS, createTableWith, waitUntilActive, type CreateTableRequest, type KeyAttribute } from '../connection/create-table';
import type { ErrorClass, ErrorContext } from '../connection/errors';
import type { HandOver } from './handover';
import type { SinkMetrics } from './metrics';
import type { QueuedWrite, WriteQueue } from './queue';
import { backoffDelay } from './retry';
import type { Settlement } from './settlement';
import { words } from '../../words';

/** The sink's table shape (DESIGN.md 1.3): what a table it creates gets. */
export interface CreateTableSettings {
  hashKey: string;
  rangeKey?: string;
  ttlAttribute?: string;
  /** ms before a table whose creation failed for good is tried again; doubles per failure up to 5 min. */
  retryAfterMs?: number;
  /** ms a creation waits for ACTIVE (tests shorten it). */
  activeWaitMs?: number;
}

export interface TableCreationOptions {
  client: DynamoDBClient;
  /** e.g. `http://127.0.0.1:8000 (region us-west-2)`, for messages. */
  describeEndpoint?: () => string;
  requestTimeout?: number;
  log?: { info(text: string): void; warn(text: string): void };
}

/**
 * A held write's notBefore: later than any deadline, so it is neither picked nor let go by a
 * timer of its own; the creation's end frees it, or requestTtl expires it in its place
 * (Admission.expire), like any queued write.
 */
const HELD = Number.MAX_SAFE_INTEGER;
const RETRY_AFTER_MS = 10000;
const MOST_RETRY_AFTER_MS = 300000;
/** Backoff between CreateTable attempts that may pass (throttled, LimitExceededException, 5xx, network). */
const AGAIN = { baseMs: 250, capMs: 5000 };

type Outcome = { ok: true } | { ok: false; message: string };

export class TableCreation {
  /** Tables being made now, with the writes held for each. */
  private readonly creating = new Map<string, Set<QueuedWrite>>();
  /** Tables whose creation failed for good: until when a write fails at once, and why. */
  private readonly refused = new Map<string, { until: number; message: string; failures: number }>();
  private ttlUnsupportedLogged = false;

  constructor(
    private readonly queue: WriteQueue,
    private readonly metrics: SinkMetrics,
    private readonly settlement: Settlement,
    private readonly handOver: HandOver,
    private readonly settings: CreateTableSettings,
    private readonly options: TableCreationOptions,
    /** Held writes were let go or failed: the writer sends what may go now. */
    private readonly changed: () => void,
  ) {}

  /**
   * DynamoDB answered a call of one table's writes with ResourceNotFoundException (`why`): its
   * puts and updates (taken from flight) are held in the queue until the table is made, or fail
   * at once while a refused creation's backoff lasts. Returns the writes it did not take: a
   * delete never creates (DESIGN.md 1.3), and a call of several tables is the writer's to split.
   */
  hold(call: QueuedWrite[], why: string): QueuedWrite[] {
    const table = call[0].table;
    if (call.some((w) => w.table !== table)) return call;
    const writes = call.filter((w) => w.operation !== 'delete');
    if (writes.length === 0) return call;
    const rest = writes.length === call.length ? [] : call.filter((w) => w.operation === 'delete');
    const refused = this.refused.get(table);
    if (refused && Date.now() < refused.until) {
      this.settlement.failed(writes, refused.message);
      return rest;
    }
    let held = this.creating.get(table);
    if (!held) {
      held = new Set();
      this.creating.set(table, held);
      void this.create(table, writes[0], refused?.failures ?? 0);
    }
    for (const w of writes) {
      w.lastError = words('delivery.createTable.creating', '__why__; the sink is creating it (createTable)', { why });
      w.notBefore = HELD;
      held.add(w);
      this.metrics.inflight -= 1;
      this.metrics.queuing += 1;
      this.handOver.requeue(w);
    }
    return rest;
  }

  /** Tables being made now. */
  get pending(): number {
    return this.creating.size;
  }

  private async create(table: string, first: QueuedWrite, failures: number): Promise<void> {
    let outcome: Outcome;
    try {
      outcome = await this.make(table, first);
    } catch (err) {
      outcome = { ok: false, message: words('delivery.createTable.failed', 'table "__table__" could not be created: __error__', { table, error: (err as Error).message }) };
    }
    const held = [...(this.creating.get(table) ?? [])].filter((w) => w.queued && w.notBefore === HELD);
    this.creating.delete(table);
    if (outcome.ok) {
      this.refused.delete(table);
      for (const w of held) w.notBefore = 0;
    } else {
      const wait = Math.min(MOST_RETRY_AFTER_MS, (this.settings.retryAfterMs ?? RETRY_AFTER_MS) * 2 ** failures);
      const message = words('delivery.createTable.tryAgain', '__why__. The next write to this table tries again after __s__ s', { why: outcome.message, s: Math.round(wait / 1000) });
      this.refused.set(table, { until: Date.now() + wait, message, failures: failures + 1 });
      for (const w of held) this.queue.remove(w);
      this.settlement.failedQueued(held, message);
    }
    this.changed();
  }

  /** CreateTable (again after an error that may pass, while writes wait), else wait for someone else's. */
  private async make(table: string, first: QueuedWrite): Promise<Outcome> {
    const endpoint = this.options.describeEndpoint?.();
    const context: ErrorContext = { table, endpoint, requestTimeout: this.options.requestTimeout };
    const request: CreateTableRequest = {
      table,
      hashKey: keyOf(first, this.settings.hashKey),
      ...(this.settings.rangeKey ? { rangeKey: keyOf(first, this.settings.rangeKey) } : {}),
      billing: 'PAY_PER_REQUEST',
      ...(this.settings.ttlAttribute ? { ttlAttribute: this.settings.ttlAttribute } : {}),
    };
    const waitMs = this.settings.activeWaitMs ?? ACTIVE_WAIT_MS;
    const where = endpoint
      ? words('delivery.createTable.notFoundAt', 'table "__table__" not found at __endpoint__', { table, endpoint })
      : words('delivery.createTable.notFound', 'table "__table__" not found', { table });
    for (let attempt = 1; ; attempt++) {
      const outcome = await createTableWith(this.options.client, request, context, waitMs);
      switch (outcome.kind) {
        case 'created': {
          this.metrics.tablesCreated += 1;
          const keys = [request.hashKey, request.rangeKey].filter((k) => k !== undefined).map((k) => `${k.name} (${k.type})`);
          const vars = { table, keys: keys.join(', ') };
          this.options.log?.info(
            request.ttlAttribute && !outcome.ttl
              ? words('delivery.createTable.createdTtl', 'created table "__table__" (createTable): key __keys__, on-demand billing, TTL on "__ttl__"', { ...vars, ttl: request.ttlAttribute })
              : words('delivery.createTable.created', 'created table "__table__" (createTable): key __keys__, on-demand billing', vars),
          );
          if (outcome.ttl) this.ttlFailed(table, outcome.ttl);
          return { ok: true };
        }
        case 'exists': {
          // DynamoDB: ResourceInUseException: another sink, or someone else, has made or is making
          // it (CREATING): its writes wait until it is ACTIVE.
          const active = await waitUntilActive(this.options.client, table, waitMs, context);
          if (typeof active !== 'string') return { ok: true };
          return { ok: false, message: words('delivery.createTable.inUse', '__where__; it exists or is being made elsewhere (ResourceInUseException), but: __error__', { where, error: active }) };
        }
        case 'not_active':
          return { ok: false, message: words('delivery.createTable.notActive', '__where__; __error__', { where, error: outcome.error }) };
        case 'refused':
          if (outcome.error.retryable && this.waiting(table)) {
            await new Promise((r) => setTimeout(r, backoffDelay(attempt, AGAIN)));
            continue;
          }
          return { ok: false, message: words('delivery.createTable.refused', '__where__ and could not be created: __error__', { where, error: refusal(outcome.error, request) }) };
      }
    }
  }

  /** Some write still waits for the table (the others expired or were handed on). */
  private waiting(table: string): boolean {
    for (const w of this.creating.get(table) ?? []) if (w.queued && w.notBefore === HELD) return true;
    return false;
  }

  /** The table is made and written; only its TTL is off. dynalite has none: said once per sink. */
  private ttlFailed(table: string, ttl: { message: string; unsupported: boolean }): void {
    const attribute = this.settings.ttlAttribute;
    if (!ttl.unsupported) {
      this.options.log?.warn(
        words(
          'delivery.createTable.ttlFailed',
          'created table "__table__", but turning TTL on for "__attribute__" failed: __error__. Items are written with "__attribute__" but do not expire: grant dynamodb:UpdateTimeToLive, or turn TTL on in the AWS console (Table › Additional settings › Time to Live)',
          { table, attribute: attribute ?? '', error: ttl.message },
        ),
      );
      return;
    }
    if (this.ttlUnsupportedLogged) return;
    this.ttlUnsupportedLogged = true;
    this.options.log?.warn(
      words(
        'delivery.createTable.ttlUnsupported',
        '__server__ cannot turn TTL on (no UpdateTimeToLive, as in dynalite): the tables this sink creates are made and written with "__attribute__", but their items do not expire (logged once)',
        { server: this.options.describeEndpoint?.() ?? words('delivery.server.this', 'this DynamoDB server'), attribute: attribute ?? '' },
      ),
    );
  }
}

/** DynamoDB: a key attribute is S, N or B; the table takes the type the first write's key has. */
function keyOf(w: QueuedWrite, name: string): KeyAttribute {
  const v = w.key[name];
  const type = v?.S !== undefined ? 'S' : v?.N !== undefined ? 'N' : v?.B !== undefined ? 'B' : undefined;
  if (!type) {
    const has = v ? Object.keys(v)[0] : words('delivery.createTable.noValue', 'no value');
    throw new Error(words('delivery.createTable.badKey', 'its key attribute "__name__" is __type__; a DynamoDB key is a string (S), number (N) or binary (B)', { name, type: has }));
  }
  return { name, type };
}

/** Why CreateTable was refused, and the fix. */
function refusal(c: ErrorClass, request: CreateTableRequest): string {
  if (c.code === 'AccessDeniedException') {
    return request.ttlAttribute
      ? words('delivery.createTable.deniedTtl', "the connector's credentials lack the dynamodb:CreateTable permission (AccessDeniedException). Grant dynamodb:CreateTable, dynamodb:DescribeTable and dynamodb:UpdateTimeToLive, or create the table yourself")
      : words('delivery.createTable.denied', "the connector's credentials lack the dynamodb:CreateTable permission (AccessDeniedException). Grant dynamodb:CreateTable and dynamodb:DescribeTable, or create the table yourself");
  }
  return c.message;
}
