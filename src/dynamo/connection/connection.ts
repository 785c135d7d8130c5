// The contract between the `dynamodb-connector` config node and its users (sinks, the editor
// API): one shared DynamoDB client per connector, a health state, and registration so the
// connector knows who uses it (Node-RED core model: the MQTT broker config node).
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Connector settings as saved in a flow (DESIGN.md 1.1), numbers already parsed. */
export interface ConnectorSettings {
  url: string;
  region: string;
  table: string;
  poolSize: number;
  requestTimeout: number;
  healthCheckInterval: number;
}

/** Credentials from Node-RED's credential store; both key fields or neither. */
export interface ConnectorCredentials {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
}

export type HealthState =
  | { status: 'connecting' }
  | { status: 'up'; since: number }
  | { status: 'down'; since: number; reason: string };

/** What a sink sees of its connector. */
export interface DynamoConnection {
  readonly settings: ConnectorSettings;
  /** The shared client; never destroy it from a user. */
  readonly client: DynamoDBClient;
  /** e.g. `http://127.0.0.1:8000 (region us-west-2)`, for error messages. */
  describeEndpoint(): string;
  health(): HealthState;
  /** Called with the new state on every change; returns a function that unsubscribes. */
  onHealthChange(listener: (state: HealthState) => void): () => void;
  /** A user registers on start and deregisters on close (no removeAllListeners). */
  register(userId: string): void;
  deregister(userId: string): void;
  /** Ask for a health check now (e.g. after a connection error), coalesced. */
  checkNow(): void;
}
