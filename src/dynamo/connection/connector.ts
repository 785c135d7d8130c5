// The connector at run time, without Node-RED: reads its saved settings, owns the one shared
// DynamoDB client and its health monitor, counts the sinks using it, and destroys the client
// only once they are gone (they flush on close, after the connector's own close began).
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConnectorConfigError, createDynamoClient, describeEndpoint, withScheme } from './client';
import type { ConnectorCredentials, ConnectorSettings, DynamoConnection, HealthState } from './connection';
import { HealthMonitor } from './health';
import { words } from '../../words';

export const CONNECTOR_DEFAULTS: ConnectorSettings = {
  url: '',
  region: 'us-east-1',
  table: '',
  poolSize: 8,
  requestTimeout: 10000,
  healthCheckInterval: 15000,
};

/** Saved flow values → settings; numbers may be numbers or numeric strings (editors save strings). */
export function connectorSettingsFrom(config: Partial<Record<keyof ConnectorSettings, unknown>>): ConnectorSettings {
  const text = (key: 'url' | 'region' | 'table') => {
    const value = config[key];
    return value === undefined || value === null ? CONNECTOR_DEFAULTS[key] : String(value).trim();
  };
  const count = (key: 'poolSize' | 'requestTimeout' | 'healthCheckInterval', min: number) => {
    const value = config[key];
    if (value === undefined || value === null || value === '') return CONNECTOR_DEFAULTS[key];
    const n = typeof value === 'number' ? value : Number(String(value).trim());
    if (!Number.isInteger(n) || n < min) {
      throw new ConnectorConfigError(
        words('connection.config.notWholeNumber', '__key__ must be a whole number of at least __min__, not __value__', { key, min, value: JSON.stringify(value) }),
      );
    }
    return n;
  };
  return {
    // EMQX reads host:port without a scheme as http://host:port (DESIGN.md 1.1).
    url: withScheme(text('url')),
    region: text('region') || CONNECTOR_DEFAULTS.region,
    table: text('table'),
    poolSize: count('poolSize', 1),
    requestTimeout: count('requestTimeout', 1),
    healthCheckInterval: count('healthCheckInterval', 100),
  };
}

export interface OwnedDynamoConnection extends DynamoConnection {
  /** Ids of the registered users. */
  users(): string[];
  /**
   * Stops health checks, waits until every user has deregistered (at most `waitForUsersMs`),
   * then destroys the client.
   */
  close(waitForUsersMs?: number): Promise<void>;
}

export interface OpenOptions {
  /** Start the periodic health check (default true). */
  healthCheck?: boolean;
}

/**
 * A connection for a connector whose settings are unusable: health stays `down` with the
 * reason, so sinks hold their messages and show why instead of failing to start.
 */
export function openBrokenConnection(settings: ConnectorSettings, reason: string): OwnedDynamoConnection {
  const usable = { ...settings, url: /^https?:\/\//.test(settings.url) ? settings.url : '' };
  const connection = openDynamoConnection(usable, {}, { healthCheck: false });
  const down: HealthState = { status: 'down', since: Date.now(), reason };
  return { ...connection, health: () => down, onHealthChange: () => () => undefined, checkNow: () => undefined };
}

/** Throws ConnectorConfigError for settings no client can be built from. */
export function openDynamoConnection(
  settings: ConnectorSettings,
  credentials: ConnectorCredentials,
  options: OpenOptions = {},
): OwnedDynamoConnection {
  const client: DynamoDBClient = createDynamoClient(settings, credentials);
  const monitor = new HealthMonitor({
    client,
    settings,
    secrets: [credentials.secretAccessKey ?? '', credentials.sessionToken ?? ''],
  });
  const registered = new Set<string>();
  let usersGone: (() => void) | undefined;
  let closing: Promise<void> | undefined;
  const endpoint = describeEndpoint(settings);

  const connection: OwnedDynamoConnection = {
    settings,
    client,
    describeEndpoint: () => endpoint,
    health: (): HealthState => monitor.state(),
    onHealthChange: (listener) => monitor.onChange(listener),
    register(userId) {
      registered.add(userId);
    },
    deregister(userId) {
      registered.delete(userId);
      if (registered.size === 0) usersGone?.();
    },
    checkNow() {
      void monitor.checkNow();
    },
    users: () => [...registered],
    close(waitForUsersMs = 12000) {
      closing ??= (async () => {
        monitor.stop();
        if (registered.size > 0) {
          await new Promise<void>((resolve) => {
            const deadline = setTimeout(resolve, waitForUsersMs);
            usersGone = () => {
              clearTimeout(deadline);
              resolve();
            };
          });
        }
        client.destroy();
      })();
      return closing;
    },
  };
  if (options.healthCheck !== false) monitor.start();
  return connection;
}
