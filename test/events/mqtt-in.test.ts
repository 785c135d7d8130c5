// Specification of mqtt in / plain messages → message.publish columns (DESIGN.md section 3).

import { strict as assert } from 'node:assert';
import { columnsFromMqttIn, emqxProps, messageId, NODE_NAME, MessageColumnMapper } from '../../src/events';

describe('mqtt in messages → message.publish', function () {
  it('keeps text payloads as received and the MQTT basics', () => {
    const c = columnsFromMqttIn({ topic: 't/1', payload: '{ "msg": "hello" }', qos: 2, retain: true }, 1700000000000);
    assert.equal(c.event, 'message.publish');
    assert.equal(c.topic, 't/1');
    assert.equal(c.payload, '{ "msg": "hello" }');
    assert.equal(c.qos, 2);
    assert.deepEqual(c.flags, { retain: true, dup: false });
    assert.equal(c.timestamp, 1700000000000);
    assert.equal(c.publish_received_at, 1700000000000);
    assert.equal(c.node, NODE_NAME);
    assert.deepEqual(c.pub_props, { 'User-Property': {} });
  });

  it('has the publisher columns present and undefined, and no enumerable newer columns', () => {
    const c = columnsFromMqttIn({ topic: 't', payload: 'x' });
    for (const name of ['clientid', 'username', 'peerhost']) {
      assert.ok(name in c && c[name] === undefined, name);
    }
    assert.deepEqual(Object.keys(c).sort(), ['clientid', 'event', 'flags', 'id', 'node', 'payload', 'peerhost',
      'pub_props', 'publish_received_at', 'qos', 'timestamp', 'topic', 'username']);
    assert.ok('peername' in c && 'client_attrs' in c, 'readable by name');
    assert.deepEqual(c.client_attrs, {});
  });

  it('turns a parsed object back into JSON text', () => {
    const c = columnsFromMqttIn({ topic: 't', payload: { msg: 'hello', n: [1, 2] } });
    assert.equal(c.payload, '{"msg":"hello","n":[1,2]}');
  });

  it('keeps a Buffer as text when it is UTF-8 and as bytes when not', () => {
    assert.equal(columnsFromMqttIn({ topic: 't', payload: Buffer.from('héllo') }).payload, 'héllo');
    const bytes = Buffer.from([0xc3, 0x28, 0xff]);
    assert.deepEqual(columnsFromMqttIn({ topic: 't', payload: bytes }).payload, bytes);
  });

  it('gives other payload types as text and a missing payload as empty text', () => {
    assert.equal(columnsFromMqttIn({ topic: 't', payload: 42 }).payload, '42');
    assert.equal(columnsFromMqttIn({ topic: 't', payload: true }).payload, 'true');
    assert.equal(columnsFromMqttIn({ topic: 't' }).payload, '');
  });

  it('defaults qos to 0 and retain to false', () => {
    const c = columnsFromMqttIn({ topic: 't', payload: 'x', qos: 7 });
    assert.equal(c.qos, 0);
    assert.deepEqual(c.flags, { retain: false, dup: false });
  });

  it('maps MQTT 5 properties to EMQX names, with User-Property-Pairs when there are user properties', () => {
    const props = emqxProps({
      userProperties: { a: '1', list: ['x', 'y'] },
      contentType: 'text/plain',
      messageExpiryInterval: 30,
      responseTopic: 'r',
      correlationData: Buffer.from('id-7'),
      payloadFormatIndicator: true,
    });
    assert.deepEqual(props, {
      'Content-Type': 'text/plain',
      'Message-Expiry-Interval': 30,
      'Response-Topic': 'r',
      'Correlation-Data': 'id-7',
      'Payload-Format-Indicator': 1,
      'User-Property': { a: '1', list: 'y' },
      'User-Property-Pairs': [{ key: 'a', value: '1' }, { key: 'list', value: 'x' }, { key: 'list', value: 'y' }],
    });
  });

  it('drops the messageExpiryInterval 0 that Node-RED adds when the PUBLISH had none', () => {
    assert.deepEqual(emqxProps({ messageExpiryInterval: 0 }), { 'User-Property': {} });
  });

  it('gives fresh, time-ordered 32-hex upper-case ids', () => {
    const ids = Array.from({ length: 1000 }, () => messageId());
    assert.ok(ids.every((id) => /^[0-9A-F]{32}$/.test(id)));
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual([...ids].sort(), ids);
  });

  it('treats any message that is neither aedes nor Status as a publish', () => {
    const mapper = new MessageColumnMapper();
    assert.equal(mapper.kindOf({ topic: 'client', payload: 'just text' }), 'message');
    const [c] = mapper.columnsFrom({ topic: 'publish', payload: { packet: 'not a packet' } });
    assert.equal(c.event, 'message.publish');
    assert.equal(c.topic, 'publish');
  });
});
