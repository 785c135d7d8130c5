// EMQX's $SYS client messages → events (DESIGN.md section 3.1).
// Payloads as EMQX builds them: apps/emqx/src/emqx_sys.erl (github.com/emqx/emqx; v5.8.9 for 5.x,
// master for 6.x: on_client_connected/2, on_client_disconnected/3, on_client_subscribed/3,
// on_client_unsubscribed/3, common_infos/2, event_topic/2), and 4.x's
// lib-ce/emqx_modules/src/emqx_mod_presence.erl (v4.4.9; v4.0.0 for seconds in connected_at).
// Key order as EMQX's JSON encoder (jiffy, a map) writes them does not matter to a parser.

import { strict as assert } from 'node:assert';
import { brokerEventsFrom, emqxTopic } from '../../../src/events/brokers';
import { NODE_NAME } from '../../../src/events';

const NOW = 1736512730000;
const TOPIC = '$SYS/brokers/emqx@127.0.0.1/clients/c_emqx';

// EMQX 5.8 on_client_connected: common_infos + keepalive, clean_start, expiry_interval (ConnInfo: ms).
const V5_CONNECTED = {
  clientid: 'c_emqx', username: 'u_emqx', ipaddress: '192.168.0.10', sockport: 1883, protocol: 'mqtt',
  proto_name: 'MQTT', proto_ver: 5, connected_at: 1736512728660, ts: 1736512728666,
  keepalive: 60, clean_start: true, expiry_interval: 7200000,
};
// EMQX 6.x adds conn_props (emqx_utils_maps:printable_props), receive_maximum, client_attrs.
const V6_CONNECTED = {
  ...V5_CONNECTED,
  conn_props: { 'Session-Expiry-Interval': 7200, 'User-Property': { foo: 'bar' }, 'User-Property-Pairs': [{ key: 'foo', value: 'bar' }] },
  receive_maximum: 32, client_attrs: { group: 'g1' },
};
const V5_DISCONNECTED = {
  clientid: 'c_emqx', username: 'u_emqx', ipaddress: '192.168.0.10', sockport: 1883, protocol: 'mqtt',
  proto_name: 'MQTT', proto_ver: 5, connected_at: 1736512728660, ts: 1736512790001,
  reason: 'normal', disconnected_at: 1736512790000,
};
const V6_DISCONNECTED = { ...V5_DISCONNECTED, disconn_props: { 'Reason-String': 'bye', 'User-Property': {} }, client_attrs: { group: 'g1' } };

const one = (topic: string, payload: unknown) => {
  const r = brokerEventsFrom(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), NOW);
  assert.ok(r, 'a lifecycle topic');
  assert.equal(r.error, undefined, r.error);
  assert.equal(r.broker, 'emqx');
  assert.equal(r.events.length, 1);
  return r.events[0];
};

describe('EMQX $SYS client messages → events', function () {
  it('recognises the client and gateway topics, client ids with slashes, and nothing else', () => {
    assert.deepEqual(emqxTopic(`${TOPIC}/connected`), { node: 'emqx@127.0.0.1', clientid: 'c_emqx', kind: 'connected' });
    assert.deepEqual(emqxTopic('$SYS/brokers/n1/clients/a/b/disconnected'), { node: 'n1', clientid: 'a/b', kind: 'disconnected' });
    assert.deepEqual(emqxTopic('$SYS/brokers/n1/gateway/stomp/clients/s1/connected'),
      { node: 'n1', clientid: 's1', kind: 'connected', gateway: 'stomp' });
    for (const t of ['$SYS/brokers/n1/uptime', '$SYS/brokers/n1/clients/connected', '$SYS/brokers/n1/stats/connections/count', 't/connected']) {
      assert.equal(emqxTopic(t), undefined, t);
      assert.equal(brokerEventsFrom(t, '{}', NOW), undefined, t);
    }
  });

  it('5.x connected: every field under EMQX event column names', () => {
    const e = one(`${TOPIC}/connected`, V5_CONNECTED);
    assert.deepEqual(e, {
      clientid: 'c_emqx', username: 'u_emqx', mountpoint: undefined, peerhost: '192.168.0.10', peername: undefined,
      sockname: undefined, proto_name: 'MQTT', proto_ver: 5, keepalive: 60, clean_start: true,
      receive_maximum: undefined, expiry_interval: 7200, is_bridge: undefined, conn_props: undefined,
      connected_at: 1736512728660, sockport: 1883, protocol: 'mqtt',
      event: 'client.connected', timestamp: 1736512728666, node: 'emqx@127.0.0.1',
    });
  });

  it('6.x connected: conn_props, receive_maximum and client_attrs too', () => {
    const e = one(`${TOPIC}/connected`, V6_CONNECTED);
    assert.deepEqual(e.conn_props, V6_CONNECTED.conn_props);
    assert.equal(e.receive_maximum, 32);
    assert.deepEqual(e.client_attrs, { group: 'g1' });
    assert.ok(Object.keys(e).includes('client_attrs'), 'in SELECT *');
  });

  it('5.x and 6.x disconnected: reason, both times in ms, disconn_props', () => {
    assert.deepEqual(one(`${TOPIC}/disconnected`, V5_DISCONNECTED), {
      reason: 'normal', clientid: 'c_emqx', username: 'u_emqx', peerhost: '192.168.0.10', peername: undefined,
      sockname: undefined, proto_name: 'MQTT', proto_ver: 5, disconn_props: undefined,
      disconnected_at: 1736512790000, connected_at: 1736512728660, sockport: 1883, protocol: 'mqtt',
      event: 'client.disconnected', timestamp: 1736512790001, node: 'emqx@127.0.0.1',
    });
    const e = one(`${TOPIC}/disconnected`, V6_DISCONNECTED);
    assert.deepEqual(e.disconn_props, { 'Reason-String': 'bye', 'User-Property': {} });
    assert.deepEqual(e.client_attrs, { group: 'g1' });
  });

  it('keeps every reason EMQX reports (emqx_sys:reason/1 already reduced {shutdown, R} and {E, _})', () => {
    for (const reason of ['normal', 'kicked', 'discarded', 'takenover', 'keepalive_timeout', 'tcp_closed', 'ssl_closed',
      'econnreset', 'etimedout', 'frame_error', 'protocol_error', 'topic_name_invalid', 'not_authorized', 'internal_error']) {
      assert.equal(one(`${TOPIC}/disconnected`, { ...V5_DISCONNECTED, reason }).reason, reason);
    }
  });

  it('a username or address sent as the text "undefined" (the Erlang atom) is undefined', () => {
    const e = one(`${TOPIC}/connected`, { ...V5_CONNECTED, username: 'undefined', ipaddress: 'undefined' });
    assert.ok('username' in e && e.username === undefined);
    assert.equal(e.peerhost, undefined);
    assert.equal(one(`${TOPIC}/connected`, { ...V5_CONNECTED, username: null }).username, undefined);
  });

  it('4.4 connected (emqx_mod_presence): no protocol, connack dropped, expiry_interval already seconds', () => {
    const v4 = {
      clientid: 'c_emqx', username: 'u_emqx', ipaddress: '192.168.0.10', sockport: 1883, proto_name: 'MQTT', proto_ver: 4,
      connected_at: 1736512728660, ts: 1736512728666, connack: 0, keepalive: 60, clean_start: false, expiry_interval: 7200,
    };
    const e = one(`${TOPIC}/connected`, v4);
    assert.equal(e.expiry_interval, 7200);
    assert.equal(e.clean_start, false);
    assert.ok(!('connack' in e) && !('protocol' in e));
    assert.equal(e.sockport, 1883);
  });

  it('4.0 and 4.1: connected_at / disconnected_at in seconds become ms', () => {
    const c = one(`${TOPIC}/connected`, { clientid: 'c', username: 'u', ipaddress: '10.0.0.1', sockport: 1883, proto_name: 'MQTT',
      proto_ver: 4, keepalive: 60, connack: 0, clean_start: true, expiry_interval: 0, connected_at: 1736512728, ts: 1736512728666 });
    assert.equal(c.connected_at, 1736512728000);
    const d = one(`${TOPIC}/disconnected`, { clientid: 'c', username: 'u', reason: 'closed', disconnected_at: 1736512790, ts: 1736512790001 });
    assert.equal(d.disconnected_at, 1736512790000);
    assert.equal(d.reason, 'closed');
  });

  it('subscribed / unsubscribed (sys_event_messages.client_subscribed): session events with the topic and QoS', () => {
    const sub = one(`${TOPIC}/subscribed`, { clientid: 'c_emqx', username: 'u_emqx', protocol: 'mqtt', topic: '$share/g/t/#',
      subopts: { qos: 1, nl: 0, rap: 0, rh: 0, is_new: true }, ts: 1736512729000 });
    assert.deepEqual(sub, {
      clientid: 'c_emqx', username: 'u_emqx', peerhost: undefined, peername: undefined, topic: '$share/g/t/#', qos: 1,
      sub_props: undefined, protocol: 'mqtt', event: 'session.subscribed', timestamp: 1736512729000, node: 'emqx@127.0.0.1',
      subopts: { qos: 1, nl: 0, rap: 0, rh: 0, is_new: true },
    });
    const unsub = one(`${TOPIC}/unsubscribed`, { clientid: 'c_emqx', username: 'u_emqx', protocol: 'mqtt', topic: 't/1', ts: 1736512729500 });
    assert.equal(unsub.event, 'session.unsubscribed');
    assert.equal(unsub.topic, 't/1');
    assert.ok('unsub_props' in unsub);
  });

  it('a gateway client keeps its protocol', () => {
    const e = one('$SYS/brokers/n1/gateway/stomp/clients/s1/connected', { ...V5_CONNECTED, clientid: 's1', protocol: 'stomp', proto_name: 'STOMP', proto_ver: '1.2' });
    assert.equal(e.protocol, 'stomp');
    assert.equal(e.proto_ver, '1.2');
    assert.equal(e.node, 'n1');
  });

  it('takes bytes as mqtt in delivers them (datatype buffer)', () => {
    const r = brokerEventsFrom(`${TOPIC}/connected`, Buffer.from(JSON.stringify(V5_CONNECTED)), NOW);
    assert.equal(r?.events[0].clientid, 'c_emqx');
  });

  it('bad payloads: an error, no event (never a half-filled one)', () => {
    const bad: Array<[string, unknown]> = [
      ['connected', 'not json'],
      ['connected', '[1,2]'],
      ['connected', 'null'],
      ['connected', { ...V5_CONNECTED, clientid: undefined }],
      ['connected', { ...V5_CONNECTED, ts: undefined }],
      ['connected', { ...V5_CONNECTED, keepalive: '60' }],
      ['connected', { ...V5_CONNECTED, clean_start: 'yes' }],
      ['disconnected', { ...V5_DISCONNECTED, reason: undefined }],
      ['disconnected', { ...V5_DISCONNECTED, reason: { shutdown: 'x' } }],
      ['subscribed', { clientid: 'c', ts: 1 }],
      ['subscribed', { clientid: 'c', ts: 1, topic: 't', subopts: { qos: 'one' } }],
    ];
    for (const [kind, payload] of bad) {
      const r = brokerEventsFrom(`${TOPIC}/${kind}`, typeof payload === 'string' ? payload : JSON.stringify(payload), NOW);
      assert.equal(r?.broker, 'emqx');
      assert.deepEqual(r?.events, [], JSON.stringify(payload));
      assert.match(r?.error ?? '', /./, JSON.stringify(payload));
    }
    const binary = brokerEventsFrom(`${TOPIC}/connected`, Buffer.from([0xff, 0xfe]), NOW);
    assert.deepEqual(binary, { broker: 'emqx', events: [], error: 'payload is not text' });
  });

  it('node is the broker node from the topic, not this Node-RED', () => {
    assert.notEqual(one(`${TOPIC}/connected`, V5_CONNECTED).node, NODE_NAME);
  });
});
