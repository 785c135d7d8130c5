// What the Node-RED runtime knows about the MQTT client behind an `mqtt in` / `mqtt out`
// node (its `mqtt-broker` config node, 10-mqtt.js), for Status-node events.

import type { NodeAPI } from 'node-red';
import { DescribeMqttNode, MqttNodeClient } from '../events';
import { hostPort } from '../events/columns';

type Bag = Record<string, unknown>;

export function mqttNodeDescriber(RED: NodeAPI): DescribeMqttNode {
  return (nodeId: string): MqttNodeClient | undefined => {
    const node = RED.nodes.getNode(nodeId) as unknown as Bag | null;
    const broker = node?.brokerConn as Bag | undefined;
    if (!broker || typeof broker.id !== 'string') return undefined;
    const options = (broker.options ?? {}) as Bag;
    const stream = ((broker.client as Bag | undefined)?.stream ?? {}) as Bag;
    const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
    return {
      brokerId: broker.id,
      clientid: text(options.clientId) ?? text(broker.clientid),
      username: text(options.username),
      protoVer: Number(options.protocolVersion ?? 4),
      keepalive: Number(options.keepalive ?? broker.keepalive ?? 60),
      clean: options.clean !== false,
      peername: hostPort(text(stream.localAddress), num(stream.localPort)),
      sockname: hostPort(text(stream.remoteAddress), num(stream.remotePort)) ?? brokerAddress(text(broker.brokerurl)),
    };
  };
}

function brokerAddress(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.port ? `${parsed.hostname}:${parsed.port}` : parsed.hostname;
  } catch {
    return undefined;
  }
}
