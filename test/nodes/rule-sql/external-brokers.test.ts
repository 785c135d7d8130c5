// rule-sql with messages from `mqtt in` on a broker's lifecycle topic (DESIGN.md section 3.1):
// the event rule gets the event, a rule on the topic the publish; a payload that does not parse is
// a publish only, warned about once and counted, and never stops the flow.

import { strict as assert } from 'node:assert';
import ruleSqlNode from '../../../src/nodes/rule-sql/register';
import { BROKER_SAMPLES } from '../../../src/events';
import { collect, helper, load, until } from './harness';

const SEED_EVENTS_SQL = 'SELECT str(event) + timestamp as id, * FROM "$events/client_connected", "$events/client_disconnected"';

describe('rule-sql with broker lifecycle messages from mqtt in', function () {
  afterEach(async () => {
    await helper.unload();
  });

  it('sends the event to the event rule and the publish to the $SYS rule; a bad payload warns once', async () => {
    await load([ruleSqlNode], [
      { id: 'f', type: 'tab' },
      { id: 'events', z: 'f', type: 'rule-sql', sql: SEED_EVENTS_SQL, wires: [['outE']] },
      { id: 'raw', z: 'f', type: 'rule-sql', sql: 'SELECT topic FROM "$SYS/brokers/+/clients/+/connected"', wires: [['outR']] },
      { id: 'outE', z: 'f', type: 'helper' },
      { id: 'outR', z: 'f', type: 'helper' },
    ]);
    const gotE = collect('outE');
    const gotR = collect('outR');
    const events = helper.getNode('events');
    const warnings: unknown[] = [];
    const errors: unknown[] = [];
    events.on('call:warn', (call: { args: unknown[] }) => warnings.push(call.args[0]));
    events.on('call:error', (call: { args: unknown[] }) => errors.push(call.args[0]));
    const raw = helper.getNode('raw');
    for (const payload of [BROKER_SAMPLES.emqx.payload, 'online', '{"clientid":"x"}', BROKER_SAMPLES.emqx.payload]) {
      const msg = { topic: BROKER_SAMPLES.emqx.topic, payload, qos: 0, retain: false };
      events.receive({ ...msg });
      raw.receive({ ...msg });
    }
    await until(() => gotE.length === 2 && gotR.length === 4, 'two events, four publishes');
    assert.deepEqual(gotE.map((m) => [m.topic, m.payload.clientid, m.rule.event]), [
      ['$events/client/connected', 'c_emqx', 'client.connected'], ['$events/client/connected', 'c_emqx', 'client.connected']]);
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(String(warnings[0]), /not a lifecycle payload of EMQX \(payload is not JSON.*\); passed on as a message.publish only \(1 so far\)/);
    assert.deepEqual(errors, []);
  });
});
