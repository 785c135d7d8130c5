// Issue 22: the runtime speaks the language of Node-RED's settings (`lang: 'zh-CN'`), not only the
// editor. A real Node-RED (child process, 127.0.0.1 only) with a connector pointed at a port where
// nothing listens and a dynamodb-sink using it: the connector dialog's "Test connectivity"
// (POST /dynamodb-connector/test), the sink's metrics (GET /dynamodb-sink/<id>/metrics, the
// connector's health reason) and the connector's log line say "cannot reach DynamoDB" in the
// zh-CN catalog's words (the `connection` section of nodes/locales/zh-CN/dynamodb-connector.json).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { freePort } from '../support/dynamodb';
import { adminGet, startNodeRed, type NodeRedProcess } from './support/node-red-process';

type Catalog = { [key: string]: string | Catalog };

/** The zh-CN text of a `connection` key, filled as Node-RED's i18next fills it. */
function zhCN(key: string, vars: Record<string, string>): string {
  const file = path.resolve(__dirname, '..', '..', 'nodes', 'locales', 'zh-CN', 'dynamodb-connector.json');
  let node: string | Catalog = JSON.parse(fs.readFileSync(file, 'utf8')) as Catalog;
  for (const part of key.split('.')) node = (node as Catalog)[part];
  assert.equal(typeof node, 'string', `${key} in zh-CN`);
  return (node as string).replace(/__(.+?)__/g, (whole, name: string) => vars[name] ?? whole);
}

function postJson(url: string, body: unknown): Promise<Record<string, unknown>> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => ((res.statusCode ?? 500) >= 300 ? reject(new Error(`POST ${url}: ${res.statusCode} ${text}`)) : resolve(JSON.parse(text) as Record<string, unknown>)));
    });
    req.on('error', reject);
    req.end(data);
  });
}

describe('the runtime in Chinese: settings.lang zh-CN (issue 22)', function () {
  this.timeout(15000);
  let red: NodeRedProcess | undefined;
  let deadUrl: string;

  before(async function () {
    this.timeout(40000);
    // A port that was free a moment ago: connecting to it is refused at once.
    deadUrl = `http://127.0.0.1:${await freePort()}`;
    red = await startNodeRed({
      settings: { lang: 'zh-CN' },
      // Credentials from the environment: no lookup of an instance role off this machine.
      env: { AWS_ACCESS_KEY_ID: 'zh', AWS_SECRET_ACCESS_KEY: 'cn', AWS_EC2_METADATA_DISABLED: 'true' },
      flows: [
        { id: 'tab', type: 'tab', label: 'zh-CN' },
        { id: 'db', type: 'dynamodb-connector', name: '', url: deadUrl, region: 'us-east-1', table: 'mqtt_msg', requestTimeout: 2000, healthCheckInterval: 60000 },
        {
          id: 'sink', type: 'dynamodb-sink', z: 'tab', name: '', connector: 'db', table: 'mqtt_msg', template: '', operation: 'put',
          updateExpression: '', condition: '', onConditionFailed: 'skip', ttlAttribute: '', ttlSeconds: 0, hashKey: 'id', rangeKey: '',
          encoding: 'emqx', undefinedVarsAsNull: false, queryMode: 'async', batchSize: 25, batchTime: 20, inflightWindow: 16,
          requestTtl: 45000, maxWriteUnits: 0, maxBufferBytes: 67108864, bufferMode: 'memory', x: 300, y: 100, wires: [[]],
        },
      ],
    });
  });

  after(async function () {
    this.timeout(30000);
    await red?.stop();
  });

  const unreachable = () =>
    zhCN('connection.network.unreachable', {
      where: zhCN('connection.where.at', { endpoint: zhCN('connection.endpoint.describe', { url: deadUrl, region: 'us-east-1' }) }),
      problem: zhCN('connection.network.refused', {}),
    });

  it('"Test connectivity" answers in zh-CN', async () => {
    const answer = await postJson(`${red!.url}/dynamodb-connector/test`, { url: deadUrl, region: 'us-east-1', accessKeyId: 'zh', secretAccessKey: 'cn' });
    assert.equal(answer.ok, false);
    assert.equal(answer.error, unreachable());
    assert.match(String(answer.error), /无法连接 DynamoDB.*区域 us-east-1.*连接被拒绝/);
    assert.doesNotMatch(String(answer.error), /cannot reach|connection refused|region/);
  });

  it("the sink's metrics and the connector's log give the health check's reason in zh-CN", async () => {
    let metrics: { connection?: string; reason?: string } = {};
    for (const deadline = Date.now() + 8000; metrics.connection !== 'down' && Date.now() < deadline; ) {
      metrics = (await adminGet(`${red!.url}/dynamodb-sink/sink/metrics`)) as typeof metrics;
      if (metrics.connection !== 'down') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(metrics.connection, 'down', JSON.stringify(metrics));
    assert.equal(metrics.reason, unreachable());
    // node.warn of the connector: dynamodb-connector.log.down, with the same reason.
    assert.ok(red!.output().includes(`DynamoDB 健康检查失败：${unreachable()}`), red!.output().slice(-3000));
  });
});
