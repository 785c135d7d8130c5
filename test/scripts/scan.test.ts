// `npm run scan` (scripts/scan.ts), the README walkthrough's second command: what it prints is
// the AWS CLI's scan JSON and nothing else, also on Node 20, where the AWS SDK would otherwise
// print its NodeVersionSupportWarning on stderr above the table (`npm start` switches that
// notice off through the SDK's opt-out; the scan must too).

import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { createSeedTable, startDynalite, type DynamoServer } from '../support/dynamodb';

const projectRoot = path.resolve(__dirname, '../..');

function runScan(env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--require', 'tsx/cjs', 'scripts/scan.ts'], { cwd: projectRoot, env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('npm run scan', () => {
  let dynamo: DynamoServer | undefined;
  before(async () => {
    dynamo = await startDynalite();
    await createSeedTable(dynamo.url);
  });
  after(async () => {
    await dynamo?.stop();
  });

  it('prints only the scan JSON: no AWS SDK version notice on stderr (Node 20)', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, DYNAMODB_URL: dynamo!.url, AWS_REGION: 'us-west-2' };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    delete env.AWS_ACCESS_KEY_ID;
    delete env.AWS_PROFILE;
    const { code, stdout, stderr } = await runScan(env);
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stdout), { Items: [], Count: 0, ScannedCount: 0, ConsumedCapacity: null });
    assert.doesNotMatch(stderr, /NodeVersionSupportWarning/);
    assert.equal(stderr, '');
  });
});
