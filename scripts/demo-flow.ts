// The flow `npm start` deploys: the seed's two rules (message storage, event recording) fed by an
// embedded aedes broker and written to one table through one connector. Node ids are fixed so a
// second start finds its own nodes instead of adding a copy.
import { CONNECTOR_DEFAULTS } from '../src/dynamo/connection/connector';
import { SINK_DEFAULTS } from '../src/nodes/dynamodb-sink/config';
import type { DemoConfig } from './demo-config';

export const DEMO_IDS = {
  tab: 'demo.tab',
  comment: 'demo.comment',
  broker: 'demo.broker',
  messagesRule: 'demo.rule.messages',
  eventsRule: 'demo.rule.events',
  messagesSink: 'demo.sink.messages',
  eventsSink: 'demo.sink.events',
  debug: 'demo.debug',
  connector: 'demo.connector',
} as const;

/** The seed's statements, verbatim. */
export const SEED_MESSAGE_SQL = 'SELECT\n  *\nFROM\n  "t/#"';
export const SEED_EVENT_SQL =
  'SELECT\n  str(event) + timestamp as id, *\nFROM\n  "$events/client_connected", "$events/client_disconnected"';

export type FlowNode = Record<string, unknown> & { id: string; type: string };

/** Every `dynamodb-sink` property of DESIGN.md 1.3 at its default, so the saved flow is explicit. */
export function sinkDefaults(): Record<string, unknown> {
  return { ...SINK_DEFAULTS };
}

/** The connector node's own properties (credentials are passed separately). */
export function connectorProperties(config: Pick<DemoConfig, 'dynamoUrl' | 'region' | 'table'>): Record<string, unknown> {
  return { ...CONNECTOR_DEFAULTS, url: config.dynamoUrl, region: config.region, table: config.table };
}

/** An `aedes broker` node as the editor adds it (no TLS, no WebSocket port), on `mqttPort`. */
export function aedesBrokerNode(node: { id: string; z: string; mqttPort: number; x: number; y: number; wires: string[][] }): FlowNode {
  return {
    id: node.id,
    type: 'aedes broker',
    z: node.z,
    name: 'MQTT broker',
    mqtt_port: node.mqttPort,
    mqtt_ws_bind: 'port',
    mqtt_ws_port: '',
    mqtt_ws_path: '',
    cert: '',
    key: '',
    certname: '',
    keyname: '',
    dburl: '',
    usetls: false,
    x: node.x,
    y: node.y,
    wires: node.wires,
  };
}

/**
 * The demo flow. Laid out to fit, with its status lines, in the workspace of a 1,400-pixel-wide
 * editor with the palette and sidebar open (about 900 px; test/e2e/demo-start.test.ts checks it).
 */
export function demoFlow(config: DemoConfig): FlowNode[] {
  const z = DEMO_IDS.tab;
  const connector: FlowNode = {
    id: DEMO_IDS.connector,
    type: 'dynamodb-connector',
    name: `demo ${config.table}`,
    ...connectorProperties(config),
  };
  if (config.credentials) connector.credentials = { ...config.credentials };
  return [
    { id: z, type: 'tab', label: 'MQTT → DynamoDB demo', disabled: false, info: '' },
    {
      id: DEMO_IDS.comment,
      type: 'comment',
      z,
      name: 'Publish to t/1 on the broker, then `npm run scan`',
      info:
        'The EMQX DynamoDB walkthrough as a flow.\n\n' +
        '- The aedes broker accepts MQTT 3.1.1 clients on the MQTT port that `npm start` printed.\n' +
        '- "Store MQTT messages" keeps every message published under `t/#`.\n' +
        '- "Record client events" keeps one item per client connect and disconnect.\n' +
        '- Both write to the table of the "demo" DynamoDB connector; the debug sidebar shows each write.\n\n' +
        'The broker port and the connector URL are set again from MQTT_PORT, DYNAMODB_PORT and ' +
        'DYNAMODB_URL each time `npm start` runs.',
      x: 250,
      y: 60,
      wires: [],
    },
    aedesBrokerNode({
      id: DEMO_IDS.broker,
      z,
      mqttPort: config.mqttPort,
      x: 120,
      y: 180,
      // Output 1 carries client events, output 2 the publishes.
      wires: [[DEMO_IDS.eventsRule], [DEMO_IDS.messagesRule]],
    }),
    {
      id: DEMO_IDS.messagesRule,
      type: 'rule-sql',
      z,
      name: 'Store MQTT messages',
      sql: SEED_MESSAGE_SQL,
      x: 330,
      y: 220,
      wires: [[DEMO_IDS.messagesSink]],
    },
    {
      id: DEMO_IDS.eventsRule,
      type: 'rule-sql',
      z,
      name: 'Record client events',
      sql: SEED_EVENT_SQL,
      x: 330,
      y: 140,
      wires: [[DEMO_IDS.eventsSink]],
    },
    {
      id: DEMO_IDS.messagesSink,
      type: 'dynamodb-sink',
      z,
      name: 'messages → mqtt_msg',
      connector: DEMO_IDS.connector,
      ...sinkDefaults(),
      x: 570,
      y: 220,
      wires: [[DEMO_IDS.debug]],
    },
    {
      id: DEMO_IDS.eventsSink,
      type: 'dynamodb-sink',
      z,
      name: 'events → mqtt_msg',
      connector: DEMO_IDS.connector,
      ...sinkDefaults(),
      x: 570,
      y: 140,
      wires: [[DEMO_IDS.debug]],
    },
    {
      id: DEMO_IDS.debug,
      type: 'debug',
      z,
      name: 'written',
      active: true,
      tosidebar: true,
      console: false,
      tostatus: false,
      complete: 'dynamodb',
      targetType: 'msg',
      statusVal: '',
      statusType: 'auto',
      x: 790,
      y: 180,
      wires: [],
    },
    connector,
  ];
}

/**
 * Brings a saved flow up to date with the current environment: adds the demo if it is absent,
 * else resets only what the environment decides (broker port, connector endpoint and region) and
 * leaves the user's other edits alone. Returns null when nothing needs deploying.
 */
export function reconcileDemoFlow(saved: FlowNode[], config: DemoConfig): FlowNode[] | null {
  const fresh = demoFlow(config);
  const byId = new Map(saved.map((node) => [node.id, node]));
  if (!byId.has(DEMO_IDS.tab)) {
    const freshIds = new Set(fresh.map((node) => node.id));
    // A half-deleted demo (tab gone, connector kept) is replaced, not duplicated.
    return [...saved.filter((node) => !freshIds.has(node.id)), ...fresh];
  }
  let changed = false;
  const patch = (id: string, values: Record<string, unknown>) => {
    const node = byId.get(id);
    if (!node) return;
    for (const [key, value] of Object.entries(values)) {
      if (String(node[key]) !== String(value)) {
        node[key] = value;
        changed = true;
      }
    }
  };
  patch(DEMO_IDS.broker, { mqtt_port: config.mqttPort });
  patch(DEMO_IDS.connector, { url: config.dynamoUrl, region: config.region });
  return changed ? saved : null;
}
