// Issue 22: the connection room's words (errors, hints, the endpoint's description, the dialog's
// create-table answers) come from the `connection` section of dynamodb-connector.json in the
// runtime's language once a catalog is installed, and stay the English of the code without one.
// The catalog here is the real zh-CN / ja file, filled as Node-RED's i18next fills it (__name__).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeEndpoint, hasStaticCredentials } from '../../../src/dynamo/connection/client';
import { connectorSettingsFrom } from '../../../src/dynamo/connection/connector';
import { readCreateTableRequest } from '../../../src/dynamo/connection/create-table';
import { classifyError, errorCause } from '../../../src/dynamo/connection/errors';
import { causeOf } from '../../../src/nodes/dynamodb-sink/status';
import { installCatalog, resetCatalogs } from '../../../src/words';

const LOCALES = path.resolve(__dirname, '..', '..', '..', 'nodes', 'locales');

/** The lookup Node-RED's RED._ gives for the connector's catalog in `lang` (the key when absent). */
function installConnectorCatalog(lang: string): void {
  const file = JSON.parse(fs.readFileSync(path.join(LOCALES, lang, 'dynamodb-connector.json'), 'utf8')) as Record<string, unknown>;
  installCatalog('connection', (key, vars) => {
    let node: unknown = file;
    for (const part of key.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
    if (typeof node !== 'string') return key;
    return node.replace(/__(.+?)__/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
  });
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
const settings = { url: 'http://127.0.0.1:9', region: 'us-west-2' };

function thrown(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('did not throw');
}

describe('connection words in the runtime language (issue 22)', function () {
  afterEach(resetCatalogs);

  it('English, byte for byte, without a catalog', function () {
    assert.equal(
      classifyError(refused(), { endpoint: describeEndpoint(settings) }).message,
      "cannot reach DynamoDB at http://127.0.0.1:9 (region us-west-2): connection refused; check the connector's url and that DynamoDB is running",
    );
    assert.equal(
      classifyError({ name: 'ValidationException', message: 'bad key' }, { table: 't1' }).message,
      'DynamoDB rejected the request for table "t1" (ValidationException: bad key)',
    );
  });

  it('zh-CN: an unreachable endpoint, a missing table, a timeout, bad settings and a bad create-table request', function () {
    installConnectorCatalog('zh-CN');
    const endpoint = describeEndpoint(settings);
    assert.equal(endpoint, 'http://127.0.0.1:9 (区域 us-west-2)');
    assert.equal(
      classifyError(refused(), { endpoint }).message,
      '无法连接 DynamoDB（http://127.0.0.1:9 (区域 us-west-2)）：连接被拒绝；请检查连接器的 url，并确认 DynamoDB 正在运行',
    );
    assert.equal(
      classifyError({ name: 'ResourceNotFoundException' }, { endpoint, table: 'mqtt_msg' }).message,
      '找不到表 "mqtt_msg"（http://127.0.0.1:9 (区域 us-west-2)）：请创建该表，或修正 sink 或连接器中的表名',
    );
    assert.equal(classifyError({ name: 'TimeoutError' }, { requestTimeout: 500 }).message, 'DynamoDB 未在 requestTimeout（500 毫秒）内应答');
    assert.equal(thrown(() => connectorSettingsFrom({ poolSize: '0' })), 'poolSize 必须是至少为 1 的整数，而不是 "0"');
    assert.equal(thrown(() => hasStaticCredentials({ accessKeyId: 'AKIA' })), '秘密访问密钥为空：请同时设置访问密钥 ID 和秘密访问密钥，或两者都留空以使用 AWS 默认凭证链');
    assert.equal(thrown(() => readCreateTableRequest({ table: 'mqtt_msg', hashKey: 'id', rangeKey: 'id' })), 'rangeKey "id" 与分区键相同：请为排序键换一个名称，或不设排序键');
  });

  it('ja: an answer from a server that is not DynamoDB names the URL without the translated region', function () {
    installConnectorCatalog('ja');
    const endpoint = describeEndpoint(settings);
    assert.equal(endpoint, 'http://127.0.0.1:9 (リージョン us-west-2)');
    const html = Object.assign(new SyntaxError("Unexpected token '<'"), { $response: { statusCode: 404, headers: { 'content-type': 'text/html; charset=utf-8' } } });
    assert.equal(
      classifyError(html, { endpoint }).message,
      'http://127.0.0.1:9 は応答しましたが、DynamoDB ではありません (HTTP 404, text/html): コネクタの URL を確認してください (DynamoDB Local のデフォルトのポートは 8000 です。AWS の場合は空にします)',
    );
  });

  it("each error's one-word cause (the sink status's) is the same in every language, though its words are not", function () {
    const endpoint = describeEndpoint(settings);
    const html = Object.assign(new SyntaxError("Unexpected token '<'"), { $response: { statusCode: 404, headers: { 'content-type': 'text/html' } } });
    const cases: [unknown, string][] = [
      [{ name: 'ResourceNotFoundException' }, 'notFound'],
      [{ name: 'UnrecognizedClientException' }, 'credentials'],
      [{ name: 'ProvisionedThroughputExceededException', ThrottlingReasons: [{ reason: 'TableWriteKeyRangeThroughputExceeded' }] }, 'hotKey'],
      [{ name: 'ProvisionedThroughputExceededException' }, 'throttled'],
      [{ name: 'ConditionalCheckFailedException' }, 'condition'],
      [refused(), 'unreachable'],
      [{ name: 'TimeoutError' }, 'unreachable'],
      [{ name: 'ValidationException', message: 'bad key' }, 'rejected'],
      [html, 'notDynamo'],
    ];
    for (const lang of ['en-US', 'zh-CN', 'ja']) {
      if (lang === 'en-US') resetCatalogs();
      else installConnectorCatalog(lang);
      for (const [err, cause] of cases) {
        const c = classifyError(err, { endpoint, table: 'mqtt_msg', requestTimeout: 500 });
        assert.equal(errorCause(c), cause, `${lang}: ${c.message}`);
        // The English wording gives the same cause (what the status read before causes were kept).
        if (lang === 'en-US') assert.equal(causeOf(c.message), cause, c.message);
      }
    }
  });
});
