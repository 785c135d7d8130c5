// Reads what the rule columns need from a live aedes client object (node-red-contrib-aedes
// 0.6.0 passes it in every message), all at once, into plain values. The object is never
// kept: it references the broker, its socket and every other client, and Node-RED
// deep-clones whatever is forwarded.

import { hostPort, normaliseHost } from './columns';

/** Everything about one aedes client at one moment, as plain values. */
export interface AedesClientSnapshot {
  clientid: string | undefined;
  /** Set by the aedes node only when the broker has credentials. */
  username: string | undefined;
  peerhost: string | undefined;
  peername: string | undefined;
  sockname: string | undefined;
  /** 3 (MQTT 3.1) or 4 (MQTT 3.1.1); aedes 0.46 refuses MQTT 5. */
  protoVer: number | undefined;
  clean: boolean | undefined;
  /** Seconds; undefined when not (or no longer) known. */
  keepalive: number | undefined;
  closed: boolean;
  /** The client sent a DISCONNECT packet. */
  sentDisconnect: boolean;
  errored: boolean;
  /** Another connection with the same client id now holds the registration. */
  replaced: boolean;
  /** The clean flag of that other connection (EMQX: true discards the session, false takes it over). */
  replacedByClean: boolean | undefined;
  /** The connection is TLS (EMQX names a closed TLS socket `ssl_closed`, a TCP one `tcp_closed`). */
  tls: boolean;
  /** Topic filter → granted QoS. */
  subscriptions: Map<string, number>;
}

type Bag = Record<string, unknown>;

export function snapshotAedesClient(client: unknown): AedesClientSnapshot {
  const c = (client && typeof client === 'object' ? client : {}) as Bag;
  const conn = read(() => c.conn) as Bag | undefined;
  const req = read(() => c.req) as Bag | undefined;
  const reqSocket = read(() => req?.socket) as Bag | undefined;
  const remoteAddress = firstString(
    read(() => conn?.remoteAddress), read(() => reqSocket?.remoteAddress), read(() => (conn?.socket as Bag)?.remoteAddress));
  const remotePort = firstNumber(
    read(() => conn?.remotePort), read(() => reqSocket?.remotePort), read(() => (conn?.socket as Bag)?.remotePort));
  const localAddress = firstString(read(() => conn?.localAddress), read(() => reqSocket?.localAddress));
  const localPort = firstNumber(read(() => conn?.localPort), read(() => reqSocket?.localPort));
  const id = read(() => c.id);
  const clientid = typeof id === 'string' ? id : undefined;
  const interval = read(() => c._keepaliveInterval);
  const registered = read(() => ((c.broker as Bag)?.clients as Bag)?.[clientid ?? '']);
  const user = read(() => c.user);
  const version = read(() => c.version);
  const clean = read(() => c.clean);
  return {
    clientid,
    username: typeof user === 'string' ? user : undefined,
    peerhost: normaliseHost(remoteAddress),
    peername: hostPort(remoteAddress, remotePort),
    sockname: hostPort(localAddress, localPort),
    protoVer: typeof version === 'number' ? version : undefined,
    clean: typeof clean === 'boolean' ? clean : undefined,
    // aedes stores keepalive * 1500 + 1 ms (MQTT-3.1.2-24), and -1 once the client closed.
    keepalive: typeof interval === 'number' && interval > 0 ? Math.round((interval - 1) / 1500) : undefined,
    closed: read(() => c.closed) === true,
    sentDisconnect: read(() => c._disconnected) === true,
    errored: read(() => c.errored) === true,
    replaced: registered !== undefined && registered !== null && registered !== client,
    replacedByClean: registered && registered !== client ? booleanOr(read(() => (registered as Bag).clean)) : undefined,
    tls: read(() => conn?.encrypted) === true,
    subscriptions: subscriptionsOf(read(() => c.subscriptions)),
  };
}

function subscriptionsOf(value: unknown): Map<string, number> {
  const subscriptions = new Map<string, number>();
  if (value && typeof value === 'object') {
    for (const topic of Object.keys(value)) {
      const qos = read(() => ((value as Bag)[topic] as Bag)?.qos);
      subscriptions.set(topic, typeof qos === 'number' ? qos : 0);
    }
  }
  return subscriptions;
}

// A cloned or half-destroyed socket can throw from its getters (a copied libuv handle is an
// illegal receiver); a field that cannot be read is simply unknown.
function read(get: () => unknown): unknown {
  try {
    return get();
  } catch {
    return undefined;
  }
}

function firstString(...values: unknown[]): string | undefined {
  for (const v of values) if (typeof v === 'string' && v !== '') return v;
  return undefined;
}

function firstNumber(...values: unknown[]): number | undefined {
  for (const v of values) if (typeof v === 'number' && Number.isFinite(v)) return v;
  return undefined;
}

function booleanOr(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}
