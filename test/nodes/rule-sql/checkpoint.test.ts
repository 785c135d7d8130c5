// The rule-sql stream properties of issue 20 as saved flows hold them, and which context store
// keeps the state (DESIGN.md 1.2 and 7).
import { strict as assert } from 'node:assert';
import type { NodeAPI } from 'node-red';
import { stateStore } from '../../../src/nodes/rule-sql/checkpoint';
import { runnerProperties as streamProperties } from '../../../src/nodes/rule-sql/stream-runner';

const red = (contextStorage?: unknown) => ({ settings: { contextStorage } }) as unknown as NodeAPI;

describe('rule-sql checkpoint properties', () => {
  it('takes a missing property as its default, and numeric strings', () => {
    assert.deepEqual(streamProperties({}), { eventTime: '', lateness: 0, maxGroups: 10000, watermark: 'rule', checkpointInterval: 5000, contextStore: '' });
    const p = streamProperties({ watermark: 'group', checkpointInterval: '200', contextStore: ' file ', maxGroups: '5' });
    assert.deepEqual([p.watermark, p.checkpointInterval, p.contextStore, p.maxGroups], ['group', 200, 'file', 5]);
    assert.equal(streamProperties({ checkpointInterval: '' }).checkpointInterval, 5000);
    assert.equal(streamProperties({ checkpointInterval: 0 }).checkpointInterval, 0);
  });

  it('refuses what is not a watermark, an interval or a store name', () => {
    assert.throws(() => streamProperties({ watermark: 'device' }), /watermark must be "rule" or "group"/);
    assert.throws(() => streamProperties({ checkpointInterval: '-1' }), /checkpointInterval must be a number of ms/);
    assert.throws(() => streamProperties({ checkpointInterval: 'soon' }), /checkpointInterval/);
    assert.throws(() => streamProperties({ contextStore: 'a/b' }), /contextStore must name a context store/);
  });

  it('resolves the store as Node-RED does and tells a persistent one', () => {
    assert.equal(stateStore(red(), '').persistent, false, 'no contextStorage: memory');
    assert.equal(stateStore(red({ default: { module: 'localfilesystem' } }), '').persistent, true);
    const both = { default: { module: 'memory' }, file: { module: 'localfilesystem' } };
    assert.equal(stateStore(red(both), '').persistent, false);
    assert.equal(stateStore(red(both), 'file').persistent, true);
    assert.equal(stateStore(red(both), 'file').name, 'file');
    assert.equal(stateStore(red(both), 'nosuch').persistent, false, 'an unknown store is the default one');
    assert.equal(stateStore(red({ default: 'file', file: { module: 'localfilesystem' } }), '').persistent, true, 'default as an alias');
    assert.equal(stateStore(red({ file: { module: 'localfilesystem' }, mem: { module: 'memory' } }), '').persistent, true, 'no default: the first store');
  });
});
