// FROM matching (reference section 3.1) and the event topic table (section 4).

import assert from 'node:assert/strict';
import {
  compileRule, eventOfTopic, eventTopicOf, matchTopic, normalizeSource, sourceEvents, triggerTopicOf,
} from '../../src';

describe('MQTT topic filters', () => {
  const cases: [string, string, boolean][] = [
    ['t/#', 't/a/b', true],
    ['t/#', 't', true], // # matches the parent level too
    ['t/#', 'tt/a', false],
    ['t/+/x', 't//x', true], // + matches an empty level
    ['t/+/x', 't/a/b/x', false],
    ['t/+', 't/a', true],
    ['t/+', 't', false],
    ['#', 'a/b', true],
    ['#', '$SYS/brokers', false], // $ topics are not matched by a leading wildcard
    ['+/brokers', '$SYS/brokers', false],
    ['$SYS/#', '$SYS/brokers', true],
    ['$events/#', '$events/client/connected', true],
    ['a/b', 'a/b', true],
    ['a/b', 'a/b/c', false],
    ['+/+', '/x', true],
  ];
  for (const [filter, topic, expected] of cases) {
    it(`${filter} ${expected ? 'matches' : 'does not match'} ${topic}`, () => {
      assert.equal(matchTopic(filter, topic), expected);
    });
  }
});

describe('event topics', () => {
  it('maps events to their new topics and back, legacy spellings included', () => {
    assert.equal(eventTopicOf('client.connected'), '$events/client/connected');
    assert.equal(eventTopicOf('delivery.dropped'), '$events/message/delivery_dropped');
    assert.equal(eventTopicOf('message.publish'), undefined);
    assert.equal(eventTopicOf('$bridges/mqtt:in'), '$bridges/mqtt:in');
    assert.equal(eventOfTopic('$events/client_disconnected'), 'client.disconnected');
    assert.equal(eventOfTopic('$events/auth/check_authz_complete'), 'client.check_authz_complete');
    assert.equal(normalizeSource('$events/session_subscribed'), '$events/session/subscribed');
    assert.equal(normalizeSource('t/#'), 't/#');
  });

  it('tells which events a FROM topic fires for', () => {
    assert.deepEqual(sourceEvents('t/#'), ['message.publish']);
    assert.deepEqual(sourceEvents('$events/client_connected'), ['client.connected']);
    assert.deepEqual(sourceEvents('$events/sys/+'), ['alarm.activated', 'alarm.deactivated']);
    assert.equal(sourceEvents('$events/#').length, 16);
    const rule = compileRule('SELECT * FROM "t/#", "$events/client_connected", "$events/client/disconnected"');
    assert.deepEqual(rule.events, ['message.publish', 'client.connected', 'client.disconnected']);
    assert.deepEqual(rule.sources, ['t/#', '$events/client_connected', '$events/client/disconnected']);
  });

  it('chooses the trigger topic: event_topic, else the event topic, else the MQTT topic', () => {
    assert.deepEqual(triggerTopicOf({ event: 'message.publish', topic: 't/a' }), { kind: 'topic', topic: 't/a' });
    assert.deepEqual(triggerTopicOf({ topic: 't/a' }), { kind: 'topic', topic: 't/a' });
    assert.deepEqual(triggerTopicOf({ event: 'client.connected', topic: 't/a' }), { kind: 'event', topic: '$events/client/connected' });
    assert.deepEqual(triggerTopicOf({ event: '$bridges/mqtt:in', event_topic: '$bridges/mqtt:in' }), { kind: 'data_source', topic: '$bridges/mqtt:in' });
    assert.equal(triggerTopicOf({ event: 'no.such_event' }), undefined);
  });
});

describe('FROM matching', () => {
  it('never fires an event topic for a publish, nor a topic filter for an event', () => {
    const events = compileRule('SELECT topic FROM "$events/#"');
    assert.equal(events.evaluate({ event: 'message.publish', topic: '$events/client/connected' }), null);
    const topics = compileRule('SELECT topic FROM "t/#"');
    assert.equal(topics.evaluate({ event: 'session.subscribed', topic: 't/a' }), null);
    assert.deepEqual(events.evaluate({ event: 'session.subscribed', topic: 't/a' }), [{ topic: 't/a' }]);
  });

  it('takes the first matching source among several, in either quote style', () => {
    const rule = compileRule(`SELECT clientid FROM 'a/#', "$events/client_connected", b`);
    assert.deepEqual(rule.evaluate({ topic: 'b', clientid: 'x' }), [{ clientid: 'x' }]);
    assert.deepEqual(rule.evaluate({ event: 'client.connected', clientid: 'y' }), [{ clientid: 'y' }]);
    assert.equal(rule.evaluate({ event: 'client.disconnected', clientid: 'y' }), null);
    assert.equal(rule.matches({ topic: 'a/1' }), true);
  });

  it('ignores $SYS messages that carry the sys flag', () => {
    const rule = compileRule('SELECT topic FROM "$SYS/#"');
    assert.equal(rule.evaluate({ topic: '$SYS/brokers', flags: { sys: true } }), null);
    assert.deepEqual(rule.evaluate({ topic: '$SYS/brokers', flags: { dup: false } }), [{ topic: '$SYS/brokers' }]);
  });

  it('matches data sources by their hook point', () => {
    const rule = compileRule('SELECT payload FROM "$bridges/mqtt:in"');
    assert.deepEqual(rule.evaluate({ event: '$bridges/mqtt:in', payload: 'p' }), [{ payload: 'p' }]);
    assert.equal(rule.evaluate({ event: '$bridges/mqtt:other', payload: 'p' }), null);
  });
});
