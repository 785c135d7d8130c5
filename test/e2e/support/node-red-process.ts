// A real Node-RED 4 for end-to-end tests, run as a child process (not in the mocha process, where
// node-red-node-test-helper owns the runtime singleton): a temporary user directory, this
// package loaded through `nodesDir`, node-red-contrib-aedes found beside node-red in
// node_modules, telemetry and tours off, and a starting flow already deployed.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../support/dynamodb';

const projectRoot = path.resolve(__dirname, '..', '..', '..');

export interface NodeRedProcess {
  /** Editor and admin API, e.g. `http://127.0.0.1:41234` */
  url: string;
  port: number;
  userDir: string;
  /** Everything the process printed so far (last 20 000 characters, or `keepOutput`). */
  output(): string;
  /** null while the process runs; how it ended once it has (a crash shows here). */
  exited(): string | null;
  /** SIGINT (Node-RED closes its flows), SIGKILL after 15 s; removes the user directory. */
  stop(): Promise<void>;
  /** SIGKILL at once (a crash: nothing closes); removes the user directory unless it was given. */
  kill(): Promise<void>;
}

export interface NodeRedOptions {
  /** Flow JSON deployed at start. */
  flows?: unknown[];
  /** Extra environment for the process (e.g. AWS_* for the default credential chain). */
  env?: Record<string, string>;
  /** Use this user directory (kept at stop, e.g. to start Node-RED again on it) instead of a new one. */
  userDir?: string;
  /** Characters of output kept for output(); 20 000 when absent. */
  keepOutput?: number;
  /** More settings.js entries (JSON), e.g. contextStorage. */
  settings?: Record<string, unknown>;
}

/** Node-RED's "Started flows" log line in the runtime's language `lang` (its runtime catalog). */
function flowsStartedWords(lang: string): string {
  try {
    const dir = path.join(path.dirname(require.resolve('@node-red/runtime/package.json')), 'locales', lang);
    const catalog = JSON.parse(fs.readFileSync(path.join(dir, 'runtime.json'), 'utf8')) as { nodes?: { flows?: Record<string, string> } };
    return catalog.nodes?.flows?.['started-flows'] ?? 'Started flows';
  } catch {
    return 'Started flows';
  }
}

export async function startNodeRed(options: NodeRedOptions = {}): Promise<NodeRedProcess> {
  const port = await freePort();
  const ownDir = !options.userDir;
  const userDir = options.userDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'nr-e2e-'));
  if (options.flows || !fs.existsSync(path.join(userDir, 'flows.json'))) {
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(options.flows ?? []));
  }
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: port,
    userDir,
    flowFile: 'flows.json',
    nodesDir: [projectRoot],
    // The runtime's words in English whatever the machine's locale (tests read its log lines).
    lang: 'en-US',
    telemetry: { enabled: false, updateNotification: false },
    editorTheme: { tours: false, projects: { enabled: false } },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    ...options.settings,
  };
  const settingsFile = path.join(userDir, 'settings.js');
  fs.writeFileSync(settingsFile, `module.exports = ${JSON.stringify(settings, null, 2)};\n`);

  const redJs = require.resolve('node-red/red.js');
  const child: ChildProcess = spawn(process.execPath, [redJs, '--settings', settingsFile, '--userDir', userDir], {
    cwd: userDir,
    env: { ...process.env, ...options.env, NODE_RED_ENABLE_PROJECTS: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-(options.keepOutput ?? 20000));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitInfo: string | null = null;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = `code ${code} signal ${signal}`;
      resolve();
    });
  });

  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= (async () => {
      if (exitInfo === null) {
        child.kill('SIGINT');
        const hung = setTimeout(() => child.kill('SIGKILL'), 15000);
        await exited;
        clearTimeout(hung);
      }
      if (ownDir) fs.rmSync(userDir, { recursive: true, force: true });
    })();
    return stopped;
  };

  const kill = () => {
    stopped ??= (async () => {
      if (exitInfo === null) {
        child.kill('SIGKILL');
        await exited;
      }
      if (ownDir) fs.rmSync(userDir, { recursive: true, force: true });
    })();
    return stopped;
  };

  const deadline = Date.now() + 60000;
  const started = flowsStartedWords(String(settings.lang));
  while (!output.includes(started)) {
    if (exitInfo !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`Node-RED did not start (${exitInfo ?? 'timeout'}):\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  try {
    await adminGet(`http://127.0.0.1:${port}/settings`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `http://127.0.0.1:${port}`, port, userDir, output: () => output, exited: () => exitInfo, stop, kill };
}

/** GET on the admin API, parsed as JSON; rejects on a non-2xx answer. */
export async function adminGet(url: string): Promise<unknown> {
  const body = await adminGetText(url, 'application/json');
  return body ? JSON.parse(body) : null;
}

/** GET on the admin API as text (e.g. Accept text/html for the editor's plugin scripts). */
export function adminGetText(url: string, accept: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { Accept: accept } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          if ((res.statusCode ?? 500) >= 300) reject(new Error(`GET ${url}: ${res.statusCode} ${body}`));
          else resolve(body);
        });
      })
      .on('error', reject);
  });
}
