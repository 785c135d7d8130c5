// Issue 22: the sink adapter's runtime words (settings errors, drops across a close or a
// redeploy, restored writes) and the sidebar plugin's come from the message catalogs: English as
// before while no catalog is loaded, the runtime's language once Node-RED's RED._ answers.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Node, NodeAPI } from 'node-red';
import { checkSinkSettings } from '../../../src/nodes/dynamodb-sink/check';
import { DropBurstLog } from '../../../src/nodes/dynamodb-sink/completion';
import { readSinkConfig, SinkConfigError, type SinkNodeDef } from '../../../src/nodes/dynamodb-sink/config';
import { SinkLineage } from '../../../src/nodes/dynamodb-sink/lineage';
import { RestoredWrites } from '../../../src/nodes/dynamodb-sink/restored';
import { causeOf } from '../../../src/nodes/dynamodb-sink/status';
import { runtimeSinkText, sinkText } from '../../../src/nodes/dynamodb-sink/text';
import { pluginText } from '../../../src/plugins/text';
import type { QueuedWrite } from '../../../src/dynamo/delivery/queue';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** A RED._ answering from one language's catalog file, as Node-RED's i18n does (`__name__` filled). */
function redIn(file: string): NodeAPI {
  const catalog = JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as Record<string, unknown>;
  const _ = (key: string, vars: Record<string, unknown> = {}) => {
    let node: unknown = catalog;
    for (const part of key.split('.')) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
    return typeof node === 'string' ? node.replace(/__(.+?)__/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole)) : key;
  };
  return { _ } as unknown as NodeAPI;
}

/** Test-helper runtimes: RED._ returns the key, so the English catalog answers. */
const untranslated = { _: (key: string) => key } as unknown as NodeAPI;

function configError(def: Record<string, unknown>): SinkConfigError {
  try {
    readSinkConfig({ id: 's', type: 'dynamodb-sink', z: '', name: '', connector: '', ...def } as unknown as SinkNodeDef);
  } catch (err) {
    assert.ok(err instanceof SinkConfigError);
    return err;
  }
  assert.fail('no error');
}

function logOf() {
  const lines: string[] = [];
  const node = { warn: (t: string) => lines.push(`warn ${t}`), log: (t: string) => lines.push(`log ${t}`), error: (t: unknown) => lines.push(`error ${String(t)}`) };
  return { node: node as unknown as Node, lines };
}

describe('dynamodb-sink runtime words (issue 22)', function () {
  afterEach(function () {
    sinkText(untranslated);
  });

  it('settings errors: English as before, naming the property, which the dialog check marks', function () {
    sinkText(untranslated);
    assert.equal(configError({ operation: 'upsert' }).message, 'operation is "upsert": use one of put, update, delete, msg');
    assert.equal(configError({ batchSize: '0' }).message, 'batchSize is "0": give a whole number of items from 1 to 1000');
    assert.equal(
      configError({ maxWriteUnits: -1 }).message,
      'maxWriteUnits is -1: give a whole number of write capacity units per second (0 = no fixed limit) from 0 to 1000000',
    );
    assert.equal(configError({ createTable: 'yes' }).message, 'createTable is "yes": use true or false');
    assert.equal(configError({ hashKey: 'id', rangeKey: 'id' }).message, 'rangeKey "id" is the same as hashKey: leave rangeKey empty or name the sort key');
    assert.equal(configError({ ttlAttribute: 'id' }).message, 'ttlAttribute "id" is a key attribute: name another attribute for the expiry time');
    assert.deepEqual(checkSinkSettings({ batchSize: 'x' }), { ok: false, field: 'batchSize', message: 'batchSize is "x": give a whole number of items from 1 to 1000' });
  });

  it('settings errors in the runtime\'s language, the dialog still told the property', function () {
    sinkText(redIn('nodes/locales/zh-CN/dynamodb-sink.json'));
    const err = configError({ batchSize: '0' });
    assert.equal(err.message, 'batchSize 为 "0"：请填写 1 到 1000 之间的整数（单位：项）');
    assert.equal(err.field, 'batchSize');
    sinkText(redIn('nodes/locales/ja/dynamodb-sink.json'));
    const answer = checkSinkSettings({ hashKey: 'id', ttlAttribute: 'id' });
    assert.equal(answer.field, 'ttlAttribute');
    assert.match(answer.message ?? '', /^ttlAttribute "id" はキー属性です/);
  });

  it('drops after a close: one burst line and each write\'s error in the language, the status cause still found', async function () {
    sinkText(redIn('nodes/locales/zh-CN/dynamodb-sink.json'));
    const { node, lines } = logOf();
    Object.assign(node, { _flow: { handleError: () => false } });
    const burst = new DropBurstLog(node);
    for (const msg of [{ _msgid: '1' }, { _msgid: '2' }]) {
      burst.fail(msg, (err) => (node.error as (e: unknown, m: unknown) => void)(err, msg), new Error(`e${msg._msgid}`));
    }
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(lines, ['error 2 个排队的写入被丢弃 (resource_stopped)，因为 sink 在写入它们之前已被删除；第一个：e1']);

    const errors: string[] = [];
    const lineage = new SinkLineage('s1');
    const write = { operation: 'put', table: 't', listener: { dropped: (_r: string, err: Error) => errors.push(err.message) } } as unknown as QueuedWrite;
    lineage.expire([write], runtimeSinkText('errors.dropped.nodeRemoved'));
    assert.deepEqual(errors, ['对表 "t" 的 put 被丢弃 (resource_stopped)：sink 在写入前已关闭，sink 节点已被删除']);
    assert.equal(causeOf(errors[0]), 'stopped');
  });

  it('restored writes: the summary line in English as before, and in the language', function () {
    for (const [red, problem, summary] of [
      [
        untranslated,
        'a write restored from the disk buffer (from before the restart, so without its message) did not go through: gone',
        'writes restored from the disk buffer (3): 1 written, 0 failed, 1 dropped, 1 skipped (condition failed); first problem: gone. They came from before the restart: no message is sent on and no Catch node is reached for them.',
      ],
      [
        redIn('nodes/locales/ja/dynamodb-sink.json'),
        'ディスクバッファから復元した書き込み (再起動前のもので、メッセージはありません) が完了しませんでした: gone',
        'ディスクバッファから復元した書き込み (3 件): 書き込み 1 件、失敗 0 件、破棄 1 件、スキップ 1 件 (条件不成立)。最初の問題: gone。これらは再起動前のものです: メッセージは送信されず、Catch ノードにも届きません。',
      ],
    ] as const) {
      const { node, lines } = logOf();
      const restored = new RestoredWrites(node, sinkText(red));
      restored.expect(3);
      restored.written();
      restored.skipped();
      restored.dropped('expired', new Error('gone'));
      assert.deepEqual(lines, [`warn ${problem}`, `warn ${summary}`]);
    }
    const { node, lines } = logOf();
    const restored = new RestoredWrites(node, sinkText(untranslated));
    restored.expect(2);
    restored.written();
    restored.close();
    assert.deepEqual(lines, [
      'log writes restored from the disk buffer (1 of 2 done at close; the rest stay on disk): 1 written, 0 failed, 0 dropped. They came from before the restart: no message is sent on and no Catch node is reached for them.',
    ]);
  });

  it('the sidebar plugin: English from its catalog without one loaded, else the runtime\'s language', function () {
    assert.equal(pluginText(untranslated)('runtime.metricsFailed', { error: 'boom' }), 'metrics failed: boom');
    const ja = pluginText(redIn('plugins/locales/ja/dynamodb-sidebar.json'));
    assert.equal(ja('runtime.samplingFailed', { error: 'boom' }), 'sink のメトリクスのサンプリングに失敗しました: boom');
  });
});
