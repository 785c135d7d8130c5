// A message from `mqtt in` on a broker's lifecycle topic is both its message.publish and the event
// it reports (DESIGN.md section 3.1); a payload that does not parse is a publish only, counted.

import { strict as assert } from 'node:assert';
import { MessageColumnMapper } from '../../../src/events';
import { compileRule, triggerTopicOf } from '../../../src';

const SEED_EVENTS_SQL = 'SELECT str(event) + timestamp as id, * FROM "$events/client_connected", "$events/client_disconnected"';
// EMQX 5.x, apps/emqx/src/emqx_sys.erl on_client_connected/2.
const EMQX_CONNECTED = JSON.stringify({
  clientid: 'dev1', username: 'u1', ipaddress: '10.0.0.5', sockport: 1883, protocol: 'mqtt', proto_name: 'MQTT',
  proto_ver: 4, connected_at: 1736512728660, ts: 1736512728666, keepalive: 60, clean_start: true, expiry_interval: 0,
});
const TOPIC = '$SYS/brokers/emqx@10.0.0.1/clients/dev1/connected';

/** The rows a rule gives for one message, as rule-sql's input handler evaluates them. */
function rowsFor(sql: string, columns: Record<string, unknown>[]): Record<string, unknown>[] {
  const rule = compileRule(sql);
  return columns.flatMap((c) => (triggerTopicOf(c) && rule.matches(c) ? rule.evaluateMatched(c) ?? [] : []));
}

describe('mqtt in on a broker lifecycle topic', function () {
  it('gives the message.publish first, then the event', () => {
    const mapper = new MessageColumnMapper();
    const columns = mapper.columnsFrom({ topic: TOPIC, payload: EMQX_CONNECTED, qos: 0, retain: false }, 1736512730000);
    assert.deepEqual(columns.map((c) => c.event), ['message.publish', 'client.connected']);
    assert.equal(columns[0].topic, TOPIC);
    assert.equal(columns[0].payload, EMQX_CONNECTED);
  });

  it('a parsed payload (mqtt in "auto-detect") works the same', () => {
    const columns = new MessageColumnMapper().columnsFrom({ topic: TOPIC, payload: JSON.parse(EMQX_CONNECTED) });
    assert.equal(columns[1]?.clientid, 'dev1');
  });

  it("the seed's event rule records the event; a rule FROM the $SYS topic still sees the raw publish", () => {
    const columns = new MessageColumnMapper().columnsFrom({ topic: TOPIC, payload: EMQX_CONNECTED });
    const seed = rowsFor(SEED_EVENTS_SQL, columns);
    assert.equal(seed.length, 1);
    assert.equal(seed[0].id, 'client.connected1736512728666');
    assert.equal(seed[0].peerhost, '10.0.0.5');
    const raw = rowsFor('SELECT payload.clientid as who, topic FROM "$SYS/brokers/+/clients/+/connected"', columns);
    assert.deepEqual(raw, [{ who: 'dev1', topic: TOPIC }]);
    assert.deepEqual(rowsFor('SELECT * FROM "#"', columns), [], '"#" never matches $SYS or events');
  });

  it('a payload that does not parse: publish only, counted and reported', () => {
    const told: string[] = [];
    const mapper = new MessageColumnMapper(undefined, (topic, broker, error) => told.push(`${broker} ${topic} ${error}`));
    for (const payload of ['{"clientid": 5, "ts": 1}', 'hello']) {
      const columns = mapper.columnsFrom({ topic: TOPIC, payload });
      assert.deepEqual(columns.map((c) => c.event), ['message.publish']);
    }
    assert.equal(mapper.brokerPayloadsRefused, 2);
    assert.equal(told.length, 2);
    assert.match(told[0], /^emqx \$SYS\/brokers\/.* "clientid" is number/);
  });

  it('a Mosquitto log line that is not a lifecycle line: publish only, not counted', () => {
    const mapper = new MessageColumnMapper();
    const columns = mapper.columnsFrom({ topic: '$SYS/broker/log/N', payload: '1700000000: New connection from 127.0.0.1:5 on port 1883.' });
    assert.deepEqual(columns.map((c) => c.event), ['message.publish']);
    assert.equal(mapper.brokerPayloadsRefused, 0);
  });

  it('ordinary topics are untouched', () => {
    const columns = new MessageColumnMapper().columnsFrom({ topic: 't/1', payload: EMQX_CONNECTED });
    assert.deepEqual(columns.map((c) => c.event), ['message.publish']);
  });
});
