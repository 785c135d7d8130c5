// Issue 22: the runtime speaks the language of Node-RED's settings (`lang: 'zh-CN'`), not only the
// editor. A real Node-RED (child process, 127.0.0.1 only) with a connector pointed at a port where
// nothing listens and a dynamodb-sink using it: the connector dialog's "Test connectivity"
// (POST /dynamodb-connector/test), the sink's metrics (GET /dynamodb-sink/<id>/metrics, the
// connector's health reason) and the connector's log line say "cannot reach DynamoDB" in the
// zh-CN catalog's words (the `connection` section of nodes/locales/zh-CN/dynamodb-connector.json).
// Started here rather than with support/node-red-process.ts, which waits for the English log line
// "Started flows" (in zh-CN Node-RED logs 流程已启动): this waits for the admin API and the sink.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../support/dynamodb';
import { adminGet } from './support/node-red-process';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

interface ChineseNodeRed {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** Node-RED 4 with settings.lang zh-CN and `flows`, listening on 127.0.0.1, once its flows run (`ready` answers). */
async function startChineseNodeRed(flows: unknown[], ready: string): Promise<ChineseNodeRed> {
  const port = await freePort();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nr-zh-'));
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
  const settings = {
    lang: 'zh-CN',
    uiHost: '127.0.0.1',
    uiPort: port,
    userDir,
    flowFile: 'flows.json',
    nodesDir: [PROJECT_ROOT],
    telemetry: { enabled: false, updateNotification: false },
    editorTheme: { tours: false, projects: { enabled: false } },
    logging: { console: { level: 'info', metrics: false, audit: false } },
  };
  const settingsFile = path.join(userDir, 'settings.js');
  fs.writeFileSync(settingsFile, `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  const child: ChildProcess = spawn(process.execPath, [require.resolve('node-red/red.js'), '--settings', settingsFile, '--userDir', userDir], {
    cwd: userDir,
    // Credentials from the environment: no lookup of an instance role off this machine.
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'zh', AWS_SECRET_ACCESS_KEY: 'cn', AWS_EC2_METADATA_DISABLED: 'true', NODE_RED_ENABLE_PROJECTS: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let running = true;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running = false;
      resolve();
    });
  });
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (running) {
        child.kill('SIGINT');
        const hung = setTimeout(() => child.kill('SIGKILL'), 10000);
        await exited;
        clearTimeout(hung);
      }
      fs.rmSync(userDir, { recursive: true, force: true });
    })());
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 30000; ; ) {
    try {
      await adminGet(`${url}${ready}`);
      return { url, output: () => output, stop };
    } catch (err) {
      if (!running || Date.now() > deadline) {
        await stop();
        throw new Error(`Node-RED did not start (${String(err)}):\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

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
  let red: ChineseNodeRed | undefined;
  let deadUrl: string;

  before(async function () {
    this.timeout(40000);
    // A port that was free a moment ago: connecting to it is refused at once.
    deadUrl = `http://127.0.0.1:${await freePort()}`;
    red = await startChineseNodeRed(
      [
        { id: 'tab', type: 'tab', label: 'zh-CN' },
        { id: 'db', type: 'dynamodb-connector', name: '', url: deadUrl, region: 'us-east-1', table: 'mqtt_msg', requestTimeout: 2000, healthCheckInterval: 60000 },
        {
          id: 'sink', type: 'dynamodb-sink', z: 'tab', name: '', connector: 'db', table: 'mqtt_msg', template: '', operation: 'put',
          updateExpression: '', condition: '', onConditionFailed: 'skip', ttlAttribute: '', ttlSeconds: 0, hashKey: 'id', rangeKey: '',
          encoding: 'emqx', undefinedVarsAsNull: false, queryMode: 'async', batchSize: 25, batchTime: 20, inflightWindow: 16,
          requestTtl: 45000, maxWriteUnits: 0, maxBufferBytes: 67108864, bufferMode: 'memory', x: 300, y: 100, wires: [[]],
        },
      ],
      // Answers once the flows run and the sink is started.
      '/dynamodb-sink/sink/metrics',
    );
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
