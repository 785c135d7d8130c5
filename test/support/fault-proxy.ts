// A fault-injecting HTTP proxy between the AWS SDK and a real DynamoDB server (127.0.0.1 only).
// DynamoDB Local never throttles, fails with 5xx or leaves items unprocessed; this proxy makes
// those faults happen on purpose, per rule or by probability, and counts what it did.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy can do to one request instead of (or around) forwarding it. */
export type FaultAction =
  | 'throughput' // 400 ProvisionedThroughputExceededException
  | 'throttling' // 400 ThrottlingException
  | 'request-limit' // 400 RequestLimitExceeded
  | 'server-error' // 500 InternalServerError
  | 'unavailable' // 503 ServiceUnavailable
  | 'reset' // destroy the socket before forwarding
  | 'reset-after' // forward, then destroy the socket instead of answering (the write happened)
  | 'delay' // wait `delayMs`, then forward
  | 'hang' // accept the request and never answer (the socket stays open until the client gives up)
  | 'stall-body' // forward, answer the headers and half the body, then send nothing more
  | 'drop-mid-response' // forward, answer the headers and half the body, then destroy the connection
  | 'partial' // BatchWriteItem: forward a part, answer the rest as UnprocessedItems
  | 'validation' // 400 ValidationException
  | 'condition-failed' // 400 ConditionalCheckFailedException
  | 'unrecognized-client' // 400 UnrecognizedClientException (credentials refused)
  | 'access-denied'; // 400 AccessDeniedException

export interface RequestInfo {
  /** e.g. `BatchWriteItem`, from the X-Amz-Target header. */
  operation: string;
  body: string;
  /** The SigV4 Authorization header (names the access key ID). */
  authorization: string;
}

export interface FaultRule {
  /** The fault; with a list, one is picked at random for each request the rule hits. */
  action: FaultAction | FaultAction[];
  /** Only requests for these operations (e.g. ['BatchWriteItem']); all when absent. */
  operations?: string[];
  /** Only requests whose body passes this test. */
  when?: (req: RequestInfo) => boolean;
  /** Chance in [0, 1] that a matching request gets the fault; 1 when absent. */
  probability?: number;
  /** Stop after this many faults. */
  times?: number;
  /** For `delay`. */
  delayMs?: number;
}

const ERROR_TYPES: Partial<Record<FaultAction, { status: number; type: string }>> = {
  throughput: { status: 400, type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException' },
  throttling: { status: 400, type: 'com.amazon.coral.availability#ThrottlingException' },
  'request-limit': { status: 400, type: 'com.amazonaws.dynamodb.v20120810#RequestLimitExceeded' },
  'server-error': { status: 500, type: 'com.amazonaws.dynamodb.v20120810#InternalServerError' },
  unavailable: { status: 503, type: 'com.amazonaws.dynamodb.v20120810#ServiceUnavailable' },
  validation: { status: 400, type: 'com.amazon.coral.validate#ValidationException' },
  'condition-failed': { status: 400, type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException' },
  'unrecognized-client': { status: 400, type: 'com.amazon.coral.service#UnrecognizedClientException' },
  'access-denied': { status: 400, type: 'com.amazon.coral.service#AccessDeniedException' },
};

export interface FaultProxy {
  /** e.g. `http://127.0.0.1:40123`: give this to the SDK as the endpoint. */
  url: string;
  /** Faults done so far, by action, and requests passed through untouched. */
  counts: Record<FaultAction | 'forwarded', number>;
  /** Requests seen, by operation. */
  operations: Record<string, number>;
  /** Requests being handled now, and the most at once so far. */
  active: number;
  maxActive: number;
  /** The most requests of one operation (e.g. BatchWriteItem) at once. */
  maxActiveOf: Record<string, number>;
  rules: FaultRule[];
  /** Client connections open now (a socket the client frees shows up here as closed). */
  connections(): number;
  setRules(rules: FaultRule[]): void;
  stop(): Promise<void>;
}

interface BatchWriteBody {
  RequestItems: Record<string, unknown[]>;
  [key: string]: unknown;
}

export async function startFaultProxy(targetUrl: string, rules: FaultRule[] = []): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const counts = {
    forwarded: 0,
  } as Record<FaultAction | 'forwarded', number>;
  for (const action of Object.keys(ERROR_TYPES).concat(['reset', 'reset-after', 'delay', 'partial', 'hang', 'stall-body', 'drop-mid-response'])) {
    counts[action as FaultAction] = 0;
  }
  const operations: Record<string, number> = {};
  const sockets = new Set<import('node:net').Socket>();
  const activeOf: Record<string, number> = {};
  const proxy: FaultProxy = {
    url: '',
    counts,
    operations,
    active: 0,
    maxActive: 0,
    maxActiveOf: {},
    rules,
    connections: () => sockets.size,
    setRules(next) {
      proxy.rules = next;
    },
    stop: async () => undefined,
  };

  function pickRule(info: RequestInfo): FaultRule | undefined {
    for (const rule of proxy.rules) {
      if (rule.times !== undefined && rule.times <= 0) continue;
      if (rule.operations && !rule.operations.includes(info.operation)) continue;
      if (rule.when && !rule.when(info)) continue;
      if (rule.probability !== undefined && Math.random() >= rule.probability) continue;
      if (rule.times !== undefined) rule.times -= 1;
      return rule;
    }
    return undefined;
  }

  function forward(
    req: http.IncomingMessage,
    body: string,
    onAnswer: (status: number, headers: http.IncomingHttpHeaders, text: string) => void,
    onError: (err: Error) => void,
  ): void {
    const headers = { ...req.headers, host: target.host, 'content-length': String(Buffer.byteLength(body)) };
    const out = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => onAnswer(res.statusCode ?? 502, res.headers, Buffer.concat(chunks).toString()));
        res.on('error', onError);
      },
    );
    out.on('error', onError);
    out.end(body);
  }

  function answer(res: http.ServerResponse, status: number, headers: http.IncomingHttpHeaders, text: string): void {
    const clean: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers)) {
      // The body may have been rewritten: its checksum and length no longer hold.
      if (['x-amz-crc32', 'content-length', 'transfer-encoding', 'connection'].includes(name)) continue;
      if (value !== undefined) clean[name] = value;
    }
    clean['content-length'] = String(Buffer.byteLength(text));
    res.writeHead(status, clean);
    res.end(text);
  }

  /**
   * The real answer's status, headers and first half of its body (at least one byte short of
   * Content-Length), then: nothing more (`stall-body`) or a destroyed connection (`drop-mid-response`).
   */
  function answerPart(res: http.ServerResponse, status: number, headers: http.IncomingHttpHeaders, text: string, drop: boolean) {
    const clean: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers)) {
      if (['content-length', 'transfer-encoding', 'connection'].includes(name)) continue;
      if (value !== undefined) clean[name] = value;
    }
    const bytes = Buffer.from(text);
    clean['content-length'] = String(bytes.length);
    res.writeHead(status, clean);
    res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
    if (drop) setTimeout(() => res.socket?.destroy(), 20);
  }

  function answerError(res: http.ServerResponse, action: FaultAction): void {
    const spec = ERROR_TYPES[action]!;
    const text = JSON.stringify({ __type: spec.type, message: `fault proxy: injected ${action}` });
    answer(res, spec.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'fault-proxy' }, text);
  }

  /** Forwards about half of each table's writes; the rest comes back as UnprocessedItems. */
  function forwardPart(req: http.IncomingMessage, res: http.ServerResponse, body: string, fail: (e: Error) => void) {
    const parsed = JSON.parse(body) as BatchWriteBody;
    const sent: Record<string, unknown[]> = {};
    const held: Record<string, unknown[]> = {};
    let total = 0;
    for (const [table, writes] of Object.entries(parsed.RequestItems)) {
      const keep = Math.floor(writes.length / 2);
      if (keep > 0) sent[table] = writes.slice(0, keep);
      held[table] = writes.slice(keep);
      total += keep;
    }
    const finish = (status: number, headers: http.IncomingHttpHeaders, text: string) => {
      if (status !== 200) return answer(res, status, headers, text);
      const out = JSON.parse(text || '{}') as { UnprocessedItems?: Record<string, unknown[]> };
      const unprocessed = out.UnprocessedItems ?? {};
      for (const [table, writes] of Object.entries(held)) {
        unprocessed[table] = (unprocessed[table] ?? []).concat(writes);
      }
      out.UnprocessedItems = unprocessed;
      answer(res, 200, headers, JSON.stringify(out));
    };
    if (total === 0) {
      finish(200, { 'content-type': 'application/x-amz-json-1.0' }, '{}');
      return;
    }
    forward(req, JSON.stringify({ ...parsed, RequestItems: sent }), finish, fail);
  }

  const server = http.createServer((req, res) => {
    proxy.active += 1;
    proxy.maxActive = Math.max(proxy.maxActive, proxy.active);
    const targetHeader = String(req.headers['x-amz-target'] ?? '');
    const operation = targetHeader.slice(targetHeader.indexOf('.') + 1);
    activeOf[operation] = (activeOf[operation] ?? 0) + 1;
    proxy.maxActiveOf[operation] = Math.max(proxy.maxActiveOf[operation] ?? 0, activeOf[operation]);
    let counted = true;
    const done = () => {
      if (counted) {
        proxy.active -= 1;
        activeOf[operation] -= 1;
      }
      counted = false;
    };
    res.on('close', done);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      operations[operation] = (operations[operation] ?? 0) + 1;
      const fail = () => res.socket?.destroy();
      const pass = () =>
        forward(req, body, (status, headers, text) => answer(res, status, headers, text), fail);
      const rule = pickRule({ operation, body, authorization: String(req.headers.authorization ?? '') });
      if (!rule) {
        counts.forwarded += 1;
        pass();
        return;
      }
      const action = Array.isArray(rule.action)
        ? rule.action[Math.floor(Math.random() * rule.action.length)]
        : rule.action;
      counts[action] += 1;
      switch (action) {
        case 'reset':
          req.socket.destroy();
          return;
        case 'reset-after':
          forward(req, body, () => req.socket.destroy(), fail);
          return;
        case 'delay':
          setTimeout(pass, rule.delayMs ?? 1000);
          return;
        case 'hang':
          // Nothing: the request stays open until the client destroys it or the proxy stops.
          return;
        case 'stall-body':
        case 'drop-mid-response':
          forward(req, body, (status, headers, text) => answerPart(res, status, headers, text, action === 'drop-mid-response'), fail);
          return;
        case 'partial':
          if (operation !== 'BatchWriteItem') {
            counts.partial -= 1;
            counts.forwarded += 1;
            pass();
            return;
          }
          forwardPart(req, res, body, fail);
          return;
        default:
          answerError(res, action);
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  Object.assign(proxy, await listenOnLoopback(server, agent));
  return proxy;
}

/**
 * Starts a test proxy's server on a free 127.0.0.1 port. `stop` closes every connection, its
 * own and those of `agent` (the upstream pool), so that a test leaves nothing open.
 */
export async function listenOnLoopback(server: http.Server, agent: http.Agent): Promise<{ url: string; stop(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
