// POST /rule-sql/test with a broker's lifecycle message (DESIGN.md sections 3.1 and 5): a
// message_publish context on such a topic shows the event columns to an event rule.

import { strict as assert } from 'node:assert';
import { runRuleTest } from '../../../src/nodes/rule-sql/test-api';
import { BROKER_SAMPLES } from '../../../src/events';

const SEED_EVENTS_SQL = 'SELECT str(event) + timestamp as id, * FROM "$events/client_connected", "$events/client_disconnected"';
const test = (sql: string, context: Record<string, unknown>) => runRuleTest({ sql, context: { event_type: 'message_publish', ...context } });

describe('POST /rule-sql/test with a broker lifecycle message', function () {
  it('EMQX: the seed event rule shows client.connected with the payload fields', () => {
    const { status, body } = test(SEED_EVENTS_SQL, BROKER_SAMPLES.emqx);
    assert.equal(status, 200);
    const row = body as Record<string, unknown>;
    assert.equal(row.id, 'client.connected1736512728666');
    assert.deepEqual([row.clientid, row.peerhost, row.proto_ver, row.expiry_interval, row.node], ['c_emqx', '192.168.0.10', 5, 7200, 'emqx@127.0.0.1']);
  });

  it('AWS IoT: client.disconnected with reason and AWS fields', () => {
    const { status, body } = test(SEED_EVENTS_SQL, BROKER_SAMPLES['aws-iot']);
    assert.equal(status, 200);
    const row = body as Record<string, unknown>;
    assert.deepEqual([row.event, row.reason, row.disconnectReason, row.versionNumber], ['client.disconnected', 'normal', 'CLIENT_INITIATED_DISCONNECT', 0]);
  });

  it('Mosquitto: client.connected from the log line', () => {
    const { status, body } = test(SEED_EVENTS_SQL, BROKER_SAMPLES.mosquitto);
    assert.equal(status, 200);
    const row = body as Record<string, unknown>;
    assert.deepEqual([row.clientid, row.username, row.peername, row.keepalive, row.connected_at], ['c_emqx', 'u_emqx', '192.168.0.10:56431', 60, 1736512728000]);
  });

  it('a rule FROM the $SYS topic still sees the publish', () => {
    const { status, body } = test('SELECT topic, payload.clientid as c FROM "$SYS/brokers/+/clients/+/connected"', BROKER_SAMPLES.emqx);
    assert.equal(status, 200);
    assert.deepEqual(body, { topic: BROKER_SAMPLES.emqx.topic, c: 'c_emqx' });
  });

  it('a payload that is not the broker format: 412 saying why', () => {
    const { status, body } = test(SEED_EVENTS_SQL, { topic: BROKER_SAMPLES.emqx.topic, payload: 'online' });
    assert.equal(status, 412);
    assert.match((body as { reason: string }).reason, /^not a lifecycle payload of EMQX: payload is not JSON/);
  });
});
