// The two outputs of the `aedes broker` node (node-red-contrib-aedes 0.6.0, aedes 0.46) as
// EMQX events (DESIGN.md section 3). Stateful: a per-client cache, filled when a client
// connects, holds what is gone by the time it disconnects (the remote address) and what
// earlier events said (an error, a keepalive timeout, the subscription table to diff).

import {
  Columns, NODE_NAME, clientConnectedColumns, clientDisconnectedColumns, emqxProps, messageId, payloadText, protoName,
  setHiddenColumn,
} from './columns';
import { AedesClientSnapshot, snapshotAedesClient } from './aedes-client';

/** The `msg.topic` values the aedes node sends on its first output. */
const EVENT_TOPICS = new Set([
  'client', 'clientReady', 'clientDisconnect', 'clientError', 'connectionError',
  'keepaliveTimeout', 'subscribe', 'unsubscribe',
]);

/** What the cache keeps per connected client: plain values only. */
interface ClientFacts extends Pick<
  AedesClientSnapshot, 'username' | 'peerhost' | 'peername' | 'sockname' | 'protoVer' | 'clean' | 'keepalive' | 'errored' | 'subscriptions' | 'tls'
> {
  clientid: string;
  connectedAt: number | undefined;
  connectedReported: boolean;
  keepaliveTimedOut: boolean;
  /** EMQX's disconnect reason for the error aedes reported before the close (clientError). */
  errorReason?: string;
}

// Enough for any broker a Node-RED instance runs; bounds the cache if disconnects are missed
// (for example when the first output is rewired while clients are connected).
const MAX_CACHED_CLIENTS = 100_000;

// MQTT 3.1.1 CONNACK return codes (aedes `errorCode`) under EMQX's reason names.
const CONNACK_REASONS: Record<number, string> = {
  1: 'unsupported_protocol_version',
  2: 'client_identifier_not_valid',
  3: 'server_unavailable',
  4: 'bad_username_or_password',
  5: 'not_authorized',
};

/** True when `msg` has the shape of a message from either output of the aedes node. */
export function isAedesMessage(msg: Record<string, unknown>): boolean {
  const payload = msg.payload as Record<string, unknown> | undefined;
  if (!payload || typeof payload !== 'object' || typeof msg.topic !== 'string') return false;
  if (msg.topic === 'publish') return isPacket(payload.packet) && 'client' in payload;
  return EVENT_TOPICS.has(msg.topic) && typeof payload.client === 'object' && payload.client !== null;
}

function isPacket(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && typeof (value as Record<string, unknown>).topic === 'string';
}

export class AedesEventMapper {
  private readonly clients = new Map<string, ClientFacts>();

  /** Number of clients in the cache (for tests and diagnostics). */
  get cachedClients(): number {
    return this.clients.size;
  }

  /** The events one aedes message stands for: zero, one, or several column maps. */
  columnsFrom(msg: Record<string, unknown>, now = Date.now()): Columns[] {
    const payload = msg.payload as Record<string, unknown>;
    if (msg.topic === 'publish') return this.publish(payload, now);
    const client = snapshotAedesClient(payload.client);
    const err = payload.err as { errorCode?: unknown; message?: unknown } | undefined;
    switch (msg.topic) {
      case 'client':
        // Emitted before CONNACK: only primes the cache, while the socket is still open.
        if (client.clientid !== undefined && !client.closed) this.remember(client);
        return [];
      case 'clientReady':
        return this.connected(client, now);
      case 'clientError': {
        const code = typeof err?.errorCode === 'number' ? err.errorCode : undefined;
        const facts = client.clientid === undefined ? undefined : this.clients.get(client.clientid);
        // A refused CONNECT (bad credentials) comes as clientError of a client never registered.
        if (!facts && code !== undefined && CONNACK_REASONS[code]) return [connackColumns(client, CONNACK_REASONS[code], now)];
        const known = facts ?? (client.clientid !== undefined && !client.closed ? this.remember(client) : undefined);
        if (known) {
          known.errored = true;
          known.errorReason ??= errorReason(err);
        }
        return [];
      }
      case 'keepaliveTimeout': {
        const facts = this.factsFor(client);
        if (facts) facts.keepaliveTimedOut = true;
        return [];
      }
      case 'connectionError': {
        const code = typeof err?.errorCode === 'number' ? err.errorCode : undefined;
        return [connackColumns(client, (code !== undefined && CONNACK_REASONS[code]) || 'unspecified_error', now)];
      }
      case 'clientDisconnect':
        return this.disconnected(client, now);
      case 'subscribe':
        return this.subscribed(client, payload, now);
      case 'unsubscribe':
        return this.unsubscribed(client, payload, now);
      default:
        return [];
    }
  }

  private remember(client: AedesClientSnapshot): ClientFacts {
    const clientid = client.clientid as string;
    const facts: ClientFacts = {
      clientid,
      username: client.username,
      peerhost: client.peerhost,
      peername: client.peername,
      sockname: client.sockname,
      protoVer: client.protoVer,
      clean: client.clean,
      keepalive: client.keepalive,
      tls: client.tls,
      connectedAt: undefined,
      connectedReported: false,
      keepaliveTimedOut: false,
      errored: false,
      // A clean session starts with no subscriptions; reading the table later could already
      // include a SUBSCRIBE whose event is still on its way.
      subscriptions: client.clean === false ? client.subscriptions : new Map(),
    };
    this.clients.delete(clientid);
    this.clients.set(clientid, facts);
    if (this.clients.size > MAX_CACHED_CLIENTS) {
      const oldest = this.clients.keys().next().value as string;
      this.clients.delete(oldest);
    }
    return facts;
  }

  /** The cached facts, completed from the snapshot, or new facts for a live client. */
  private factsFor(client: AedesClientSnapshot): ClientFacts | undefined {
    if (client.clientid === undefined) return undefined;
    const facts = this.clients.get(client.clientid);
    if (facts) {
      facts.username ??= client.username;
      facts.peerhost ??= client.peerhost;
      facts.peername ??= client.peername;
      facts.sockname ??= client.sockname;
      facts.protoVer ??= client.protoVer;
      facts.clean ??= client.clean;
      facts.keepalive ??= client.keepalive;
      return facts;
    }
    return client.closed ? undefined : this.remember(client);
  }

  private connected(client: AedesClientSnapshot, now: number): Columns[] {
    const facts = this.factsFor(client);
    if (!facts || facts.connectedReported) return [];
    facts.connectedReported = true;
    facts.connectedAt = now;
    const connected = clientConnectedColumns({
      clientid: facts.clientid,
      username: facts.username,
      mountpoint: undefined,
      peername: facts.peername,
      sockname: facts.sockname,
      proto_name: protoName(facts.protoVer),
      proto_ver: facts.protoVer ?? 4,
      keepalive: facts.keepalive ?? 0,
      clean_start: facts.clean ?? true,
      // EMQX reports its max_inflight (32 by default) for MQTT 3.1.1 clients.
      receive_maximum: 32,
      // Seconds. aedes keeps a persistent session until a clean connect: "never expires".
      expiry_interval: facts.clean === false ? 0xffffffff : 0,
    }, now);
    // EMQX runs the connack hook before the connected hook.
    return [connackColumns(client, 'success', now, facts), connected];
  }

  private disconnected(client: AedesClientSnapshot, now: number): Columns[] {
    if (client.clientid === undefined) return [];
    const facts = this.clients.get(client.clientid);
    this.clients.delete(client.clientid);
    // EMQX 5 (emqx_channel, emqx_cm, emqx_connection): `normal` after a DISCONNECT packet;
    // `keepalive_timeout`; a second connection with the same client id ends this one with
    // `discarded` when it asks for a clean start (emqx_cm:discard_session) and `takenover` when it
    // resumes the session; after an error the reason names it (a socket error's POSIX name such
    // as `econnreset`, `frame_error` for a packet that does not parse, ...); a socket the client
    // just closed is `tcp_closed` (`ssl_closed` over TLS).
    const reason = client.sentDisconnect ? 'normal'
      : facts?.keepaliveTimedOut ? 'keepalive_timeout'
      : client.replaced ? (client.replacedByClean === false ? 'takenover' : 'discarded')
      : facts?.errorReason ?? (client.tls || facts?.tls ? 'ssl_closed' : 'tcp_closed');
    const head: Columns = {
      reason,
      clientid: client.clientid,
      username: facts?.username ?? client.username,
      peername: facts?.peername ?? client.peername,
      sockname: facts?.sockname ?? client.sockname,
      proto_name: protoName(facts?.protoVer ?? client.protoVer),
      proto_ver: facts?.protoVer ?? client.protoVer ?? 4,
    };
    return [clientDisconnectedColumns(head, now, facts?.connectedAt)];
  }

  private subscribed(client: AedesClientSnapshot, payload: Record<string, unknown>, now: number): Columns[] {
    const facts = this.factsFor(client);
    if (!facts) return [];
    const added: Array<[string, number]> = [];
    if (typeof payload.topic === 'string') {
      // A broker version that names the subscription in the message.
      added.push([payload.topic, typeof payload.qos === 'number' ? payload.qos : 0]);
    } else {
      for (const [topic, qos] of client.subscriptions) {
        if (facts.subscriptions.get(topic) !== qos) added.push([topic, qos]);
      }
    }
    facts.subscriptions = client.subscriptions;
    return added.map(([topic, qos]) => subscriptionColumns('session.subscribed', facts, topic, qos, now));
  }

  private unsubscribed(client: AedesClientSnapshot, payload: Record<string, unknown>, now: number): Columns[] {
    // aedes unsubscribes everything when a clean session closes; EMQX reports no
    // session.unsubscribed for a session that ends.
    if (client.closed || client.clientid === undefined) return [];
    const facts = this.clients.get(client.clientid);
    if (!facts) return [];
    const removed: Array<[string, number]> = [];
    if (typeof payload.topic === 'string') {
      removed.push([payload.topic, facts.subscriptions.get(payload.topic) ?? 0]);
    } else {
      for (const [topic, qos] of facts.subscriptions) {
        if (!client.subscriptions.has(topic)) removed.push([topic, qos]);
      }
    }
    facts.subscriptions = client.subscriptions;
    return removed.map(([topic, qos]) => subscriptionColumns('session.unsubscribed', facts, topic, qos, now));
  }

  private publish(payload: Record<string, unknown>, now: number): Columns[] {
    const packet = payload.packet as Record<string, unknown>;
    const topic = packet.topic as string;
    const hasClient = !!payload.client && typeof payload.client === 'object';
    // The broker's own $SYS messages (heartbeat, new/clients, ...): EMQX's default
    // rule_engine.ignore_sys_message keeps them away from rules.
    if (!hasClient && topic.startsWith('$SYS/')) return [];
    const client = hasClient ? snapshotAedesClient(payload.client) : undefined;
    const facts = client?.clientid === undefined ? undefined : this.clients.get(client.clientid);
    const columns: Columns = {
      id: messageId(),
      clientid: client?.clientid,
      username: facts?.username ?? client?.username,
      payload: payloadText(packet.payload),
      peerhost: facts?.peerhost ?? client?.peerhost,
      topic,
      qos: packet.qos === 1 || packet.qos === 2 ? packet.qos : 0,
      flags: { retain: packet.retain === true, dup: packet.dup === true },
      pub_props: emqxProps(packet.properties as Record<string, unknown> | undefined),
      publish_received_at: now,
      event: 'message.publish',
      timestamp: now,
      node: NODE_NAME,
    };
    setHiddenColumn(columns, 'peername', facts?.peername ?? client?.peername);
    setHiddenColumn(columns, 'client_attrs', {});
    return [columns];
  }
}

/**
 * EMQX's client.disconnected reason for an error aedes reports (clientError) before it closes a
 * connection. EMQX: a socket error ends the connection with the error's own name
 * (`{sock_error, econnreset}` → `econnreset`); a second CONNECT is `protocol_error`; a PUBLISH
 * to an invalid topic name `topic_name_invalid`; a packet that does not parse `frame_error`.
 */
export function errorReason(err: { code?: unknown; message?: unknown } | undefined): string {
  if (err && typeof err.code === 'string' && /^E[A-Z0-9]+$/.test(err.code)) return err.code.toLowerCase();
  const message = typeof err?.message === 'string' ? err.message : '';
  if (message === 'Invalid protocol') return 'protocol_error';
  if (/ (is )?not allowed in PUBLISH$/.test(message)) return 'topic_name_invalid';
  return 'frame_error';
}

function connackColumns(client: AedesClientSnapshot, reasonCode: string, now: number, facts?: ClientFacts): Columns {
  const clean = facts?.clean ?? client.clean ?? true;
  return {
    reason_code: reasonCode,
    clientid: client.clientid,
    clean_start: clean,
    username: facts?.username ?? client.username,
    peername: facts?.peername ?? client.peername,
    sockname: facts?.sockname ?? client.sockname,
    proto_name: protoName(facts?.protoVer ?? client.protoVer),
    proto_ver: facts?.protoVer ?? client.protoVer ?? 4,
    keepalive: facts?.keepalive ?? client.keepalive ?? 0,
    // Raw milliseconds here, unlike client.connected (EMQX passes ConnInfo through).
    expiry_interval: clean ? 0 : 0xffffffff * 1000,
    connected_at: reasonCode === 'success' ? now : undefined,
    conn_props: { 'User-Property': {} },
    event: 'client.connack',
    timestamp: now,
    node: NODE_NAME,
  };
}

function subscriptionColumns(event: string, facts: ClientFacts, topic: string, qos: number, now: number): Columns {
  const columns: Columns = {
    clientid: facts.clientid,
    username: facts.username,
    peerhost: facts.peerhost,
    topic,
    qos,
    [event === 'session.subscribed' ? 'sub_props' : 'unsub_props']: { 'User-Property': {} },
    event,
    timestamp: now,
    node: NODE_NAME,
  };
  setHiddenColumn(columns, 'peername', facts.peername);
  setHiddenColumn(columns, 'client_attrs', {});
  return columns;
}

/**
 * Replaces the live client object in an aedes message with a plain `{ id }`, so that nothing
 * downstream (a Catch node getting the message of a failed rule) deep-clones the broker.
 */
export function detachAedesClient(msg: Record<string, unknown>): void {
  const payload = msg.payload as Record<string, unknown> | undefined;
  if (!payload || typeof payload !== 'object' || !payload.client || typeof payload.client !== 'object') return;
  let id: unknown;
  try {
    id = (payload.client as Record<string, unknown>).id;
  } catch {
    id = undefined;
  }
  payload.client = { id: typeof id === 'string' ? id : undefined };
}
