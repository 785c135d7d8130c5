// Finding the benchmark's server processes, to read their CPU time or pin them to a core.
import * as fs from 'node:fs';

/** The pid of the DynamoDB Local java process listening on `port` (Linux /proc). */
export function dynamoDbLocalPid(port: number): number | undefined {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.some((a) => a.endsWith('DynamoDBLocal.jar')) && args[args.indexOf('-port') + 1] === String(port)) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  return undefined;
}
