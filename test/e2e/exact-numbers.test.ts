// Issue 10 kind A, end to end: an integer beyond 2^53 sent by a device reaches DynamoDB with
// every digit (DESIGN.md section 2), through the real path: an MQTT client publishes to the
// aedes broker node, rule-sql selects, dynamodb-sink writes to DynamoDB Local; both encodings,
// a template with bare and quoted placeholders, and a JSON string handed to the sink directly.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import mqtt from 'mqtt';
import ruleSqlNode from '../../src/nodes/rule-sql/register';
import { createSeedTable, freePort, startDynamoDbLocal, testClient, type DynamoServer } from '../support/dynamodb';
import { CONNECTOR_CREDENTIALS, SINK_NODES, helper, until, type Msg } from '../support/sink-flow';
import { TEST_REGION } from '../support/dynamodb';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aedesNode = require('node-red-contrib-aedes/aedes.js');

const SERIAL = '1724442618569203714'; // > 2^53: a double would make it 1724442618569203700
const PAYLOAD = `{"serial":${SERIAL},"n":12}`;

describe('exact integers: MQTT → aedes → rule-sql → dynamodb-sink → DynamoDB Local', function () {
  this.timeout(60000);
  let server: DynamoServer;
  let userDir: string;
  let port: number;
  const tables = { emqx: 'exact_emqx', native: 'exact_native', template: 'exact_template', direct: 'exact_direct' };

  before(async function () {
    this.timeout(90000);
    server = await startDynamoDbLocal();
    for (const t of Object.values(tables)) await createSeedTable(server.url, t);
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'exact-numbers-'));
    helper.settings({ userDir });
    await helper.startServer();
  });
  after(async function () {
    await helper.unload().catch(() => undefined);
    await helper.stopServer().catch(() => undefined);
    helper.settings({});
    await server?.stop();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  async function getItem(table: string, id: string): Promise<Record<string, AttributeValue> | undefined> {
    const client = testClient(server.url);
    try {
      return (await client.send(new GetItemCommand({ TableName: table, Key: { id: { S: id } }, ConsistentRead: true }))).Item;
    } finally {
      client.destroy();
    }
  }

  function sink(id: string, table: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { id, type: 'dynamodb-sink', z: 'f', x: 0, y: 0, name: id, connector: 'connector', table, batchTime: 5, wires: [['written']], ...extra };
  }

  it('holds the issue example and every place a number leaves: encodings, templates, text, arithmetic', async function () {
    port = await freePort();
    const example = 'SELECT clientid as id, payload.serial as serial, str(payload.serial) as serial_text FROM "m/#"';
    const computed = `SELECT clientid + '-calc' as id,
        payload.serial + 1 as next, payload.serial * 2 as twice, payload.serial div 1000 as thousands,
        payload.serial mod 1000 as rest, 'serial=' + payload.serial as label,
        bitsl(1, 62) as bit62, bitand(payload.serial, 4294967295) as low32,
        json_encode(map_put('s', payload.serial, map_new())) as json,
        sprintf('~.16b/~p', payload.serial, payload.serial) as printed,
        payload as raw,
        payload.serial = ${SERIAL} as equal, payload.serial > 1724442618569203713 as greater,
        case payload.serial when ${SERIAL} then 'hit' else 'miss' end as matched,
        case when payload.serial in (1724442618569203713, ${SERIAL}) then 'in' else 'out' end as member,
        int('${SERIAL}') as parsed, is_int(payload.serial) as is_int
      FROM "m/#" WHERE payload.serial in (${SERIAL}) and payload.serial >= 1724442618569203714 and payload.serial < 1724442618569203715`;
    await helper.load([aedesNode, ruleSqlNode, ...SINK_NODES], [
      { id: 'f', type: 'tab' },
      { id: 'connector', type: 'dynamodb-connector', name: 'local', url: server.url, region: TEST_REGION, table: 'mqtt_msg', healthCheckInterval: 1000, requestTimeout: 2000 },
      { id: 'broker', z: 'f', type: 'aedes broker', x: 0, y: 0, mqtt_port: port, mqtt_ws_bind: 'port', wires: [[], ['rExample', 'rComputed']] },
      { id: 'rExample', z: 'f', type: 'rule-sql', x: 0, y: 0, name: 'example', sql: example, wires: [['sEmqx', 'sNative', 'sTemplate']] },
      { id: 'rComputed', z: 'f', type: 'rule-sql', x: 0, y: 0, name: 'computed', sql: computed, wires: [['sEmqx', 'sNative']] },
      sink('sEmqx', tables.emqx),
      sink('sNative', tables.native, { encoding: 'native' }),
      sink('sTemplate', tables.template, {
        template: '{"id": "${id}", "bare": ${serial}, "quoted": "${serial}", "nested": {"s": ${serial}}, "literal": 98765432109876543210}',
      }),
      sink('sDirect', tables.direct),
      { id: 'written', z: 'f', type: 'helper', x: 0, y: 0 },
      { id: 'catch', z: 'f', type: 'catch', x: 0, y: 0, scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'f', type: 'helper', x: 0, y: 0 },
    ], CONNECTOR_CREDENTIALS);
    const written: Msg[] = [];
    const caught: Msg[] = [];
    helper.getNode('written')!.on('input', (m: Msg) => written.push(m));
    helper.getNode('caught')!.on('input', (m: Msg) => caught.push(m));
    await new Promise((r) => setTimeout(r, 200));

    const client = await new Promise<mqtt.MqttClient>((resolve, reject) => {
      const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: 'dev-1', protocolVersion: 4, reconnectPeriod: 0 });
      c.once('connect', () => resolve(c));
      c.once('error', (err) => { c.end(true); reject(err); });
    });
    try {
      await client.publishAsync('m/1', PAYLOAD, { qos: 1 });
    } finally {
      await client.endAsync();
    }
    // The sink's own string payload: JSON text handed to it directly.
    helper.getNode('sDirect')!.receive({ payload: `{"id":"direct","serial":${SERIAL},"list":[${SERIAL}],"small":12}` } as never);
    // 2 rules × 2 sinks + the template sink + the direct one.
    await until('six written items', () => written.length + caught.length >= 6, 20000).catch((err) => {
      throw new Error(`${err.message}: written ${written.map((m) => (m.payload as Record<string, unknown>)?.id).join(', ')}; caught ${caught.map((m) => m.error?.message).join('; ')}`);
    });
    assert.deepEqual(caught.map((m) => m.error?.message), []);

    // The example, emqx encoding: N with all digits, and str() with all digits.
    const emqx = await getItem(tables.emqx, 'dev-1');
    assert.deepEqual(emqx?.serial, { N: SERIAL });
    assert.deepEqual(emqx?.serial_text, { S: SERIAL });
    const native = await getItem(tables.native, 'dev-1');
    assert.deepEqual(native?.serial, { N: SERIAL });
    assert.deepEqual(native?.serial_text, { S: SERIAL });

    // Computed with, compared, and turned into text inside the rule.
    const calc = await getItem(tables.emqx, 'dev-1-calc');
    assert.ok(calc, 'the computed row');
    assert.deepEqual(calc.next, { N: '1724442618569203715' });
    assert.deepEqual(calc.twice, { N: '3448885237138407428' });
    assert.deepEqual(calc.thousands, { N: '1724442618569203' });
    assert.deepEqual(calc.rest, { N: '714' });
    assert.deepEqual(calc.label, { S: `serial=${SERIAL}` });
    assert.deepEqual(calc.bit62, { N: '4611686018427387904' });
    assert.deepEqual(calc.low32, { N: String(1724442618569203714n & 4294967295n) });
    assert.deepEqual(calc.json, { S: `{"s":${SERIAL}}` });
    assert.deepEqual(calc.printed, { S: `${BigInt(SERIAL).toString(16)}/${SERIAL}` });
    assert.deepEqual(calc.raw, { S: PAYLOAD }, 'the payload text is passed on untouched');
    assert.deepEqual(calc.equal, { S: 'true' });
    assert.deepEqual(calc.greater, { S: 'true' });
    assert.deepEqual(calc.matched, { S: 'hit' });
    assert.deepEqual(calc.member, { S: 'in' });
    assert.deepEqual(calc.parsed, { N: SERIAL });
    assert.deepEqual(calc.is_int, { S: 'true' });
    const calcNative = await getItem(tables.native, 'dev-1-calc');
    assert.deepEqual(calcNative?.next, { N: '1724442618569203715' });
    assert.deepEqual(calcNative?.equal, { BOOL: true });

    // A template: bare placeholder → N, quoted → S, nested map, and a literal in the template text.
    const templated = await getItem(tables.template, 'dev-1');
    assert.deepEqual(templated?.bare, { N: SERIAL });
    assert.deepEqual(templated?.quoted, { S: SERIAL });
    assert.deepEqual(templated?.nested, { S: `{"s":${SERIAL}}` });
    assert.deepEqual(templated?.literal, { N: '98765432109876543210' });

    // JSON text given to the sink itself.
    const direct = await getItem(tables.direct, 'direct');
    assert.deepEqual(direct?.serial, { N: SERIAL });
    assert.deepEqual(direct?.list, { S: `[${SERIAL}]` });
    assert.deepEqual(direct?.small, { N: '12' });

    // The rule's output message holds a BigInt, which Node-RED passes on as it is.
    const fromRule = written.find((m) => (m.payload as Record<string, unknown>)?.serial_text === SERIAL);
    assert.equal((fromRule?.payload as Record<string, unknown>).serial, BigInt(SERIAL));
  });
});
