// Issue 22: a connector pointed at a server that answers HTTP but is not DynamoDB (here, one that
// answers HTML as Node-RED's own editor port does) says so and names the URL, in the editor's
// "Test connectivity" (POST /dynamodb-connector/test), the health check, a sink's status and its
// write errors, instead of the SDK's `Unexpected token '<'`. A real HTTP server on 127.0.0.1.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { classifyError } from '../../src/dynamo/connection/errors';
import { CONNECTOR_CREDENTIALS, helper, SINK_NODES, sinkFlow, sinkMetrics, until, watchSink } from '../support/sink-flow';

interface HtmlServer {
  url: string;
  requests: number;
  stop(): Promise<void>;
}

/** Answers every request with an HTML page, as an Express app without that route does. */
async function startHtmlServer(status: number): Promise<HtmlServer> {
  const server = http.createServer((_req, res) => {
    answer.requests++;
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!DOCTYPE html>\n<html lang="en"><head><title>Error</title></head><body><pre>Cannot POST /</pre></body></html>\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const answer: HtmlServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: 0,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return answer;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('a connector URL that is not DynamoDB (issue 22)', function () {
  this.timeout(30000);
  let html404: HtmlServer;
  let html200: HtmlServer;
  let userDir: string;

  before(async function () {
    html404 = await startHtmlServer(404);
    html200 = await startHtmlServer(200);
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'not-dynamodb-'));
    helper.settings({ userDir });
    await helper.startServer();
  });
  after(async function () {
    await helper.stopServer();
    helper.settings({});
    await html404?.stop();
    await html200?.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });
  afterEach(async function () {
    await helper.unload();
  });

  it('Test connectivity names the URL, the HTTP status and the content type', async function () {
    await helper.load(SINK_NODES, []);
    for (const [server, status] of [[html404, 404], [html200, 200]] as const) {
      const res = await (helper.request() as any)
        .post('/dynamodb-connector/test')
        .send({ url: server.url, region: 'us-west-2', accessKeyId: 'root', secretAccessKey: 'public' })
        .expect(200);
      assert.equal(res.body.ok, false);
      assert.match(res.body.error, new RegExp(`^${escape(server.url)} answered, but it is not DynamoDB \\(HTTP ${status}, text/html\\): check the connector's URL`));
      assert.doesNotMatch(res.body.error, /Unexpected token|Deserialization/);
    }
    assert.ok(html404.requests > 0 && html200.requests > 0, 'the servers were asked');
  });

  it('the health check says DynamoDB is down and why; the sink waits (DynamoDB down) and its card says why', async function () {
    const sinkId = 'sink-html';
    await helper.load(SINK_NODES, sinkFlow({ url: html404.url, sinkId }), CONNECTOR_CREDENTIALS);
    const w = watchSink(sinkId);
    w.send({ payload: { id: 'a' } });
    await until('down status', () => w.statuses.some((s) => s.text === 'DynamoDB down · 1 queued'));
    const m = (await sinkMetrics(sinkId)).body;
    assert.equal(m.connection, 'down');
    assert.match(m.reason, new RegExp(`^${escape(html404.url)} answered, but it is not DynamoDB \\(HTTP 404, text/html\\)`));
    assert.equal(m.counters.failed, 0, 'the write waits, as for an unreachable DynamoDB');
    assert.equal(w.caught.length, 0);
  });

  it('a write error is classified as such, retryable, with the URL', function () {
    // The SDK's own error for an HTML answer: SyntaxError with the raw $response.
    const err = Object.assign(new SyntaxError('Unexpected token \'<\', "<!DOCTYPE "... is not valid JSON\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.'), {
      $metadata: { httpStatusCode: 404 },
      $response: { statusCode: 404, headers: { 'content-type': 'text/html; charset=utf-8' } },
    });
    const c = classifyError(err, { endpoint: 'http://127.0.0.1:1880 (region us-west-2)' });
    assert.equal(c.kind, 'network');
    assert.equal(c.retryable, true);
    assert.match(c.message, /^http:\/\/127\.0\.0\.1:1880 answered, but it is not DynamoDB \(HTTP 404, text\/html\)/);
    // A proxy's 502 page stays a server error (retried), and a JSON answer is left to the other rules.
    const proxy = Object.assign(new SyntaxError('Unexpected token'), { $response: { statusCode: 502, headers: { 'content-type': 'text/html' } } });
    assert.equal(classifyError(proxy).kind, 'server');
  });
});
