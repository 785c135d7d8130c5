// Sorts DynamoDB and network failures into retryable or not (DESIGN.md section 6) and words
// them for users: what failed, where, and what to do. Never includes a secret.
import { ConnectorConfigError } from './client';
import { ItemError } from '../item/encoding';
import { TemplateSyntaxError } from '../item/template';
import { notDynamoDbMessage } from './not-dynamo';
import { words } from '../../words';

export type ErrorKind = 'throttle' | 'server' | 'timeout' | 'network' | 'validation' | 'not_found' | 'auth' | 'condition' | 'other';

/**
 * Why DynamoDB throttled, from the exception's ThrottlingReasons (DESIGN.md 6): `key_range`, one
 * hot partition (`TableWriteKeyRangeThroughputExceeded`, `IndexWriteKeyRangeThroughputExceeded`);
 * `budget`, the table's or account's throughput (`...ProvisionedThroughputExceeded`,
 * `...AccountLimitExceeded`, `...MaxOnDemandThroughputExceeded`).
 */
export type ThrottleReason = 'key_range' | 'budget';

/**
 * What a user is told went wrong, in one word, whatever the language of `message`: the sink's
 * status shows it (`status.cause.<cause>` in its catalog). DESIGN.md 1.3 short statuses.
 */
export type ErrorCause =
  | 'notFound'
  | 'credentials'
  | 'notDynamo'
  | 'hotKey'
  | 'throttled'
  | 'condition'
  | 'unreachable'
  | 'rejected'
  | 'input'
  | 'expired'
  | 'queueFull'
  | 'stopped'
  | 'error';

export interface ErrorClass {
  retryable: boolean;
  kind: ErrorKind;
  /** The endpoint answered, but it is not DynamoDB (not-dynamo.ts); kind `network`. */
  notDynamo?: boolean;
  /** kind `throttle` with a reason DynamoDB gave; absent without one (older endpoints, local servers). */
  throttle?: ThrottleReason;
  /** For users: names the thing and the fix. */
  message: string;
  /** The SDK error name or network code, e.g. `ProvisionedThroughputExceededException`, `ECONNREFUSED`. */
  code: string;
}

export interface ErrorContext {
  /** The table concerned, if any. */
  table?: string;
  /** As `describeEndpoint()` gives it: `http://127.0.0.1:8000 (region us-west-2)`. */
  endpoint?: string;
  /** ms, to say which limit a timeout hit. */
  requestTimeout?: number;
  /** Values that must never appear in a message (replaced by `***`). */
  secrets?: readonly string[];
}

const THROTTLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'Throttling',
  'TooManyRequestsException',
  'LimitExceededException',
]);
const SERVER = new Set(['InternalServerError', 'InternalFailure', 'ServiceUnavailable', 'ServiceUnavailableException']);
const TIMEOUT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ECONNABORTED',
  'EADDRNOTAVAIL',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);
const AUTH = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'AccessDeniedException',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'IncompleteSignature',
  'IncompleteSignatureException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredTokenException',
  'ExpiredToken',
  'CredentialsProviderError',
]);
const VALIDATION = new Set(['ValidationException', 'SerializationException', 'ItemCollectionSizeLimitExceededException']);

/** What went wrong with the connection, for a network code (made when the error is worded). */
function networkWords(code: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return words('connection.network.refused', 'connection refused');
    case 'ECONNRESET':
      return words('connection.network.reset', 'connection reset');
    case 'EPIPE':
      return words('connection.network.closedWhileSending', 'connection closed while sending');
    case 'ENOTFOUND':
      return words('connection.network.hostNotFound', 'host name not found');
    case 'EAI_AGAIN':
      return words('connection.network.lookupFailed', 'host name lookup failed');
    case 'EHOSTUNREACH':
      return words('connection.network.hostUnreachable', 'host unreachable');
    case 'ENETUNREACH':
      return words('connection.network.networkUnreachable', 'network unreachable');
    default:
      return words('connection.network.failed', 'connection failed (__code__)', { code });
  }
}

interface ErrorShape {
  name?: string;
  code?: string;
  message?: string;
  cause?: unknown;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number };
  errors?: unknown[];
  /** ProvisionedThroughputExceededException, RequestLimitExceeded (the SDK's member name). */
  ThrottlingReasons?: unknown;
  /** ThrottlingException spells it this way in the SDK's model. */
  throttlingReasons?: unknown;
}

/**
 * The throttling reason DynamoDB gave, sorted (DynamoDB API Reference, ThrottlingReason:
 * `reason` is ResourceType + OperationType + LimitType, e.g. TableWriteKeyRangeThroughputExceeded;
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ThrottlingReason.html, and
 * the Developer Guide's "DynamoDB throttling resolution guide",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/troubleshooting-throttling-diagnostics.html).
 * Key range: the request rate at one partition key value exceeded the partition's limit, while
 * the table may have capacity to spare. Every other limit type (provisioned throughput, the
 * account's per-table quota, the on-demand maximum) is a budget of the table or index as a
 * whole. When both kinds come, the budget wins: slowing the sink slows the key as well.
 * Also returns the first reason's name, to word the error.
 */
export function throttleReasonOf(err: unknown): { reason: ThrottleReason; name: string } | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as ErrorShape;
  const list = e.ThrottlingReasons ?? e.throttlingReasons;
  if (!Array.isArray(list)) return undefined;
  let found: { reason: ThrottleReason; name: string } | undefined;
  for (const r of list) {
    const name = (r as { reason?: unknown } | null)?.reason;
    if (typeof name !== 'string') continue;
    if (name.endsWith('KeyRangeThroughputExceeded')) {
      found ??= { reason: 'key_range', name };
    } else if (/(ProvisionedThroughputExceeded|AccountLimitExceeded|MaxOnDemandThroughputExceeded)$/.test(name)) {
      return { reason: 'budget', name };
    }
  }
  return found;
}

function codeOf(err: ErrorShape): string {
  // Node's AggregateError (happy eyeballs) and fetch-style causes hide the socket code.
  if (err.code && /^E[A-Z_]+$|^UND_/.test(err.code)) return err.code;
  const inner = (err.errors?.[0] ?? err.cause) as ErrorShape | undefined;
  if (inner && typeof inner === 'object' && inner !== err) {
    const innerCode = codeOf(inner);
    if (NETWORK.has(innerCode) || TIMEOUT.has(innerCode)) return innerCode;
  }
  return err.name && err.name !== 'Error' ? err.name : (err.code ?? 'Error');
}

export function classifyError(err: unknown, context: ErrorContext = {}): ErrorClass {
  const e: ErrorShape = err !== null && typeof err === 'object' ? (err as ErrorShape) : { message: String(err) };
  const code = codeOf(e);
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  const where = context.endpoint ? words('connection.where.at', ' at __endpoint__', { endpoint: context.endpoint }) : '';
  const detail = serverDetail(e.message, code);
  const table = context.table;
  const make = (kind: ErrorKind, retryable: boolean, message: string): ErrorClass => ({
    kind,
    retryable,
    code,
    message: redact(message, context.secrets),
  });

  if (err instanceof ItemError) return make('validation', false, err.message);
  if (err instanceof TemplateSyntaxError) return make('validation', false, err.message);
  if (err instanceof ConnectorConfigError) return make('other', false, err.message);
  // Another server at the URL: treated as unreachable DynamoDB (writes wait, the health check says why).
  const foreign = notDynamoDbMessage(err, context.endpoint);
  if (foreign) return { ...make('network', true, foreign), notDynamo: true };
  if (THROTTLE.has(code) || status === 429) {
    const why = throttleReasonOf(err);
    if (why?.reason === 'key_range') {
      return {
        ...make(
          'throttle',
          true,
          words('connection.throttle.hotKey', 'DynamoDB__where__ throttled writes to one partition key (__code__: __reason__): a hot key; spread its writes over more keys', {
            where,
            code,
            reason: why.name,
          }),
        ),
        throttle: why.reason,
      };
    }
    const c = make(
      'throttle',
      true,
      words('connection.throttle.capacity', "DynamoDB__where__ throttled the request (__code__): raise the table's capacity or send less at once", {
        where,
        code: why ? `${code}: ${why.name}` : code,
      }),
    );
    if (why) c.throttle = why.reason;
    return c;
  }
  if (code === 'TransactionConflictException' || code === 'TransactionInProgressException') {
    // Another transaction on the item, or our own earlier attempt with the same token still
    // running: both pass, so the write is retried like a throttled one.
    return make('throttle', true, words('connection.throttle.transaction', 'DynamoDB__where__ could not run the transaction now (__error__)', { where, error: code + detail }));
  }
  if (TIMEOUT.has(code)) {
    return make(
      'timeout',
      true,
      context.requestTimeout
        ? words('connection.timeout.requestTimeout', 'no answer from DynamoDB__where__ within requestTimeout (__ms__ ms)', { where, ms: context.requestTimeout })
        : words('connection.timeout.noAnswer', 'no answer from DynamoDB__where__ in time', { where }),
    );
  }
  if (NETWORK.has(code) || /socket hang up/i.test(e.message ?? '')) {
    return make(
      'network',
      true,
      words('connection.network.unreachable', "cannot reach DynamoDB__where__: __problem__; check the connector's url and that DynamoDB is running", {
        where,
        problem: networkWords(code),
      }),
    );
  }
  if (code === 'ResourceNotFoundException') {
    return make(
      'not_found',
      false,
      table
        ? words('connection.notFound.table', 'table "__table__" not found__where__: create it, or fix the table name in the sink or connector', { table, where })
        : words('connection.notFound.anyTable', 'table not found__where__: create it, or fix the table name in the sink or connector', { where }),
    );
  }
  if (code === 'ConditionalCheckFailedException') {
    return make(
      'condition',
      false,
      table
        ? words('connection.condition.inTable', 'the condition on the item failed (ConditionalCheckFailedException) in table "__table__"', { table })
        : words('connection.condition.failed', 'the condition on the item failed (ConditionalCheckFailedException)'),
    );
  }
  if (code === 'CredentialsProviderError') {
    return make(
      'auth',
      false,
      words(
        'connection.auth.noCredentials',
        "no AWS credentials found: set the connector's access key ID and secret access key, or provide them through the environment, a shared profile or an instance role",
      ),
    );
  }
  if (AUTH.has(code) || status === 403) {
    return make(
      'auth',
      false,
      words(
        'connection.auth.refused',
        "DynamoDB__where__ refused the credentials (__error__): check the connector's access key ID, secret access key and session token",
        { where, error: code + detail },
      ),
    );
  }
  if (VALIDATION.has(code)) {
    return make(
      'validation',
      false,
      table
        ? words('connection.validation.forTable', 'DynamoDB rejected the request for table "__table__" (__error__)', { table, error: code + detail })
        : words('connection.validation.rejected', 'DynamoDB rejected the request (__error__)', { error: code + detail }),
    );
  }
  if (SERVER.has(code) || (status !== undefined && status >= 500) || e.$fault === 'server') {
    return make(
      'server',
      true,
      words('connection.server.error', 'DynamoDB__where__ answered with a server error (__error__)', {
        where,
        error: `${status ? `HTTP ${status} ` : ''}${code}${detail}`,
      }),
    );
  }
  return make('other', false, words('connection.other.failed', 'DynamoDB request failed__where__ (__error__)', { where, error: code + detail }));
}

/** The server's own words, short, without what signature errors echo back of the request. */
function serverDetail(message: string | undefined, code: string): string {
  if (!message || message === code || message === 'UnknownError') return '';
  const cut = message.split(/\n|The Canonical String|The String-to-Sign/)[0].trim();
  return cut ? `: ${cut.length > 300 ? `${cut.slice(0, 300)}…` : cut}` : '';
}

function redact(message: string, secrets: readonly string[] | undefined): string {
  let out = message;
  for (const secret of secrets ?? []) if (secret && secret.length >= 4) out = out.split(secret).join('***');
  return out;
}

/** The one-word cause of a classified error (ErrorCause), for the sink's status. */
export function errorCause(c: ErrorClass): ErrorCause {
  if (c.notDynamo) return 'notDynamo';
  switch (c.kind) {
    case 'not_found':
      return 'notFound';
    case 'auth':
      return 'credentials';
    case 'throttle':
      return c.throttle === 'key_range' ? 'hotKey' : 'throttled';
    case 'condition':
      return 'condition';
    case 'network':
    case 'timeout':
      return 'unreachable';
    case 'validation':
      return 'rejected';
    default:
      return 'error';
  }
}
