// The run-wide check of test/support/leftover-processes.ts, on a mocha of its own: processes a
// suite leaves behind (children and orphans) are killed, named, and fail the run; a suite whose
// `after` hook stops what a failed `before` started passes the check.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

function runMocha(fixture: string) {
  const env = { ...process.env };
  delete env.NODE_RED_DYNAMODB_RULES_TEST_RUN; // the inner run marks its own processes
  return spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js'),
      '--no-config',
      '--require', 'tsx/cjs',
      '--require', 'test/support/leftover-processes.ts',
      '--exit',
      path.join('test', 'fixtures', 'mocha', fixture),
    ],
    { cwd: ROOT, env, encoding: 'utf8', timeout: 60000 },
  );
}

function running(pattern: RegExp): boolean {
  return (spawnSync('ps', ['-A', '-o', 'args='], { encoding: 'utf8' }).stdout ?? '').split('\n').some((l) => pattern.test(l));
}

describe('the test run stops what it started (global teardown)', function () {
  this.timeout(60000);

  it('kills and names processes a suite left behind, orphans included, and fails the run', () => {
    const run = runMocha('leaky-suite.ts');
    const output = `${run.stdout}${run.stderr}`;
    assert.notEqual(run.status, 0, output);
    assert.match(output, /1 passing/);
    assert.match(output, /2 process\(es\) started by the tests were still running/);
    assert.match(output, /sleep 3601/);
    assert.match(output, /sleep 3602/);
    assert.equal(running(/^sleep 360[12]$/), false, 'the leftovers were killed');
  });

  it('passes a suite whose after hook stopped what its failed before had started', () => {
    const run = runMocha('tidy-suite.ts');
    const output = `${run.stdout}${run.stderr}`;
    assert.match(output, /1 failing/);
    assert.match(output, /the second server did not start/);
    assert.doesNotMatch(output, /still running after the last suite/);
    assert.equal(run.status, 1, output);
  });
});
