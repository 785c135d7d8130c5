// An endpoint that answers HTTP but is not DynamoDB (the URL of Node-RED's own editor, a web
// server, a proxy's page): the SDK then fails to read the answer as DynamoDB's JSON and throws a
// deserialization error (`SyntaxError: Unexpected token '<'`) carrying the raw `$response`.
// That is worded here as what it is, naming the URL, the HTTP status and the content type.
import { words } from '../../words';

interface RawAnswer {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
}

/** What DynamoDB answers with (its JSON protocol); anything else came from another server. */
const DYNAMODB_CONTENT_TYPE = /^application\/(x-amz-json-1\.[01]|json)\b/i;

/**
 * The user's words for an answer that did not come from DynamoDB, e.g.
 * `http://127.0.0.1:1880 answered, but it is not DynamoDB (HTTP 404, text/html): ...`;
 * undefined for any other error. `endpoint` as describeEndpoint gives it (`url (region r)`).
 */
export function notDynamoDbMessage(err: unknown, endpoint?: string): string | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as RawAnswer;
  const response = e.$response;
  if (!response || typeof response !== 'object') return undefined;
  const status = response.statusCode ?? e.$metadata?.httpStatusCode;
  // A 5xx page (a proxy in front of DynamoDB, a brief outage) is a server error, retried as such.
  if (status !== undefined && status >= 500) return undefined;
  const contentType = headerOf(response.headers, 'content-type');
  // DynamoDB's own content type with a body that does not parse is DynamoDB cut short (a stalled
  // or dropped answer: a timeout or a network error, classified as such), not another server.
  if (contentType !== undefined && DYNAMODB_CONTENT_TYPE.test(contentType)) return undefined;
  const unreadable = e.name === 'SyntaxError' || /Deserialization error/i.test(e.message ?? '');
  if (!unreadable && contentType === undefined) return undefined;
  // describeEndpoint's `url (region r)`, in whichever language it was worded: the URL alone.
  const url = endpoint ? endpoint.replace(/ \([^()]*\)$/, '') : words('connection.notDynamo.theEndpoint', 'the endpoint');
  const what = [status !== undefined ? `HTTP ${status}` : undefined, contentType?.split(';')[0].trim() || undefined].filter(Boolean).join(', ');
  return words(
    'connection.notDynamo.answered',
    "__url__ answered, but it is not DynamoDB__what__: check the connector's URL (DynamoDB Local listens on port 8000 by default; leave it empty for AWS)",
    { url, what: what ? ` (${what})` : '' },
  );
}

function headerOf(headers: Record<string, string | undefined> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}
