// Specification of Status-node messages → client.connected / client.disconnected
// (DESIGN.md section 3). The describe function stands for Node-RED's node registry.

import { strict as assert } from 'node:assert';
import { MessageColumnMapper, MqttNodeClient, connectionState } from '../../src/events';

const CLIENT: MqttNodeClient = {
  brokerId: 'b1', clientid: 'nr-1', username: 'u', protoVer: 5, keepalive: 45, clean: true,
  peername: '127.0.0.1:50000', sockname: '127.0.0.1:1883',
};

function status(text: string, id = 'in1', type = 'mqtt in') {
  return { status: { fill: 'green', shape: 'dot', text, source: { id, type, name: '' } } };
}

describe('Status-node messages → client events', function () {
  const describeNode = (id: string) => (id === 'in1' || id === 'out1' ? CLIENT : undefined);

  it('reads the i18n keys and the words the mqtt nodes report', () => {
    assert.equal(connectionState('node-red:common.status.connected'), 'connected');
    assert.equal(connectionState('node-red:common.status.disconnected'), 'disconnected');
    assert.equal(connectionState('connected'), 'connected');
    assert.equal(connectionState('node-red:common.status.connecting'), undefined);
  });

  it('gives client.connected with the seed column set, once per change of the shared client', () => {
    const mapper = new MessageColumnMapper(describeNode);
    const [connected] = mapper.columnsFrom(status('node-red:common.status.connected'), 1000);
    assert.deepEqual(Object.keys(connected).sort(), ['clean_start', 'clientid', 'conn_props', 'connected_at',
      'event', 'expiry_interval', 'is_bridge', 'keepalive', 'mountpoint', 'node', 'peername', 'proto_name',
      'proto_ver', 'receive_maximum', 'sockname', 'timestamp', 'username']);
    assert.equal(connected.event, 'client.connected');
    assert.equal(connected.clientid, 'nr-1');
    assert.equal(connected.keepalive, 45);
    assert.equal(connected.proto_ver, 5);
    assert.equal(connected.connected_at, 1000);
    assert.deepEqual(mapper.columnsFrom(status('node-red:common.status.connected', 'out1', 'mqtt out')), [],
      'a second node on the same connection');
  });

  it('gives client.disconnected after a connect, with the addresses seen at connect', () => {
    const mapper = new MessageColumnMapper((id) => (id === 'in1' ? { ...CLIENT, peername: undefined, sockname: undefined } : undefined));
    assert.deepEqual(mapper.columnsFrom(status('node-red:common.status.disconnected')), [], 'nothing before a connect');
    const connectedMapper = new MessageColumnMapper(describeNode);
    connectedMapper.columnsFrom(status('node-red:common.status.connected'), 1000);
    const [d] = connectedMapper.columnsFrom(status('node-red:common.status.disconnected'), 2000);
    assert.equal(d.event, 'client.disconnected');
    assert.equal(d.reason, 'tcp_closed');
    assert.equal(d.disconnected_at, 2000);
    assert.equal(d.connected_at, 1000, 'readable by name');
    assert.ok(!Object.keys(d).includes('connected_at'), 'not copied by SELECT *');
  });

  it('ignores statuses of other node types, unknown nodes and other states', () => {
    const mapper = new MessageColumnMapper(describeNode);
    assert.deepEqual(mapper.columnsFrom(status('connected', 'fn1', 'function')), []);
    assert.deepEqual(mapper.columnsFrom(status('connected', 'gone', 'mqtt in')), []);
    assert.deepEqual(mapper.columnsFrom(status('node-red:common.status.connecting')), []);
  });
});
