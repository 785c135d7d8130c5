// A deadline over the whole DynamoDB call, response body included (DESIGN.md 6: "every call to
// DynamoDB, health checks included, has a deadline over the whole call, body included").
//
// Why a handler of our own: @smithy/node-http-handler's `requestTimeout` is cleared as soon as
// the response headers arrive (its `resolve` clears every timer before the SDK reads the body),
// so a body that stalls after its headers pins the call, its writes and its pooled socket
// forever. Its `socketTimeout` only measures inactivity, so a body that trickles never ends.
// This handler keeps one timer from the start of the call until the body has been read:
// before the headers it aborts the request (the SDK's AbortSignal path destroys the request and
// its socket); after them it destroys the body stream with a TimeoutError, which destroys the
// socket (an IncomingMessage destroyed before it is complete destroys its socket), so the
// agent frees the pool slot, and the SDK's body collector rejects with that error.
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import { NodeHttpHandler, type NodeHttpHandlerOptions } from '@smithy/node-http-handler';

type HandleArgs = Parameters<NodeHttpHandler['handle']>;
type HandleResult = Awaited<ReturnType<NodeHttpHandler['handle']>>;
type HttpHandlerOptions = NonNullable<HandleArgs[1]>;

/** The error of a call that did not complete, body included, within its deadline. */
export class CallTimeoutError extends Error {
  /** The SDK's and Node's name for timeouts: classifyError treats it as a retryable timeout. */
  readonly code = 'ETIMEDOUT';
  constructor(readonly timeoutMs: number, phase: 'before the response headers' | 'while reading the response body') {
    super(`DynamoDB did not complete the call within ${timeoutMs} ms (requestTimeout; stalled ${phase})`);
    this.name = 'TimeoutError';
  }
}

export interface DeadlineHandlerOptions extends NodeHttpHandlerOptions {
  /** ms from the start of a call until its response body has been read (requestTimeout). */
  requestTimeout: number;
}

export class DeadlineHttpHandler extends NodeHttpHandler {
  private readonly deadlineMs: number;

  constructor(options: DeadlineHandlerOptions) {
    super(options);
    this.deadlineMs = options.requestTimeout;
  }

  override async handle(request: HandleArgs[0], options: HttpHandlerOptions = {}): Promise<HandleResult> {
    const ms = options.requestTimeout ?? this.deadlineMs;
    if (!(ms > 0)) return super.handle(request, options);
    const controller = new AbortController();
    const outer = options.abortSignal as AbortSignal | undefined;
    let body: http.IncomingMessage | undefined;
    let timedOut: CallTimeoutError | undefined;
    const timer = setTimeout(() => {
      if (body) {
        timedOut = new CallTimeoutError(ms, 'while reading the response body');
        body.destroy(timedOut);
      } else {
        timedOut = new CallTimeoutError(ms, 'before the response headers');
        controller.abort(timedOut);
      }
    }, ms);
    // Never keeps Node-RED from exiting; the call's own socket does that while it matters.
    timer.unref();
    // The caller's abort (the writer's requestTtl): before the headers it aborts the request,
    // after them it ends the body.
    const onOuterAbort = () => {
      if (body) body.destroy(abortError(outer!));
      else controller.abort((outer as AbortSignal & { reason?: unknown }).reason);
    };
    if (outer?.aborted) onOuterAbort();
    else outer?.addEventListener?.('abort', onOuterAbort, { once: true });
    const finished = () => {
      clearTimeout(timer);
      outer?.removeEventListener?.('abort', onOuterAbort);
    };
    try {
      const out = await super.handle(request, { ...options, abortSignal: controller.signal });
      const stream = out.response.body as http.IncomingMessage | undefined;
      if (stream && typeof stream.once === 'function' && !stream.readableEnded && !stream.destroyed) {
        body = stream;
        // Until the SDK has read the body (or it failed), the deadline and the caller's abort stay armed.
        stream.once('end', finished);
        stream.once('close', finished);
        stream.once('error', finished);
      } else {
        finished();
      }
      return out;
    } catch (err) {
      finished();
      throw timedOut ?? err;
    }
  }
}

function abortError(signal: AbortSignal): Error {
  const reason = (signal as AbortSignal & { reason?: unknown }).reason;
  if (reason instanceof Error) return reason;
  return Object.assign(new Error('Request aborted'), { name: 'AbortError' });
}

// The connector's socket pool (keep-alive, at most `maxSockets` per endpoint), for http and https.
//
// Why agents of our own rather than the SDK's (it builds the same from plain options): a call
// whose deadline passes while it still waits in the agent's queue for a free socket must not
// leave a connection behind. When a stalled call's socket is destroyed, the agent opens a new
// socket for the first queued request, even one already destroyed; that request then hands the
// socket back as 'free'. Node 20 and 22 close it there (the socket has no request attached).
// Node 24 attaches the request to the socket as soon as it is offered (ClientRequest.onSocket
// sets socket._httpMessage), so the agent takes it for a finished keep-alive request and parks
// a connection that never carried a request in its free pool, open until the server's idle
// timeout. keepSocketAlive is the agent's documented hook for that decision: a socket that has
// written nothing carried no request and is closed, on every Node version.
function keepOnlyUsedSockets<T extends new (...args: any[]) => http.Agent>(Base: T) {
  return class extends Base {
    // Node reads the result as a boolean (falsy: destroy the socket); @types/node says void.
    override keepSocketAlive(socket: Socket): boolean {
      if (socket.bytesWritten === 0) return false;
      return super.keepSocketAlive(socket) as unknown as boolean;
    }
  };
}
const PoolAgent = keepOnlyUsedSockets(http.Agent);
const TlsPoolAgent = keepOnlyUsedSockets(https.Agent);

/** The http and https agents of one client: keep-alive, at most `maxSockets` sockets per endpoint. */
export function createPoolAgents(maxSockets: number): { httpAgent: http.Agent; httpsAgent: https.Agent } {
  const options = { keepAlive: true, maxSockets };
  return { httpAgent: new PoolAgent(options), httpsAgent: new TlsPoolAgent(options) as https.Agent };
}
