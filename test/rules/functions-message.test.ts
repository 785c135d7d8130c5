// Message helpers (reference section 5.1) and miscellaneous functions (section 5.11).

import { strict as assert } from 'node:assert';
import { call, callIn, contextFor } from './functions-call';
import { clearRuleState } from '../../src/rules/functions/misc';

const publish = {
  id: '0005F2D6B2B2E2F1F4420100012B0002', topic: 't/a/b', qos: 1, clientid: 'c_emqx', username: 'u_emqx',
  peerhost: '192.168.0.10', flags: { retain: true, dup: false }, payload: '{"a":{"b":[1,2]},"s":"{\\"x\\":1}"}',
};

describe('rule message helpers', () => {
  const ctx = contextFor(publish);

  it('read the publish columns in SELECT', () => {
    assert.equal(callIn(ctx, 'msgid'), publish.id);
    assert.equal(callIn(ctx, 'qos'), 1);
    assert.equal(callIn(ctx, 'topic'), 't/a/b');
    assert.equal(callIn(ctx, 'topic', 3), 'b');
    assert.equal(callIn(ctx, 'clientid'), 'c_emqx');
    assert.equal(callIn(ctx, 'username'), 'u_emqx');
    assert.equal(callIn(ctx, 'clientip'), '192.168.0.10');
    assert.deepEqual(callIn(ctx, 'flags'), { retain: true, dup: false });
    assert.equal(callIn(ctx, 'flag', 'retain'), true);
    assert.equal(callIn(ctx, 'payload'), publish.payload);
    assert.deepEqual(callIn(ctx, 'payload', 'a.b'), [1, 2]);
    assert.equal(callIn(ctx, 'payload', 's.x'), 1);
    assert.equal(callIn(ctx, 'payload', 'missing.x'), undefined);
  });

  it('fail for a topic level out of range', () => {
    assert.throws(() => callIn(ctx, 'topic', 4), /topic\(\): level 4 is out of range: the topic has 3 levels/);
    assert.throws(() => callIn(ctx, 'topic', 0), /level 0 is out of range/);
  });

  it('give {} for flags() when the event has none', () => {
    assert.deepEqual(callIn(contextFor({ topic: 'x' }), 'flags'), {});
  });

  it('give undefined outside SELECT and DO', () => {
    const where = contextFor(publish, false);
    for (const [name, args] of [['msgid', []], ['topic', []], ['topic', [1]], ['payload', ['a']], ['flags', []]] as const) {
      assert.equal(callIn(where, name, ...args), undefined, name);
    }
  });

  it('raise decode_json_failed for payload(path) on a payload that is not JSON', () => {
    assert.throws(() => callIn(contextFor({ payload: 'nope' }), 'payload', 'a'), { code: 'decode_json_failed' });
  });
});

describe('rule miscellaneous functions', () => {
  beforeEach(() => clearRuleState());
  after(() => clearRuleState());

  it('make random UUIDs', () => {
    assert.match(call('uuid_v4') as string, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(call('uuid_v4_no_hyphen') as string, /^[0-9a-f]{32}$/);
    assert.notEqual(call('uuid_v4'), call('uuid_v4'));
  });

  it('read EMQXVAR_ variables, and cache them', () => {
    process.env.EMQXVAR_RULE_FN_TEST = 'v1';
    try {
      assert.equal(call('getenv', 'RULE_FN_TEST'), 'v1');
      process.env.EMQXVAR_RULE_FN_TEST = 'v2';
      assert.equal(call('getenv', 'RULE_FN_TEST'), 'v1');
      assert.equal(call('getenv', 'RULE_FN_NOT_SET'), '');
    } finally {
      delete process.env.EMQXVAR_RULE_FN_TEST;
    }
  });

  it('keep proc_dict_* per client and return the previous value like erlang:put', () => {
    const a = contextFor({ clientid: 'a' });
    const b = contextFor({ clientid: 'b' });
    assert.equal(callIn(a, 'proc_dict_put', 'k', 1), undefined);
    assert.equal(callIn(a, 'proc_dict_put', 'k', 2), 1);
    assert.equal(callIn(a, 'proc_dict_get', 'k'), 2);
    assert.equal(callIn(b, 'proc_dict_get', 'k'), undefined);
    assert.equal(callIn(a, 'proc_dict_del', 'k'), 2);
    assert.equal(callIn(a, 'proc_dict_get', 'k'), undefined);
  });

  it('share kv_store_* across clients, with a default', () => {
    assert.equal(callIn(contextFor({ clientid: 'a' }), 'kv_store_put', 'count', 5), true);
    assert.equal(callIn(contextFor({ clientid: 'b' }), 'kv_store_get', 'count'), 5);
    assert.equal(call('kv_store_get', 'other', 0), 0);
    assert.equal(call('kv_store_get', 1), undefined, 'the integer key 1 is not the string key "1"');
    assert.equal(call('kv_store_del', 'count'), true);
    assert.equal(call('kv_store_get', 'count'), undefined);
  });
});
