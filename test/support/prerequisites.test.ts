// scripts/prerequisites.ts, which `npm test` runs before mocha: on a machine without mosquitto or
// Java 17 where it may not install them, it stops at once with one message naming each missing
// program and the command that installs it (not a run of ENOENT failures).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { findJava17, findMosquitto } from '../../scripts/prerequisites';

const ROOT = path.resolve(__dirname, '..', '..');

describe('test prerequisites (scripts/prerequisites.ts)', function () {
  this.timeout(60000);

  it('names what is missing and how to install it, and exits non-zero', () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NO_PROVISION: '1',
      MOSQUITTO_BINARY: path.join(ROOT, 'no-such-mosquitto'),
      JAVA: path.join(ROOT, 'no-such-java'),
      PATH: path.join(ROOT, 'no-such-dir'), // nothing on PATH: no java, no mosquitto
    };
    delete env.JAVA_HOME;
    const run = spawnSync(process.execPath, ['--require', 'tsx/cjs', 'scripts/prerequisites.ts'], { cwd: ROOT, env, encoding: 'utf8' });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /The tests need programs that are not installed:/);
    assert.match(run.stderr, /mosquitto, the MQTT 5 broker[^\n]*\n\s+install: sudo apt-get install mosquitto/);
    assert.match(run.stderr, /Java 17 or newer[^\n]*\n\s+install: sudo apt-get install openjdk-17-jre-headless/);
    assert.doesNotMatch(run.stderr, /ENOENT|at \S+ \(/, 'one message, no stack trace');
  });

  it('finds the installed ones (this machine passed them before mocha started)', () => {
    assert.ok(findMosquitto(), 'mosquitto');
    assert.ok(findJava17(), 'java 17+');
  });
});
