// `npm run bench`: runs every benchmark of issue 6 in its own Node process (one embedded
// Node-RED each, so no run inherits another's heap) and prints their figures. Node-RED's own log
// goes to a file, named at the end. `npm run bench -- rule sink` runs only those;
// `-- --profile` also writes a V8 CPU profile per benchmark (see bench/profile-summary.ts).
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const BENCHMARKS: Record<string, string> = {
  rule: 'rule-node.ts',
  sink: 'sink.ts',
  e2e: 'end-to-end.ts',
  memory: 'memory.ts',
  streams: 'streams.ts',
  writes: 'writes.ts',
};

async function runOne(file: string, logFd: number, profileDir?: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, file), [], {
      execArgv: ['--expose-gc', '--require', 'tsx/cjs', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
      stdio: ['ignore', logFd, logFd, 'ipc'],
    });
    let lines: string[] | undefined;
    child.on('message', (m: { lines: string[] }) => {
      lines = m.lines;
    });
    child.once('exit', (code) => (code === 0 && lines ? resolve(lines) : reject(new Error(`${file} exited with code ${code}`))));
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const profile = args.includes('--profile');
  const wanted = args.filter((a) => !a.startsWith('--'));
  const names = wanted.length > 0 ? wanted : Object.keys(BENCHMARKS);
  for (const name of names) if (!BENCHMARKS[name]) throw new Error(`no benchmark "${name}"; choose from ${Object.keys(BENCHMARKS).join(', ')}`);
  const logFile = path.join(os.tmpdir(), `bench-${Date.now()}.log`);
  const logFd = fs.openSync(logFile, 'w');
  const profileDir = profile ? fs.mkdtempSync(path.join(os.tmpdir(), 'bench-profiles-')) : undefined;
  let failed = 0;
  for (const name of names) {
    try {
      const lines = await runOne(BENCHMARKS[name], logFd, profileDir);
      console.log(`${lines.join('\n')}\n`);
    } catch (err) {
      failed += 1;
      console.log(`${name}: FAILED: ${(err as Error).message}\n`);
    }
  }
  fs.closeSync(logFd);
  console.log(`Node-RED log: ${logFile}${profileDir ? `\nCPU profiles: ${profileDir}` : ''}`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
