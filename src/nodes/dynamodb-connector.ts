// The `dynamodb-connector` config node (DESIGN.md 1.1): reads its settings and credentials,
// opens the shared connection (src/dynamo/connector) and is itself the DynamoConnection sinks
// use. Serves POST /dynamodb-connector/test for the editor's "Test connectivity" and
// POST /dynamodb-connector/create-table for its "Create table" (section 5).
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { Request, Response } from 'express';
import { ConnectorConfigError } from '../dynamo/connection/client';
import type { ConnectorCredentials, ConnectorSettings, DynamoConnection } from '../dynamo/connection/connection';
import {
  CONNECTOR_DEFAULTS,
  connectorSettingsFrom,
  openBrokenConnection,
  openDynamoConnection,
  type OwnedDynamoConnection,
} from '../dynamo/connection/connector';
import { createTable, readCreateTableRequest, type CreateTableResult } from '../dynamo/connection/create-table';
import { testConnectivity, type ConnectivityResult } from '../dynamo/connection/health';
import { installRuntimeWords } from './catalog';

/** Config format version; bump with a migration in migrateConnectorConfig when it changes. */
export const CONNECTOR_CONFIG_VERSION = 1;

/** Placeholder Node-RED's editor sends for a password field the user did not change. */
const UNCHANGED_PASSWORD = '__PWRD__';

/** Of Node-RED's 15 s close timeout: how long to wait for sinks to finish with the client. */
const CLOSE_WAIT_FOR_USERS_MS = 13000;

/** The connector's settings as a flow or the editor saves them: numbers may be strings. */
interface SavedConnectorSettings {
  url?: string;
  region?: string;
  table?: string;
  poolSize?: number | string;
  requestTimeout?: number | string;
  healthCheckInterval?: number | string;
}

export interface DynamoDbConnectorDef extends NodeDef, SavedConnectorSettings {
  version?: number;
}

export type DynamoDbConnectorNode = Node<ConnectorCredentials> & DynamoConnection;

/** Brings a saved config up to the current version (version 1 is the first; nothing to do yet). */
export function migrateConnectorConfig(def: DynamoDbConnectorDef): DynamoDbConnectorDef {
  return { ...def, version: CONNECTOR_CONFIG_VERSION };
}

/** Only the strings Node-RED stored; missing fields stay undefined. */
function credentialsOf(raw: unknown): ConnectorCredentials {
  const c = (raw ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return { accessKeyId: text(c.accessKeyId), secretAccessKey: text(c.secretAccessKey), sessionToken: text(c.sessionToken) };
}

export default function register(RED: NodeAPI): void {
  installRuntimeWords(RED, ['connection']);
  function DynamoDbConnectorNode(this: DynamoDbConnectorNode, def: DynamoDbConnectorDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = migrateConnectorConfig(def);
    let connection: OwnedDynamoConnection;
    try {
      connection = openDynamoConnection(connectorSettingsFrom(config), credentialsOf(node.credentials));
    } catch (err) {
      if (!(err instanceof ConnectorConfigError)) throw err;
      // Keep serving a connection that says what is wrong, so sinks show it and hold messages.
      node.error(RED._('dynamodb-connector.errors.config', { error: err.message }));
      connection = openBrokenConnection(lenientSettings(config), err.message);
    }

    Object.assign(node, {
      settings: connection.settings,
      client: connection.client,
      describeEndpoint: connection.describeEndpoint,
      health: connection.health,
      onHealthChange: connection.onHealthChange,
      register: connection.register,
      deregister: connection.deregister,
      checkNow: connection.checkNow,
    } satisfies DynamoConnection);

    let lastStatus = '';
    connection.onHealthChange((state) => {
      // Log changes, not every check; the reason never holds a secret (classifyError redacts).
      const line = state.status === 'down' ? `down: ${state.reason}` : state.status;
      if (line === lastStatus) return;
      lastStatus = line;
      if (state.status === 'up') node.log(RED._('dynamodb-connector.log.up', { endpoint: connection.describeEndpoint() }));
      else if (state.status === 'down') node.warn(RED._('dynamodb-connector.log.down', { reason: state.reason }));
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      // Sinks flush during their own close, which starts at the same time as ours: wait for
      // them to deregister before the client goes, but finish inside Node-RED's 15 s.
      connection.close(CLOSE_WAIT_FOR_USERS_MS).then(
        () => done(),
        () => done(),
      );
    });
  }

  RED.nodes.registerType<DynamoDbConnectorNode, DynamoDbConnectorDef, unknown, ConnectorCredentials>('dynamodb-connector', DynamoDbConnectorNode, {
    credentials: {
      accessKeyId: { type: 'text' },
      secretAccessKey: { type: 'password' },
      sessionToken: { type: 'password' },
    },
  });

  RED.httpAdmin.post('/dynamodb-connector/test', RED.auth.needsPermission('dynamodb-connector.write'), (req: Request, res: Response) => {
    answerConnectivityTest(RED, req.body).then(
      (result) => res.json(result),
      (err: unknown) => res.json({ ok: false, error: err instanceof Error ? err.message : String(err) } satisfies ConnectivityResult),
    );
  });

  RED.httpAdmin.post('/dynamodb-connector/create-table', RED.auth.needsPermission('dynamodb-connector.write'), (req: Request, res: Response) => {
    answerCreateTable(RED, req.body).then(
      (result) => res.json(result),
      (err: unknown) => res.json({ ok: false, error: err instanceof Error ? err.message : String(err) } satisfies CreateTableResult),
    );
  });
}

/** Settings for a broken connector: bad numbers fall back to defaults. */
function lenientSettings(config: DynamoDbConnectorDef): ConnectorSettings {
  const settings = { ...CONNECTOR_DEFAULTS };
  for (const key of Object.keys(CONNECTOR_DEFAULTS) as (keyof ConnectorSettings)[]) {
    try {
      Object.assign(settings, { [key]: connectorSettingsFrom({ [key]: config[key] })[key] });
    } catch {
      // keep the default
    }
  }
  return settings;
}

interface TestRequestBody extends SavedConnectorSettings {
  id?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
}

/**
 * Tests the dialog's current settings. A password field left unchanged arrives as `__PWRD__`:
 * then the deployed node's stored value is used, but only against the URL and region that node
 * was deployed with, so the endpoint cannot be pointed elsewhere to collect a session token.
 */
async function answerConnectivityTest(RED: NodeAPI, raw: unknown): Promise<ConnectivityResult> {
  const resolved = dialogConnection(RED, raw);
  if ('error' in resolved) return { ok: false, error: resolved.error };
  const { settings, credentials } = resolved;
  const result = await testConnectivity(settings, credentials, settings.table || undefined);
  return scrub(result, [credentials.secretAccessKey, credentials.sessionToken]);
}

/** Creates the table the dialog describes, with the dialog's connection settings (as for the test). */
async function answerCreateTable(RED: NodeAPI, raw: unknown): Promise<CreateTableResult> {
  const resolved = dialogConnection(RED, raw);
  if ('error' in resolved) return { ok: false, error: resolved.error };
  let request;
  try {
    request = readCreateTableRequest(raw);
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
  const { settings, credentials } = resolved;
  const result = await createTable(settings, credentials, request);
  return scrub(result, [credentials.secretAccessKey, credentials.sessionToken]);
}

/** The settings and credentials the dialog's fields give (stored secrets as the test uses them). */
function dialogConnection(RED: NodeAPI, raw: unknown): { settings: ConnectorSettings; credentials: ConnectorCredentials } | { error: string } {
  const body = (raw && typeof raw === 'object' ? raw : {}) as TestRequestBody;
  let settings: ConnectorSettings;
  try {
    settings = connectorSettingsFrom(body);
  } catch (err) {
    return { error: (err as Error).message };
  }
  const given = credentialsOf(body);
  const wantsStored = body.secretAccessKey === UNCHANGED_PASSWORD || body.sessionToken === UNCHANGED_PASSWORD;
  const credentials: ConnectorCredentials = { ...given };
  if (wantsStored) {
    const deployed = body.id ? (RED.nodes.getNode(body.id) as Partial<DynamoConnection> | null) : null;
    const stored = body.id ? credentialsOf(RED.nodes.getCredentials(body.id)) : {};
    if (!deployed?.settings || (!stored.secretAccessKey && !stored.sessionToken)) {
      return { error: RED._('dynamodb-connector.errors.noStoredSecret') };
    }
    if (deployed.settings.url !== settings.url || deployed.settings.region !== settings.region) {
      return { error: RED._('dynamodb-connector.errors.storedSecretElsewhere') };
    }
    if (body.secretAccessKey === UNCHANGED_PASSWORD) credentials.secretAccessKey = stored.secretAccessKey;
    if (body.sessionToken === UNCHANGED_PASSWORD) credentials.sessionToken = stored.sessionToken;
  }
  return { settings, credentials };
}

/** Belt and braces: no answer may contain a secret, whatever a server echoed. */
function scrub<T>(result: T, secrets: (string | undefined)[]): T {
  let text = JSON.stringify(result);
  for (const secret of secrets) if (secret && secret.length >= 4) text = text.split(JSON.stringify(secret).slice(1, -1)).join('***');
  return JSON.parse(text) as T;
}
