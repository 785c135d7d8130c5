// Is DynamoDB reachable with these credentials? A periodic ListTables (Limit 1) per connector,
// and the one-off connectivity test behind the editor's "Test connectivity" button.
import { DescribeTableCommand, ListTablesCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoClient, describeEndpoint } from './client';
import type { ConnectorCredentials, ConnectorSettings, HealthState } from './connection';
import { classifyError } from './errors';

export interface HealthMonitorOptions {
  client: DynamoDBClient;
  settings: ConnectorSettings;
  /** Values never to show in a reason (the secret key, the session token). */
  secrets?: readonly string[];
}

/** Checks every `healthCheckInterval` ms; reports each change of status or reason. */
export class HealthMonitor {
  private current: HealthState = { status: 'connecting' };
  private readonly listeners = new Set<(state: HealthState) => void>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(private readonly options: HealthMonitorOptions) {}

  state(): HealthState {
    return this.current;
  }

  onChange(listener: (state: HealthState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.checkNow();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Runs a check now. Calls while one is running are coalesced into a single follow-up, so a
   * burst of failing writes costs one ListTables, not one each.
   */
  checkNow(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.inFlight) {
      this.again = true;
      return this.inFlight;
    }
    clearTimeout(this.timer);
    this.inFlight = this.runCheck().finally(() => {
      this.inFlight = undefined;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        void this.checkNow();
      } else {
        this.timer = setTimeout(() => void this.checkNow(), this.options.settings.healthCheckInterval);
      }
    });
    return this.inFlight;
  }

  private async runCheck(): Promise<void> {
    const { client, settings } = this.options;
    let guard: NodeJS.Timeout | undefined;
    try {
      // The client's handler bounds the HTTP call (body included); this bounds the whole check,
      // credential lookup and signing too, so no stall can keep the state from changing.
      const limit = settings.requestTimeout + 1000;
      await Promise.race([
        client.send(new ListTablesCommand({ Limit: 1 })),
        new Promise<never>((_, reject) => {
          guard = setTimeout(() => reject(Object.assign(new Error(`health check did not finish within ${limit} ms`), { name: 'TimeoutError' })), limit);
        }),
      ]);
      this.set({ status: 'up', since: Date.now() });
    } catch (err) {
      const problem = classifyError(err, {
        endpoint: describeEndpoint(settings),
        requestTimeout: settings.requestTimeout,
        secrets: this.options.secrets,
      });
      // Credentials allowed to write but not to list tables (a tight IAM policy) are still a
      // working connection: AccessDenied means DynamoDB knew who we are.
      if (problem.code === 'AccessDeniedException') this.set({ status: 'up', since: Date.now() });
      else this.set({ status: 'down', since: Date.now(), reason: problem.message });
    } finally {
      clearTimeout(guard);
    }
  }

  private set(next: HealthState): void {
    const prev = this.current;
    if (this.stopped) return;
    if (prev.status === next.status && (prev.status !== 'down' || prev.reason === (next as { reason: string }).reason)) return;
    this.current = next;
    for (const listener of [...this.listeners]) {
      try {
        listener(next);
      } catch {
        // A listener's failure must not stop the others or the monitor.
      }
    }
  }
}

export interface KeySchemaEntry {
  attributeName: string;
  keyType: 'HASH' | 'RANGE';
  /** S, N or B */
  attributeType?: string;
}

export interface ConnectivityResult {
  ok: boolean;
  /** Table names the credentials can list (at most 100). */
  tables?: string[];
  table?: { name: string; status: string; keySchema: KeySchemaEntry[] };
  error?: string;
}

/** The editor's "Test connectivity": list tables, then describe `table` if given. */
export async function testConnectivity(
  settings: ConnectorSettings,
  credentials: ConnectorCredentials,
  table?: string,
): Promise<ConnectivityResult> {
  const context = {
    endpoint: describeEndpoint(settings),
    requestTimeout: settings.requestTimeout,
    secrets: [credentials.secretAccessKey ?? '', credentials.sessionToken ?? ''],
  };
  let client: DynamoDBClient;
  try {
    client = createDynamoClient(settings, credentials);
  } catch (err) {
    return { ok: false, error: classifyError(err, context).message };
  }
  const result: ConnectivityResult = { ok: false };
  try {
    try {
      const listed = await client.send(new ListTablesCommand({ Limit: 100 }));
      result.tables = listed.TableNames ?? [];
    } catch (err) {
      const problem = classifyError(err, context);
      // Not allowed to list is not fatal when a table is named: DescribeTable decides.
      if (problem.code !== 'AccessDeniedException' || !table) return { ok: false, error: problem.message };
    }
    if (table) {
      try {
        const described = await client.send(new DescribeTableCommand({ TableName: table }));
        const t = described.Table;
        const types = new Map((t?.AttributeDefinitions ?? []).map((d) => [d.AttributeName, d.AttributeType]));
        result.table = {
          name: table,
          status: t?.TableStatus ?? 'UNKNOWN',
          keySchema: (t?.KeySchema ?? []).map((k) => ({
            attributeName: k.AttributeName ?? '',
            keyType: k.KeyType as 'HASH' | 'RANGE',
            attributeType: types.get(k.AttributeName),
          })),
        };
      } catch (err) {
        return { ...result, error: classifyError(err, { ...context, table }).message };
      }
    }
    result.ok = true;
    return result;
  } finally {
    client.destroy();
  }
}
