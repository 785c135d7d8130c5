// Creates a table: from the connector dialog (DESIGN.md 5, POST /dynamodb-connector/create-table),
// the key schema, on-demand or provisioned capacity, TTL on an attribute, and waits until the
// table is ACTIVE, so the seed's steps (a JSON table file, docker, aws-cli) become one click; and
// for a sink that makes its tables on demand (DESIGN.md 1.3 createTable, delivery/table-creation.ts),
// through createTableWith and waitUntilActive with the sink's own client.
import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type KeySchemaElement,
  type ScalarAttributeType,
} from '@aws-sdk/client-dynamodb';
import { createDynamoClient, describeEndpoint } from './client';
import type { ConnectorCredentials, ConnectorSettings } from './connection';
import { classifyError, type ErrorClass, type ErrorContext } from './errors';
import type { KeySchemaEntry } from './health';
import { words } from '../../words';

export interface KeyAttribute {
  name: string;
  /** DynamoDB's scalar types: S (string), N (number), B (binary). */
  type: ScalarAttributeType;
}

export interface CreateTableRequest {
  table: string;
  hashKey: KeyAttribute;
  rangeKey?: KeyAttribute;
  /** On-demand, or provisioned read and write capacity units per second. */
  billing: 'PAY_PER_REQUEST' | { read: number; write: number };
  /** Attribute holding the expiry time in epoch seconds; TTL is turned on for it. */
  ttlAttribute?: string;
}

export interface CreateTableResult {
  ok: boolean;
  table?: { name: string; status: string; keySchema: KeySchemaEntry[]; billing: string; ttlAttribute?: string };
  error?: string;
}

/** How long to wait for ACTIVE; AWS takes seconds for a new table, rarely more than a minute. */
export const ACTIVE_WAIT_MS = 120000;
const POLL_MS = 250;

/** DynamoDB limit: table names are 3-255 characters of a-z, A-Z, 0-9, `_`, `-`, `.`. */
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;
/** DynamoDB limit: key attribute names are 1-255 bytes. */
const MAX_KEY_NAME_BYTES = 255;
const TYPES: readonly string[] = ['S', 'N', 'B'];

/**
 * Checks a request as the endpoint receives it (JSON from the dialog) and gives it typed, or
 * throws an Error that names the field and the fix.
 */
export function readCreateTableRequest(raw: unknown): CreateTableRequest {
  const body = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const table = typeof body.table === 'string' ? body.table.trim() : '';
  if (!TABLE_NAME.test(table)) {
    throw new Error(
      words(
        'connection.createRequest.tableName',
        'table name __table__ is not valid: DynamoDB table names are 3 to 255 characters of letters, digits, "_", "-" and "."',
        { table: String(JSON.stringify(body.table ?? '')) },
      ),
    );
  }
  const key = (field: 'hashKey' | 'rangeKey'): KeyAttribute | undefined => {
    const k = body[field];
    if (k === undefined || k === null || k === '') return undefined;
    const o = (typeof k === 'object' ? k : { name: k }) as Record<string, unknown>;
    const name = typeof o.name === 'string' ? o.name.trim() : '';
    if (!name && field === 'rangeKey') return undefined;
    if (!name) throw new Error(noPartitionKey(field));
    if (Buffer.byteLength(name) > MAX_KEY_NAME_BYTES) {
      throw new Error(words('connection.createRequest.keyTooLong', '__field__ "__name__…" is longer than DynamoDB\'s 255 bytes', { field, name: name.slice(0, 40) }));
    }
    const type = o.type === undefined || o.type === '' ? 'S' : String(o.type).toUpperCase();
    if (!TYPES.includes(type)) {
      throw new Error(
        words('connection.createRequest.keyType', '__field__ "__name__": type __type__ is not a key type; use S (string), N (number) or B (binary)', {
          field,
          name,
          type: String(JSON.stringify(o.type)),
        }),
      );
    }
    return { name, type: type as ScalarAttributeType };
  };
  const hashKey = key('hashKey');
  if (!hashKey) throw new Error(noPartitionKey('hashKey'));
  const rangeKey = key('rangeKey');
  if (rangeKey && rangeKey.name === hashKey.name) {
    throw new Error(
      words('connection.createRequest.sameKeys', 'rangeKey "__name__" is the partition key too: give the sort key another name, or none', { name: rangeKey.name }),
    );
  }

  let billing: CreateTableRequest['billing'];
  const b = body.billing ?? 'PAY_PER_REQUEST';
  if (b === 'PAY_PER_REQUEST') {
    billing = b;
  } else if (b && typeof b === 'object') {
    const units = (v: unknown, what: string): number => {
      const n = typeof v === 'number' ? v : Number(String(v ?? '').trim());
      if (!Number.isInteger(n) || n < 1) throw new Error(capacityUnits(what));
      return n;
    };
    billing = { read: units((b as Record<string, unknown>).read, 'read'), write: units((b as Record<string, unknown>).write, 'write') };
  } else {
    throw new Error(
      words(
        'connection.createRequest.billing',
        'billing __billing__ is not a billing mode: use "PAY_PER_REQUEST" (on-demand) or { "read": n, "write": n } (provisioned)',
        { billing: String(JSON.stringify(b)) },
      ),
    );
  }
  const ttl = typeof body.ttlAttribute === 'string' ? body.ttlAttribute.trim() : '';
  if (ttl && (ttl === hashKey.name || ttl === rangeKey?.name)) {
    throw new Error(
      words('connection.createRequest.ttlIsKey', 'ttlAttribute "__attribute__" is a key attribute: DynamoDB TTL needs a non-key attribute holding epoch seconds', {
        attribute: ttl,
      }),
    );
  }
  return { table, hashKey, ...(rangeKey ? { rangeKey } : {}), billing, ...(ttl ? { ttlAttribute: ttl } : {}) };
}

/** `hashKey: give the name of the table's partition key attribute, e.g. "id"` (rangeKey alike). */
function noPartitionKey(field: 'hashKey' | 'rangeKey'): string {
  return words('connection.createRequest.noKeyName', '__field__: give the name of the table\'s partition key attribute, e.g. "id"', { field });
}

function capacityUnits(what: string): string {
  return what === 'read'
    ? words('connection.createRequest.readUnits', 'billing.read: provisioned read capacity must be a whole number of units per second, at least 1')
    : words('connection.createRequest.writeUnits', 'billing.write: provisioned write capacity must be a whole number of units per second, at least 1');
}

/** The CreateTable input for a request. */
export function createTableInput(r: CreateTableRequest): CreateTableCommandInput {
  const keys: KeySchemaElement[] = [{ AttributeName: r.hashKey.name, KeyType: 'HASH' }];
  const attributes: AttributeDefinition[] = [{ AttributeName: r.hashKey.name, AttributeType: r.hashKey.type }];
  if (r.rangeKey) {
    keys.push({ AttributeName: r.rangeKey.name, KeyType: 'RANGE' });
    attributes.push({ AttributeName: r.rangeKey.name, AttributeType: r.rangeKey.type });
  }
  return {
    TableName: r.table,
    KeySchema: keys,
    AttributeDefinitions: attributes,
    ...(r.billing === 'PAY_PER_REQUEST'
      ? { BillingMode: 'PAY_PER_REQUEST' }
      : { BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: r.billing.read, WriteCapacityUnits: r.billing.write } }),
  };
}

/** What turning TTL on after CreateTable came to, when it failed. */
export interface TtlFailure {
  /** The classified error, in words. */
  message: string;
  /** The endpoint has no UpdateTimeToLive (dynalite): TTL cannot be turned on there at all. */
  unsupported: boolean;
}

export type DescribedTable = NonNullable<CreateTableResult['table']>;

/**
 * What one attempt to make a table came to (the dialog's endpoint and the sink's createTable word
 * it each their way): `created` (ACTIVE; `ttl` tells a TTL that could not be turned on),
 * `exists` (DynamoDB: CreateTable answers ResourceInUseException for a table that exists or is
 * being created or deleted), `refused` (CreateTable failed: the classified error),
 * `not_active` (created, but not seen ACTIVE within the wait: the error in words).
 */
export type CreateOutcome =
  | { kind: 'created'; table: DescribedTable; ttl?: TtlFailure }
  | { kind: 'exists' }
  | { kind: 'refused'; error: ErrorClass }
  | { kind: 'not_active'; error: string; pending?: Pending };

/** A table created but not yet ACTIVE when the wait ended: its status and the wait, in seconds. */
export interface Pending {
  status: string;
  seconds: number;
}

/**
 * DynamoDB: CreateTable, then DescribeTable until the table is ACTIVE (a table takes writes only
 * then), then UpdateTimeToLive for `ttlAttribute` (it needs an ACTIVE table). Never throws.
 */
export async function createTableWith(
  client: DynamoDBClient,
  request: CreateTableRequest,
  context: ErrorContext,
  waitMs = ACTIVE_WAIT_MS,
): Promise<CreateOutcome> {
  try {
    await client.send(new CreateTableCommand(createTableInput(request)));
  } catch (err) {
    const error = classifyError(err, context);
    return error.code === 'ResourceInUseException' ? { kind: 'exists' } : { kind: 'refused', error };
  }
  const described = await activeOrProblem(client, request.table, waitMs, context);
  if ('error' in described) return { kind: 'not_active', ...described };
  if (!request.ttlAttribute) return { kind: 'created', table: described };
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: request.table,
        TimeToLiveSpecification: { AttributeName: request.ttlAttribute, Enabled: true },
      }),
    );
    return { kind: 'created', table: { ...described, ttlAttribute: request.ttlAttribute } };
  } catch (err) {
    // dynalite (npm start's embedded server) has no UpdateTimeToLive.
    const unsupported = (err as { name?: string }).name === 'UnknownOperationException';
    return { kind: 'created', table: described, ttl: { message: classifyError(err, context).message, unsupported } };
  }
}

/**
 * Creates the table, waits until it is ACTIVE (at most `waitMs`), then turns TTL on for
 * `ttlAttribute`. Never throws: a failure is `{ ok: false, error }` in words that name the fix.
 */
export async function createTable(
  settings: ConnectorSettings,
  credentials: ConnectorCredentials,
  request: CreateTableRequest,
  waitMs = ACTIVE_WAIT_MS,
): Promise<CreateTableResult> {
  const context = {
    endpoint: describeEndpoint(settings),
    requestTimeout: settings.requestTimeout,
    secrets: [credentials.secretAccessKey ?? '', credentials.sessionToken ?? ''],
    table: request.table,
  };
  let client: DynamoDBClient;
  try {
    client = createDynamoClient(settings, credentials);
  } catch (err) {
    return { ok: false, error: classifyError(err, context).message };
  }
  try {
    const outcome = await createTableWith(client, request, context, waitMs);
    switch (outcome.kind) {
      case 'exists':
        return {
          ok: false,
          error: words('connection.create.exists', 'table "__table__" already exists at __endpoint__: use it, or choose another name', {
            table: request.table,
            endpoint: context.endpoint,
          }),
        };
      case 'not_active':
        return { ok: false, error: outcome.pending ? stillPending(request.table, outcome.pending) : outcome.error };
      case 'refused':
        return { ok: false, error: refusedWords(outcome.error, request, context.endpoint) };
      case 'created':
        break;
    }
    if (outcome.ttl) {
      const vars = { table: request.table, attribute: request.ttlAttribute ?? '', error: outcome.ttl.message };
      return {
        ok: false,
        table: { ...outcome.table, ttlAttribute: undefined },
        error: outcome.ttl.unsupported
          ? words(
              'connection.create.ttlUnsupported',
              'table "__table__" was created, but turning TTL on for "__attribute__" failed: __error__. This endpoint does not implement TTL (dynalite, the embedded server of npm start, has none; DynamoDB and DynamoDB Local do): leave the TTL attribute empty here, the sink still writes it',
              vars,
            )
          : words(
              'connection.create.ttlFailed',
              'table "__table__" was created, but turning TTL on for "__attribute__" failed: __error__. Turn it on in the AWS console (Table › Additional settings › Time to Live) or with aws dynamodb update-time-to-live',
              vars,
            ),
      };
    }
    return { ok: true, table: outcome.table };
  } finally {
    client.destroy();
  }
}

/**
 * Polls DescribeTable until ACTIVE (DynamoDB: a new table is CREATING first, and takes writes
 * only when ACTIVE); a string is the error to answer. Just after CreateTable some endpoints do
 * not know the table yet: ResourceNotFoundException means keep asking.
 */
export async function waitUntilActive(
  client: DynamoDBClient,
  table: string,
  waitMs: number,
  context: ErrorContext,
): Promise<DescribedTable | string> {
  const found = await activeOrProblem(client, table, waitMs, context);
  return 'error' in found ? found.error : found;
}

/** waitUntilActive's answer, telling a table still being made (`pending`) from a failure. */
async function activeOrProblem(
  client: DynamoDBClient,
  table: string,
  waitMs: number,
  context: ErrorContext,
): Promise<DescribedTable | { error: string; pending?: Pending }> {
  const deadline = Date.now() + waitMs;
  let status = 'CREATING';
  for (;;) {
    try {
      const t = (await client.send(new DescribeTableCommand({ TableName: table }))).Table;
      status = t?.TableStatus ?? 'UNKNOWN';
      if (status === 'ACTIVE') {
        const types = new Map((t?.AttributeDefinitions ?? []).map((d) => [d.AttributeName, d.AttributeType]));
        return {
          name: table,
          status,
          billing: t?.BillingModeSummary?.BillingMode ?? (t?.ProvisionedThroughput?.WriteCapacityUnits ? 'PROVISIONED' : 'PAY_PER_REQUEST'),
          keySchema: (t?.KeySchema ?? []).map((k) => ({
            attributeName: k.AttributeName ?? '',
            keyType: k.KeyType as 'HASH' | 'RANGE',
            attributeType: types.get(k.AttributeName),
          })),
        };
      }
    } catch (err) {
      const c = classifyError(err, context);
      if (c.code !== 'ResourceNotFoundException' && !c.retryable) {
        return {
          error: words('connection.create.describeFailed', 'table "__table__" was created, but describing it failed: __error__', { table, error: c.message }),
        };
      }
    }
    if (Date.now() + POLL_MS > deadline) {
      const pending = { status, seconds: Math.round(waitMs / 1000) };
      return {
        error: words('connection.create.notActive', 'table "__table__" was created but is still __status__ after __seconds__ s', { table, ...pending }),
        pending,
      };
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** The dialog's words for a table still being made: when to look again. */
function stillPending(table: string, pending: Pending): string {
  return words(
    'connection.create.notActiveYet',
    'table "__table__" was created but is still __status__ after __seconds__ s: press "Test connectivity" in a while to see when it is ACTIVE',
    { table, ...pending },
  );
}

/** The dialog's words for a CreateTable that failed: the classified error, with the fix for the usual ones. */
function refusedWords(c: ErrorClass, request: CreateTableRequest, endpoint: string): string {
  if (c.code === 'LimitExceededException') {
    return words(
      'connection.create.limitExceeded',
      'DynamoDB at __endpoint__ allows no more tables being created at once or in this account (LimitExceededException): wait, or delete an unused table',
      { endpoint },
    );
  }
  if (c.kind === 'auth' && c.code === 'AccessDeniedException') {
    return request.ttlAttribute
      ? words('connection.create.deniedWithTtl', '__error__; creating a table needs the dynamodb:CreateTable and dynamodb:UpdateTimeToLive permissions', { error: c.message })
      : words('connection.create.denied', '__error__; creating a table needs the dynamodb:CreateTable permissions', { error: c.message });
  }
  return words('connection.create.failed', 'creating table "__table__" failed: __error__', { table: request.table, error: c.message });
}
