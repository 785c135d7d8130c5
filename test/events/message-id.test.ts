// EMQX message ids (src/events/columns.ts messageId): 16 hex digits of microseconds since 1970,
// 12 of node/process tag, 4 of sequence, so ids sort by time and never repeat in a process.
import * as assert from 'node:assert/strict';
import { messageId } from '../../src/events';

describe('EMQX message ids', function () {
  it('start with the current time in microseconds', function () {
    const before = Date.now() * 1000;
    const id = messageId();
    const after = (Date.now() + 1) * 1000;
    const micros = parseInt(id.slice(0, 16), 16);
    assert.ok(micros >= before && micros <= after, `${micros} within [${before}, ${after}]`);
  });

  it('share the process tag and count up within one microsecond', function () {
    const ids = Array.from({ length: 5000 }, () => messageId());
    assert.equal(new Set(ids.map((id) => id.slice(16, 28))).size, 1);
    assert.equal(new Set(ids).size, ids.length);
    for (let i = 1; i < ids.length; i++) {
      assert.ok(ids[i] > ids[i - 1], `${ids[i]} after ${ids[i - 1]}`);
      if (ids[i].slice(0, 16) === ids[i - 1].slice(0, 16)) {
        assert.equal(parseInt(ids[i].slice(28), 16), parseInt(ids[i - 1].slice(28), 16) + 1);
      }
    }
  });
});
