// Mosquitto's log (log_dest topic) → events (DESIGN.md section 3.1).
// Lines as Mosquitto prints them (github.com/eclipse-mosquitto/mosquitto): src/logging.c (topics,
// "<epoch s>: " prefix), src/handle_connect.c ("New client connected from ..."; 2.0 "already
// connected"), src/loop.c do_disconnect (v2.0.22 sentences, v2.1.2 "Client %s [%s:%d] disconnected:
// ..."), src/handle_subscribe.c / handle_unsubscribe.c; lib/mosquitto_internal.h (p numbers);
// strerror texts: glibc (this machine's) and musl src/errno/__strerror.h. Measured lines from
// Debian's mosquitto 2.0.11 with mqtt.js are marked "measured".

import { strict as assert } from 'node:assert';
import { brokerEventsFrom, mosquittoTopic, V20_DISCONNECTS, V21_DISCONNECTS } from '../../../src/events/brokers';
import { NODE_NAME } from '../../../src/events';

const NOW = 1700000000123;
const N = '$SYS/broker/log/N';

const events = (topic: string, line: string) => {
  const r = brokerEventsFrom(topic, line, NOW);
  assert.ok(r);
  assert.equal(r.broker, 'mosquitto');
  assert.equal(r.error, undefined, r.error);
  return r.events;
};
const one = (line: string, topic = N) => {
  const got = events(topic, line);
  assert.equal(got.length, 1, line);
  return got[0];
};

describe('Mosquitto log lines → events', function () {
  it('recognises the log topics', () => {
    assert.equal(mosquittoTopic('$SYS/broker/log/N'), 'log');
    assert.equal(mosquittoTopic('$SYS/broker/log/E'), 'log');
    assert.equal(mosquittoTopic('$SYS/broker/log/M/subscribe'), 'subscribe');
    assert.equal(mosquittoTopic('$SYS/broker/log/M/unsubscribe'), 'unsubscribe');
    assert.equal(mosquittoTopic('$SYS/broker/clients/connected'), undefined);
    assert.equal(brokerEventsFrom('$SYS/broker/uptime', '12 seconds', NOW), undefined);
  });

  it('connect line (measured): every field, arrival time as timestamp', () => {
    assert.deepEqual(one("New client connected from 127.0.0.1:58456 as emqx_c (p5, c1, k30, u'u1')."), {
      clientid: 'emqx_c', username: 'u1', mountpoint: undefined, peerhost: '127.0.0.1', peername: '127.0.0.1:58456',
      sockname: undefined, proto_name: 'MQTT', proto_ver: 5, keepalive: 30, clean_start: true, receive_maximum: undefined,
      expiry_interval: undefined, is_bridge: false, conn_props: undefined, connected_at: NOW,
      event: 'client.connected', timestamp: NOW, node: NODE_NAME,
    });
  });

  it('with the default log_timestamp: connected_at is the line second × 1000, timestamp the arrival', () => {
    const e = one("1700000000: New client connected from 10.1.2.3:40000 as dev1 (p2, c0, k60).");
    assert.equal(e.connected_at, 1700000000000);
    assert.equal(e.timestamp, NOW);
    assert.equal(e.clean_start, false);
    assert.ok('username' in e && e.username === undefined, 'no u\'...\' means no username');
  });

  it('protocol numbers of 2.0 (p1 p2 p5) and 2.1 (p3 p4 p5) → proto_ver 3, 4, 5', () => {
    for (const [p, ver, name] of [[1, 3, 'MQIsdp'], [2, 4, 'MQTT'], [3, 3, 'MQIsdp'], [4, 4, 'MQTT'], [5, 5, 'MQTT']] as const) {
      const e = one(`New client connected from 127.0.0.1:1 as c (p${p}, c1, k0).`);
      assert.deepEqual([e.proto_ver, e.proto_name], [ver, name], `p${p}`);
    }
    assert.deepEqual(events(N, 'New client connected from 127.0.0.1:1 as c (p9, c1, k0).'), []);
  });

  it('IPv6 addresses, client ids and usernames with spaces and parentheses, bridges', () => {
    const e = one("New client connected from ::1:5000 as my dev (1) (p5, c1, k10, u'o'brien').");
    assert.deepEqual([e.peerhost, e.peername, e.clientid, e.username], ['::1', '::1:5000', 'my dev (1)', "o'brien"]);
    assert.equal(one('New bridge connected from 10.0.0.9:1883 as edge.bridge (p4, c0, k60).').is_bridge, true);
  });

  it('2.0 disconnect lines (measured: disconnected, closed its connection): every reason', () => {
    const expected: Record<string, string> = {
      'disconnected.': 'normal',
      'closed its connection.': 'tcp_closed',
      'has exceeded timeout, disconnecting.': 'keepalive_timeout',
      'disconnected due to malformed packet.': 'frame_error',
      'disconnected due to protocol error.': 'protocol_error',
      'disconnected, not authorised.': 'not_authorized',
      'disconnected due to oversize packet.': 'packet_too_large',
      'disconnected due to oversize payload.': 'packet_too_large',
      'disconnected due to out of memory.': 'internal_error',
      'disconnected due to using not allowed feature (QoS too high, retain not supported, or bad AUTH method).': 'protocol_error',
      'been disconnected by administrative action.': 'kicked',
      'already connected, closing old connection.': 'takenover',
    };
    assert.deepEqual(Object.keys(V20_DISCONNECTS).sort(), Object.keys(expected).sort());
    for (const [sentence, reason] of Object.entries(expected)) {
      const e = one(`1700000001: Client dev2 ${sentence}`, sentence.startsWith('already') ? '$SYS/broker/log/E' : N);
      assert.deepEqual(e, {
        reason, clientid: 'dev2', username: undefined, peerhost: undefined, peername: undefined, sockname: undefined,
        proto_name: undefined, proto_ver: undefined, disconn_props: undefined, disconnected_at: 1700000001000,
        event: 'client.disconnected', timestamp: NOW, node: NODE_NAME,
      }, sentence);
    }
  });

  it('2.0 socket errors: strerror (glibc and musl) → POSIX name; mosquitto_strerror lines', () => {
    for (const [text, reason] of [
      ['Connection reset by peer', 'econnreset'], ['Broken pipe', 'epipe'], ['Connection timed out', 'etimedout'],
      ['No route to host', 'ehostunreach'], ['Transport endpoint is not connected', 'enotconn'], ['Socket is not connected', 'enotconn'],
      ['Software caused connection abort', 'econnaborted'], ['Something unheard of', 'internal_error'],
    ]) {
      assert.equal(one(`Client dev3 disconnected: ${text}.`).reason, reason, text);
    }
    assert.equal(one('Bad socket read/write on client dev3: A TLS error occurred.').reason, 'ssl_error');
    assert.equal(one('Bad socket read/write on client dev3: Unknown error.').reason, 'internal_error');
  });

  it('2.1 disconnect lines: the address too, every reason', () => {
    const e = one('1700000002: Client dev4 [192.168.1.5:50123] disconnected.');
    assert.deepEqual([e.reason, e.peerhost, e.peername, e.disconnected_at], ['normal', '192.168.1.5', '192.168.1.5:50123', 1700000002000]);
    assert.equal(Object.keys(V21_DISCONNECTS).length, 23);
    for (const [text, reason] of Object.entries(V21_DISCONNECTS)) {
      assert.equal(one(`Client dev4 [192.168.1.5:50123] disconnected: ${text}.`).reason, reason, text);
    }
    assert.equal(one('Client dev4 [::1:1] disconnected: Connection reset by peer.').reason, 'econnreset');
    assert.equal(one('Client dev4 [::1:1] disconnected: bad socket read/write: A TLS error occurred.').reason, 'ssl_error');
    assert.equal(one('Client dev4 [::1:1] disconnected: session taken over.').reason, 'takenover');
  });

  it('subscribe and unsubscribe lines (measured: "nr_sub 0 $SYS/broker/log/#")', () => {
    assert.deepEqual(one('nr_sub 0 $SYS/broker/log/#', '$SYS/broker/log/M/subscribe'), {
      clientid: 'nr_sub', username: undefined, peerhost: undefined, peername: undefined, topic: '$SYS/broker/log/#', qos: 0,
      sub_props: undefined, event: 'session.subscribed', timestamp: NOW, node: NODE_NAME,
    });
    assert.equal(one('1700000003: dev 2 a b/c', '$SYS/broker/log/M/subscribe').topic, 'a b/c');
    const u = one('1700000003: dev t/1', '$SYS/broker/log/M/unsubscribe');
    assert.deepEqual([u.event, u.clientid, u.topic, 'unsub_props' in u], ['session.unsubscribed', 'dev', 't/1', true]);
    // A refused filter is logged with 0x80 (128) or 0x87 (135): no subscription.
    assert.deepEqual(events('$SYS/broker/log/M/subscribe', 'dev 135 secret/#'), []);
  });

  it('lines that are not about a client event: publish only, not an error', () => {
    for (const line of [
      'New connection from 127.0.0.1:58456 on port 1883.',
      '1700000000: mosquitto version 2.0.11 running',
      'Client <unknown> closed its connection.',
      'Client 127.0.0.1 [127.0.0.1:5000] disconnected: protocol error.',
      'Expiring client dev due to timeout.',
      'Saving in-memory database to /var/lib/mosquitto/mosquitto.db.',
    ]) {
      assert.deepEqual(brokerEventsFrom(N, line, NOW), { broker: 'mosquitto', events: [] }, line);
    }
  });

  it('bad payloads: a subscribe line that does not parse, bytes that are not text', () => {
    for (const [topic, payload] of [['$SYS/broker/log/M/subscribe', 'garbage'], ['$SYS/broker/log/M/unsubscribe', 'x'], [N, Buffer.from([0xc3, 0x28])]] as const) {
      const r = brokerEventsFrom(topic, payload, NOW);
      assert.equal(r?.broker, 'mosquitto');
      assert.deepEqual(r?.events, []);
      assert.match(r?.error ?? '', /./);
    }
  });
});
