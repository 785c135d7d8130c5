// `npm run scan [table]`: prints every item of the demo's table the way the seed's
// `aws dynamodb scan --table-name=mqtt_msg` does, reading the same environment as `npm start`.
import { DynamoDBClient, paginateScan, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { readDemoConfig } from './demo-config';

/** The AWS CLI's JSON for one attribute value: binary as base64, everything else as the wire has it. */
function cliAttribute(value: AttributeValue): unknown {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (value.M !== undefined) return { M: cliItem(value.M) };
  if (value.L !== undefined) return { L: value.L.map(cliAttribute) };
  const fields = value as unknown as Record<string, unknown>;
  const [key] = Object.keys(fields).filter((k) => k !== '$unknown' && fields[k] !== undefined);
  return { [key]: fields[key] };
}

function cliItem(item: Record<string, AttributeValue>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, cliAttribute(value)]));
}

async function main(): Promise<void> {
  const config = readDemoConfig();
  const table = process.argv[2] || config.table;
  // The SDK's NodeVersionSupportWarning on Node 20 would be the first thing a newcomer reads
  // above the table; switched off through its documented opt-out, as `npm start` does (unless
  // the user set the variable). The SDK reads it when the client is made.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new DynamoDBClient({
    endpoint: config.dynamoUrl,
    region: config.region,
    ...(config.credentials ? { credentials: config.credentials } : {}),
    maxAttempts: 2,
  });
  const items: Record<string, unknown>[] = [];
  let scanned = 0;
  try {
    for await (const page of paginateScan({ client }, { TableName: table })) {
      items.push(...(page.Items ?? []).map(cliItem));
      scanned += page.ScannedCount ?? 0;
    }
  } catch (err) {
    const e = err as Error & { code?: string };
    const hint =
      e.name === 'ResourceNotFoundException'
        ? ' (no such table: has `npm start` run against this endpoint?)'
        : /ECONNREFUSED/.test(`${e.code ?? ''} ${e.message}`)
          ? ' (nothing is listening: is `npm start` running, with the same DYNAMODB_PORT / DYNAMODB_URL?)'
          : '';
    throw new Error(`scan of table ${table} at ${config.dynamoUrl} (region ${config.region}) failed: ${e.name}: ${e.message}${hint}`);
  } finally {
    client.destroy();
  }
  // The AWS CLI prints Python's json.dumps(indent=4); JSON.stringify with 4 spaces is the same.
  const output = { Items: items, Count: items.length, ScannedCount: scanned, ConsumedCapacity: null };
  process.stdout.write(JSON.stringify(output, null, 4) + '\n');
}

main().catch((err: Error) => {
  process.stderr.write(`npm run scan: ${err.message}\n`);
  process.exitCode = 1;
});
