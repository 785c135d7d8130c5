// Specification of the SQL tester's example columns (EMQX emqx_rule_events:columns_with_exam).

import { strict as assert } from 'node:assert';
import { EVENT_TYPES, eventNameOf, exampleColumns, exampleTestContext } from '../../src/events';

describe('EMQX example columns', function () {
  it('names every event type the test API accepts', () => {
    assert.equal(eventNameOf('client_connected'), 'client.connected');
    assert.equal(eventNameOf('client.check_authz_complete'), 'client.check_authz_complete');
    assert.equal(eventNameOf('message_transformation_failed'), 'message.transformation_failed');
    assert.equal(eventNameOf('nope'), undefined);
    for (const type of EVENT_TYPES) {
      const c = exampleColumns(type, 5);
      assert.equal(c.event, eventNameOf(type));
      assert.equal(c.timestamp, 5);
      assert.equal(typeof c.node, 'string');
      assert.equal(exampleTestContext(type).event_type, type);
    }
  });

  it('uses the dashboard example values', () => {
    const p = exampleColumns('message_publish', 7);
    assert.equal(p.clientid, 'c_emqx');
    assert.equal(p.username, 'u_emqx');
    assert.equal(p.topic, 't/a');
    assert.equal(p.payload, '{"msg": "hello"}');
    assert.equal(p.qos, 1);
    assert.equal(p.peerhost, '192.168.0.10');
    assert.equal(p.publish_received_at, 7);
    assert.match(String(p.id), /^[0-9A-F]{32}$/);
    assert.deepEqual((p.pub_props as Record<string, unknown>)['User-Property'], { foo: 'bar' });
    const c = exampleColumns('client_connected');
    assert.equal(c.peername, '192.168.0.10:56431');
    assert.equal(c.sockname, '0.0.0.0:1883');
    assert.ok('mountpoint' in c && c.mountpoint === undefined);
    assert.equal(c.expiry_interval, 3600);
    assert.equal(exampleColumns('client_disconnected').reason, 'normal');
    assert.equal(exampleColumns('client_connack').reason_code, 'success');
    assert.equal(exampleColumns('client_connack').event, 'client.connack', 'not EMQX\'s copy-paste client.connected');
  });

  it('hides the newer columns from * exactly as live events do', () => {
    const p = exampleColumns('message_publish');
    assert.ok(!Object.keys(p).includes('peername') && p.peername === '192.168.0.10:32781');
    assert.ok(!Object.keys(p).includes('client_attrs'));
    const d = exampleColumns('client_disconnected');
    assert.ok(!Object.keys(d).includes('connected_at') && typeof d.connected_at === 'number');
  });

  it('rejects an unknown event type', () => {
    assert.throws(() => exampleColumns('message_nope'), /unknown event type/);
  });
});
