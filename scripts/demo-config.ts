// The demo's settings, read from the environment by both `npm start` and `npm run scan`, so the
// two always talk to the same DynamoDB endpoint and table.
import * as path from 'node:path';

export const DEMO_TABLE = 'mqtt_msg';

/** The seed's DynamoDB Local credentials; any value works for dynalite and DynamoDB Local. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'root', secretAccessKey: 'public' } as const;

export interface DemoConfig {
  nodeRedPort: number;
  mqttPort: number;
  /** Port of the embedded dynalite; unused when `DYNAMODB_URL` is set. */
  dynamoPort: number;
  /** Endpoint the demo writes to and scans. */
  dynamoUrl: string;
  /** True when `npm start` runs its own dynalite (no `DYNAMODB_URL`). */
  embedded: boolean;
  region: string;
  table: string;
  /** Where dynalite's files and Node-RED's user directory live. */
  dataDir: string;
  /**
   * Explicit keys, or undefined for the AWS default credential chain (environment, shared
   * profile, container/instance role): chosen when `DYNAMODB_URL` is set together with
   * `AWS_ACCESS_KEY_ID` or `AWS_PROFILE`, so real keys never land in the demo's flow file.
   */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  /**
   * The runtime's language (Node-RED's `lang` setting, e.g. `zh-CN`, `ja`, `en-US`): from
   * `NODE_RED_LANG`, else the machine's locale (`LC_ALL`, `LC_MESSAGES`, `LANG`: `zh_CN.UTF-8` →
   * `zh-CN`); undefined (Node-RED's default, English) for `C`/`POSIX` or none.
   */
  lang: string | undefined;
}

const PROJECT_ROOT = path.resolve(__dirname, '..');

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`${name}=${JSON.stringify(text)} is not a TCP port (1-65535)`);
  }
  return value;
}

export function readDemoConfig(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  const nodeRedPort = port(env, 'NODE_RED_PORT', 1880);
  const mqttPort = port(env, 'MQTT_PORT', 1883);
  const dynamoPort = port(env, 'DYNAMODB_PORT', 8000);
  const external = (env.DYNAMODB_URL ?? '').trim();
  if (external !== '' && !/^https?:\/\/[^\s/]+/.test(external)) {
    throw new Error(`DYNAMODB_URL=${JSON.stringify(external)} is not an http(s) URL`);
  }
  const useChain = external !== '' && Boolean(env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE);
  return {
    nodeRedPort,
    mqttPort,
    dynamoPort,
    dynamoUrl: external !== '' ? external.replace(/\/+$/, '') : `http://127.0.0.1:${dynamoPort}`,
    embedded: external === '',
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-west-2',
    table: DEMO_TABLE,
    dataDir: path.resolve(PROJECT_ROOT, env.DEMO_DATA_DIR || '.data'),
    credentials: useChain ? undefined : { ...LOCAL_CREDENTIALS },
    lang: runtimeLanguage(env),
  };
}

/**
 * Node-RED's `lang` for the demo. Node-RED itself reads only the first two letters of the
 * machine's locale (`zh`), for which this package and Node-RED ship no catalog (they have
 * `zh-CN` and `zh-TW`), so the demo passes the whole `language-REGION` instead.
 */
export function runtimeLanguage(env: NodeJS.ProcessEnv): string | undefined {
  const explicit = (env.NODE_RED_LANG ?? '').trim();
  if (explicit !== '') {
    if (!/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$/.test(explicit)) throw new Error(`NODE_RED_LANG=${JSON.stringify(explicit)} is not a language tag such as zh-CN, ja or en-US`);
    return explicit;
  }
  for (const name of ['LC_ALL', 'LC_MESSAGES', 'LANG']) {
    const value = (env[name] ?? '').trim();
    if (value === '') continue;
    const m = /^([a-z]{2,3})(?:_([A-Z]{2}))?/.exec(value);
    return m ? (m[2] ? `${m[1]}-${m[2]}` : m[1]) : undefined;
  }
  return undefined;
}

/** How to repeat the current environment in a printed command, e.g. `DYNAMODB_PORT=8001 `. */
export function envPrefix(config: DemoConfig): string {
  const parts: string[] = [];
  if (!config.embedded) parts.push(`DYNAMODB_URL=${config.dynamoUrl}`);
  else if (config.dynamoPort !== 8000) parts.push(`DYNAMODB_PORT=${config.dynamoPort}`);
  if (config.region !== 'us-west-2') parts.push(`AWS_REGION=${config.region}`);
  return parts.length > 0 ? parts.join(' ') + ' ' : '';
}

/**
 * What `npm start` adds to its own environment, where its Node-RED runs, so that a connector with
 * no keys (every example's) finds the demo's local keys through the AWS default credential chain
 * (environment variables first) and the region. Nothing for the keys when the user chose a chain
 * of their own (`AWS_ACCESS_KEY_ID` or `AWS_PROFILE` set) or the demo writes with that chain.
 */
export function defaultChainEnv(config: DemoConfig, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const added: Record<string, string> = {};
  if (config.credentials && !env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE) {
    added.AWS_ACCESS_KEY_ID = config.credentials.accessKeyId;
    added.AWS_SECRET_ACCESS_KEY = config.credentials.secretAccessKey;
  }
  if (!env.AWS_REGION) added.AWS_REGION = config.region;
  return added;
}
