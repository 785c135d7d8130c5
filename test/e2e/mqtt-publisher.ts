// A real MQTT client for end-to-end tests, as the seed's `mqttx pub -i emqx_c -t t/1 -m ...`:
// connect (waiting for the broker to listen), publish once, disconnect cleanly.
import mqtt, { type IClientPublishOptions } from 'mqtt';
import { waitForPort } from '../../scripts/net';

export interface PublishOnce {
  port: number;
  clientId: string;
  topic: string;
  payload: string | Buffer;
  /** 4 = MQTT 3.1.1 (aedes), 5 = MQTT 5. */
  protocolVersion: 4 | 5;
  publish?: IClientPublishOptions;
}

export async function publishOnce(options: PublishOnce): Promise<void> {
  await waitForPort(options.port);
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${options.port}`, {
    clientId: options.clientId,
    protocolVersion: options.protocolVersion,
    clean: true,
    keepalive: 30,
    reconnectPeriod: 0,
  });
  try {
    await client.publishAsync(options.topic, options.payload, { qos: 0, ...options.publish });
  } finally {
    // A DISCONNECT packet, so the broker reports reason `normal`.
    await client.endAsync();
  }
}
