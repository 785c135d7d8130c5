// A Status node's message about an `mqtt in` / `mqtt out` node as client.connected /
// client.disconnected of that node's own MQTT client (DESIGN.md section 3). Coarse by
// nature: Node-RED reports a status change, not the CONNECT or the reason of a close.

import { Columns, clientConnectedColumns, clientDisconnectedColumns, protoName } from './columns';

/** What the Node-RED runtime knows about the MQTT client behind an mqtt node. */
export interface MqttNodeClient {
  /** Id of the `mqtt-broker` config node: several mqtt nodes share one client. */
  brokerId: string;
  clientid: string | undefined;
  username: string | undefined;
  protoVer: number;
  keepalive: number;
  clean: boolean;
  /** This side of the connection, as the broker sees it (`ip:port`). */
  peername: string | undefined;
  /** The broker's address (`host:port`). */
  sockname: string | undefined;
}

export type DescribeMqttNode = (nodeId: string) => MqttNodeClient | undefined;

const MQTT_NODE_TYPES = new Set(['mqtt in', 'mqtt out']);

interface StatusSource {
  id?: unknown;
  type?: unknown;
  name?: unknown;
}

/** True for a message from a Status node (`msg.status` with a `source`). */
export function isStatusMessage(msg: Record<string, unknown>): boolean {
  const status = msg.status as Record<string, unknown> | undefined;
  return !!status && typeof status === 'object' && !!status.source && typeof status.source === 'object';
}

/** `connected`, `disconnected`, or undefined for any other status (connecting, ...). */
export function connectionState(text: unknown): 'connected' | 'disconnected' | undefined {
  if (typeof text !== 'string') return undefined;
  // The mqtt nodes report i18n keys (`node-red:common.status.connected`); accept the
  // translated words too.
  const last = text.trim().toLowerCase().split(/[.:\s]/).pop();
  return last === 'connected' || last === 'disconnected' ? last : undefined;
}

/**
 * Turns status messages into connection events, once per change of the shared client:
 * three mqtt nodes on one broker connection report three statuses but one connect.
 */
export class StatusEventMapper {
  private readonly state = new Map<string, { connected: boolean; connectedAt: number; client: MqttNodeClient }>();

  constructor(private readonly describe: DescribeMqttNode) {}

  columnsFrom(msg: Record<string, unknown>, now = Date.now()): Columns[] {
    const status = msg.status as { text?: unknown; source?: StatusSource };
    const source = status.source ?? {};
    if (typeof source.id !== 'string' || !MQTT_NODE_TYPES.has(String(source.type))) return [];
    const state = connectionState(status.text);
    if (!state) return [];
    const client = this.describe(source.id);
    if (!client) return [];
    const previous = this.state.get(client.brokerId);
    if (state === 'connected') {
      if (previous?.connected) return [];
      this.state.set(client.brokerId, { connected: true, connectedAt: now, client });
      return [columnsFromStatus(client, 'connected', now)];
    }
    // A disconnect is only news after a connect this mapper saw.
    if (!previous?.connected) return [];
    this.state.set(client.brokerId, { ...previous, connected: false });
    // The socket addresses are gone once the connection closed: use those seen at connect.
    const known = { ...client, peername: client.peername ?? previous.client.peername, sockname: client.sockname ?? previous.client.sockname };
    return [columnsFromStatus(known, 'disconnected', now, previous.connectedAt)];
  }
}

/** The columns of one connection change of an mqtt node's client. */
export function columnsFromStatus(
  client: MqttNodeClient, state: 'connected' | 'disconnected', now = Date.now(), connectedAt?: number,
): Columns {
  const base = {
    clientid: client.clientid,
    username: client.username,
    peername: client.peername,
    sockname: client.sockname,
    proto_name: protoName(client.protoVer),
    proto_ver: client.protoVer,
  };
  if (state === 'connected') {
    return clientConnectedColumns({
      ...base,
      mountpoint: undefined,
      keepalive: client.keepalive,
      clean_start: client.clean,
      receive_maximum: 32,
      expiry_interval: 0,
    }, now);
  }
  // Node-RED does not say why; a dropped connection is the common case, which EMQX names
  // `tcp_closed` (emqx_connection: {tcp_closed, Socket}).
  return clientDisconnectedColumns({ ...base, reason: 'tcp_closed' }, now, connectedAt);
}
