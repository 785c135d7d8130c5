// Builds the one DynamoDB client a connector owns (DESIGN.md 1.1): endpoint, signing region,
// explicit credentials or the AWS default chain, a socket pool of `poolSize`, a timeout per
// HTTP attempt over the whole call (body included, DeadlineHttpHandler), and no SDK retries
// because the writer owns the retry policy.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createPoolAgents, DeadlineHttpHandler } from './deadline-handler';
import type { ConnectorCredentials, ConnectorSettings } from './connection';
import { words } from '../../words';

export class ConnectorConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectorConfigError';
  }
}

/** True when both key fields are set; throws when only one is (a half-set pair is a typo). */
export function hasStaticCredentials(credentials: ConnectorCredentials): boolean {
  const id = Boolean(credentials.accessKeyId);
  const secret = Boolean(credentials.secretAccessKey);
  if (id !== secret) {
    throw new ConnectorConfigError(
      id
        ? words(
            'connection.config.secretKeyEmpty',
            'secret access key is empty: set both the access key ID and the secret access key, or leave both empty to use the AWS default credential chain',
          )
        : words(
            'connection.config.keyIdEmpty',
            'access key ID is empty: set both the access key ID and the secret access key, or leave both empty to use the AWS default credential chain',
          ),
    );
  }
  return id;
}

/**
 * The connector's `url` as an endpoint URL. EMQX (emqx_bridge_dynamo_connector:get_host_info)
 * reads a URL without a scheme as `http://`: `127.0.0.1:8000` is `http://127.0.0.1:8000`, and
 * `localhost` is `http://localhost` (port 80; `https://` without a port is 443). Empty stays empty
 * (AWS's endpoint). Any other scheme is kept, for createDynamoClient to refuse by name.
 */
export function withScheme(url: string): string {
  if (url === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  return `http://${url}`;
}

/** The endpoint the client talks to: the URL, or AWS's regional endpoint. */
export function endpointUrl(settings: Pick<ConnectorSettings, 'url' | 'region'>): string {
  if (settings.url) return settings.url.replace(/\/+$/, '');
  const suffix = settings.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://dynamodb.${settings.region}.${suffix}`;
}

/** e.g. `http://127.0.0.1:8000 (region us-west-2)`; for error messages and status. */
export function describeEndpoint(settings: Pick<ConnectorSettings, 'url' | 'region'>): string {
  return words('connection.endpoint.describe', '__url__ (region __region__)', { url: endpointUrl(settings), region: settings.region });
}

export function createDynamoClient(settings: ConnectorSettings, credentials: ConnectorCredentials): DynamoDBClient {
  if (settings.url) {
    let parsed: URL;
    try {
      parsed = new URL(settings.url);
    } catch {
      throw new ConnectorConfigError(
        words('connection.config.urlNotUrl', 'url "__url__" is not a URL: write it as http://host:port, e.g. http://127.0.0.1:8000', { url: settings.url }),
      );
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new ConnectorConfigError(words('connection.config.urlScheme', 'url "__url__" must start with http:// or https://', { url: settings.url }));
    }
  }
  return new DynamoDBClient({
    region: settings.region,
    ...(settings.url ? { endpoint: settings.url } : {}),
    ...(hasStaticCredentials(credentials)
      ? {
          credentials: {
            accessKeyId: credentials.accessKeyId as string,
            secretAccessKey: credentials.secretAccessKey as string,
            ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
          },
        }
      : {}),
    maxAttempts: 1,
    // One deadline from the start of a call until its body is read (the SDK's own requestTimeout
    // stops at the response headers): a stalled answer is a timeout and frees its socket.
    requestHandler: new DeadlineHttpHandler({
      requestTimeout: settings.requestTimeout,
      connectionTimeout: settings.requestTimeout,
      // Without this the SDK only logs a warning when requestTimeout passes.
      throwOnRequestTimeout: true,
      // Agents of our own: a call that timed out while queued for a socket leaves none behind.
      ...createPoolAgents(settings.poolSize),
    }),
  });
}
