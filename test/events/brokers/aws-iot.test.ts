// AWS IoT Core lifecycle events → events (DESIGN.md section 3.1).
// Payloads exactly as "Lifecycle events", AWS IoT Core Developer Guide, shows them
// (https://docs.aws.amazon.com/iot/latest/developerguide/life-cycle-events.html): the connect,
// disconnect, connection failure and subscribe/unsubscribe messages, and its disconnectReason table.

import { strict as assert } from 'node:assert';
import { AWS_DISCONNECT_REASONS, awsIotTopic, brokerEventsFrom } from '../../../src/events/brokers';
import { NODE_NAME } from '../../../src/events';

const NOW = 1700000000000;

const CONNECTED = `{
    "clientId": "186b5",
    "thingName": "exampleThing",
    "timestamp": 1573002230757,
    "eventType": "connected",
    "sessionIdentifier": "00000000-0000-0000-0000-000000000000",
    "principalIdentifier": "12345678901234567890123456789012",
    "ipAddress": "192.0.2.0",
    "versionNumber": 0
}`;
const DISCONNECTED = `{
    "clientId": "186b5",
    "thingName": "exampleThing",
    "timestamp": 1573002340451,
    "eventType": "disconnected",
    "sessionIdentifier": "00000000-0000-0000-0000-000000000000",
    "principalIdentifier": "12345678901234567890123456789012",
    "clientInitiatedDisconnect": true,
    "disconnectReason": "CLIENT_INITIATED_DISCONNECT",
    "versionNumber": 0
}`;
const CONNECT_FAILED = `{
    "clientId": "186b5",
    "thingName": "exampleThing",
    "timestamp": 1460065214626,
    "eventType": "connect_failed",
    "connectFailureReason": "AUTHORIZATION_FAILED",
    "principalIdentifier": "12345678901234567890123456789012",
    "sessionIdentifier": "00000000-0000-0000-0000-000000000000",
    "ipAddress" : "192.0.2.0"
}`;
const subscriptions = (eventType: string) => `{
    "clientId": "186b5",
    "thingName": "exampleThing",
    "timestamp": 1460065214626,
    "eventType": "${eventType}",
    "sessionIdentifier": "00000000-0000-0000-0000-000000000000",
    "principalIdentifier": "12345678901234567890123456789012",
    "topics" : ["foo/bar","device/data","dog/cat"]
}`;

const events = (topic: string, payload: string) => {
  const r = brokerEventsFrom(topic, payload, NOW);
  assert.ok(r);
  assert.equal(r.broker, 'aws-iot');
  assert.equal(r.error, undefined, r.error);
  return r.events;
};
const AWS_OWN = {
  sessionIdentifier: '00000000-0000-0000-0000-000000000000',
  principalIdentifier: '12345678901234567890123456789012',
};

describe('AWS IoT lifecycle events → events', function () {
  it('recognises the five topics and nothing else under $aws', () => {
    assert.deepEqual(awsIotTopic('$aws/events/presence/connected/186b5'), { kind: 'connected', clientid: '186b5' });
    assert.deepEqual(awsIotTopic('$aws/events/presence/connect_failed/186b5'), { kind: 'connect_failed', clientid: '186b5' });
    assert.deepEqual(awsIotTopic('$aws/events/subscriptions/unsubscribed/186b5'), { kind: 'unsubscribed', clientid: '186b5' });
    for (const t of ['$aws/events/presence/connected', '$aws/things/x/shadow/update', '$aws/events/thing/x/created', '$aws/events/presence/x/186b5']) {
      assert.equal(brokerEventsFrom(t, CONNECTED, NOW), undefined, t);
    }
  });

  it('connected: client.connected, ipAddress as peerhost, AWS fields kept, what AWS does not say undefined', () => {
    assert.deepEqual(events('$aws/events/presence/connected/186b5', CONNECTED), [{
      clientid: '186b5', username: undefined, mountpoint: undefined, peerhost: '192.0.2.0', peername: undefined,
      sockname: undefined, proto_name: undefined, proto_ver: undefined, keepalive: undefined, clean_start: undefined,
      receive_maximum: undefined, expiry_interval: undefined, is_bridge: undefined, conn_props: undefined,
      connected_at: 1573002230757, ...AWS_OWN, versionNumber: 0, thingName: 'exampleThing',
      event: 'client.connected', timestamp: 1573002230757, node: NODE_NAME,
    }]);
  });

  it('disconnected: client.disconnected with the mapped reason and AWS own reason kept', () => {
    assert.deepEqual(events('$aws/events/presence/disconnected/186b5', DISCONNECTED), [{
      reason: 'normal', clientid: '186b5', username: undefined, peerhost: undefined, peername: undefined, sockname: undefined,
      proto_name: undefined, proto_ver: undefined, disconn_props: undefined, disconnected_at: 1573002340451,
      ...AWS_OWN, versionNumber: 0, thingName: 'exampleThing', clientInitiatedDisconnect: true,
      disconnectReason: 'CLIENT_INITIATED_DISCONNECT', event: 'client.disconnected', timestamp: 1573002340451, node: NODE_NAME,
    }]);
  });

  it('maps every disconnectReason of the table to an EMQX reason', () => {
    const expected: Record<string, string> = {
      AUTH_ERROR: 'not_authorized', CLIENT_INITIATED_DISCONNECT: 'normal', CLIENT_ERROR: 'protocol_error',
      CONNECTION_LOST: 'tcp_closed', DUPLICATE_CLIENTID: 'takenover', FORBIDDEN_ACCESS: 'banned',
      MQTT_KEEP_ALIVE_TIMEOUT: 'keepalive_timeout', SERVER_ERROR: 'internal_error',
      SERVER_INITIATED_DISCONNECT: 'server_shutting_down', API_INITIATED_DISCONNECT: 'kicked', THROTTLED: 'quota_exceeded',
      WEBSOCKET_TTL_EXPIRATION: 'maximum_connect_time', CUSTOMAUTH_TTL_EXPIRATION: 'maximum_connect_time',
    };
    assert.deepEqual(Object.keys(AWS_DISCONNECT_REASONS).sort(), Object.keys(expected).sort());
    for (const [aws, emqx] of Object.entries(expected)) {
      const [e] = events('$aws/events/presence/disconnected/186b5', DISCONNECTED.replace('CLIENT_INITIATED_DISCONNECT', aws).replace('true', 'false'));
      assert.equal(e.reason, emqx, aws);
      assert.equal(e.disconnectReason, aws);
      assert.equal(e.clientInitiatedDisconnect, false);
    }
    const [unknown] = events('$aws/events/presence/disconnected/186b5', DISCONNECTED.replace('CLIENT_INITIATED_DISCONNECT', 'SOMETHING_NEW'));
    assert.equal(unknown.reason, 'internal_error');
    assert.equal(unknown.disconnectReason, 'SOMETHING_NEW');
  });

  it('connect_failed: client.connack with reason_code not_authorized', () => {
    assert.deepEqual(events('$aws/events/presence/connect_failed/186b5', CONNECT_FAILED), [{
      reason_code: 'not_authorized', clientid: '186b5', username: undefined, peerhost: '192.0.2.0', peername: undefined,
      sockname: undefined, proto_name: undefined, proto_ver: undefined, clean_start: undefined, keepalive: undefined,
      expiry_interval: undefined, connected_at: undefined, conn_props: undefined, ...AWS_OWN, thingName: 'exampleThing',
      connectFailureReason: 'AUTHORIZATION_FAILED', event: 'client.connack', timestamp: 1460065214626, node: NODE_NAME,
    }]);
  });

  it('subscribed / unsubscribed: one session event per topic', () => {
    const subs = events('$aws/events/subscriptions/subscribed/186b5', subscriptions('subscribed'));
    assert.deepEqual(subs.map((e) => e.topic), ['foo/bar', 'device/data', 'dog/cat']);
    assert.deepEqual(subs[0], {
      clientid: '186b5', username: undefined, peerhost: undefined, peername: undefined, topic: 'foo/bar', qos: undefined,
      sub_props: undefined, ...AWS_OWN, thingName: 'exampleThing', event: 'session.subscribed', timestamp: 1460065214626, node: NODE_NAME,
    });
    const unsubs = events('$aws/events/subscriptions/unsubscribed/186b5', subscriptions('unsubscribed'));
    assert.deepEqual(unsubs.map((e) => [e.event, e.topic]), [
      ['session.unsubscribed', 'foo/bar'], ['session.unsubscribed', 'device/data'], ['session.unsubscribed', 'dog/cat']]);
    assert.ok('unsub_props' in unsubs[0]);
  });

  it('thingName only when AWS sends it (exclusive thing)', () => {
    const [e] = events('$aws/events/presence/connected/186b5', CONNECTED.replace('"thingName": "exampleThing",', ''));
    assert.ok(!('thingName' in e));
  });

  it('duplicates and out-of-order messages are passed on as they come, versionNumber kept', () => {
    const v2 = DISCONNECTED.replace('"versionNumber": 0', '"versionNumber": 2');
    const v1 = CONNECTED.replace('"versionNumber": 0', '"versionNumber": 1');
    const seen = [v2, v1, v2].map((p, i) => events(`$aws/events/presence/${i === 1 ? 'connected' : 'disconnected'}/186b5`, p)[0]);
    assert.deepEqual(seen.map((e) => [e.event, e.versionNumber]), [['client.disconnected', 2], ['client.connected', 1], ['client.disconnected', 2]]);
  });

  it('bad payloads: an error, no event', () => {
    const bad: Array<[string, string]> = [
      ['presence/connected/186b5', 'online'],
      ['presence/connected/186b5', CONNECTED.replace('"clientId": "186b5",', '')],
      ['presence/connected/186b5', CONNECTED.replace('"timestamp": 1573002230757,', '')],
      ['presence/connected/186b5', CONNECTED.replace('"timestamp": 1573002230757', '"timestamp": "yesterday"')],
      ['presence/connected/186b5', DISCONNECTED],
      ['presence/disconnected/186b5', DISCONNECTED.replace('"disconnectReason": "CLIENT_INITIATED_DISCONNECT",', '')],
      ['presence/disconnected/186b5', DISCONNECTED.replace('"versionNumber": 0', '"versionNumber": "0"')],
      ['presence/connect_failed/186b5', CONNECT_FAILED.replace('"connectFailureReason": "AUTHORIZATION_FAILED",', '')],
      ['subscriptions/subscribed/186b5', subscriptions('subscribed').replace('"foo/bar"', '7')],
      ['subscriptions/subscribed/186b5', subscriptions('subscribed').replace('["foo/bar","device/data","dog/cat"]', '"foo/bar"')],
    ];
    for (const [topic, payload] of bad) {
      const r = brokerEventsFrom(`$aws/events/${topic}`, payload, NOW);
      assert.equal(r?.broker, 'aws-iot', topic);
      assert.deepEqual(r?.events, [], payload);
      assert.match(r?.error ?? '', /./);
    }
  });
});
