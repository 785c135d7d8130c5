// Mocha global fixtures (loaded through .mocharc.json's `require`, and by scripts/test-compat.sh):
// a test run must stop every process it started, also when it fails. At the start the run marks
// its environment; every process started from it inherits the mark (DynamoDB Local's JVM,
// mosquitto, Node-RED children, `npm start`), even one whose parent died and left it to init.
// At the end, whatever still carries the mark, or still descends from mocha, is reported, killed
// (SIGTERM, then SIGKILL), and fails the run: a suite whose `after` hook did not stop what its
// `before` started shows up here instead of as a JVM still listening half an hour later.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

const MARK = 'NODE_RED_DYNAMODB_RULES_TEST_RUN';

interface ProcessInfo {
  pid: number;
  ppid: number;
  command: string;
  marked: boolean;
  zombie: boolean;
}

function linuxProcesses(markValue: string): ProcessInfo[] {
  const list: ProcessInfo[] = [];
  const needle = Buffer.from(`${MARK}=${markValue}\0`);
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...; comm may contain spaces and parentheses, so split after the last ')'.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const command = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      let marked = false;
      try {
        const environ = fs.readFileSync(`/proc/${entry}/environ`);
        marked = environ.includes(needle);
      } catch {
        /* another user's process */
      }
      list.push({ pid: Number(entry), ppid: Number(ppid), command, marked, zombie: state === 'Z' });
    } catch {
      /* exited while being read */
    }
  }
  return list;
}

function psProcesses(): ProcessInfo[] {
  const out = spawnSync('ps', ['-A', '-o', 'pid=,ppid=,stat=,command='], { encoding: 'utf8' }).stdout ?? '';
  return out
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), command: m[4], marked: false, zombie: m[3].startsWith('Z') }));
}

/** Processes started by this run that are still alive (not this process, not zombies). */
export function leftoverProcesses(markValue = process.env[MARK] ?? ''): ProcessInfo[] {
  const all = process.platform === 'linux' ? linuxProcesses(markValue) : psProcesses();
  const children = new Map<number, ProcessInfo[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const found = new Map<number, ProcessInfo>();
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      if (found.has(child.pid)) continue;
      found.set(child.pid, child);
      walk(child.pid);
    }
  };
  walk(process.pid);
  for (const p of all) if (p.marked && markValue) found.set(p.pid, p);
  found.delete(process.pid);
  // Not leftovers: `ps` itself (where processes are listed with it) and the esbuild service that
  // tsx (the TypeScript loader) keeps as a child of this very process.
  return [...found.values()].filter(
    (p) => !p.zombie && !/^ps -A -o pid=/.test(p.command) && !(p.ppid === process.pid && /\/esbuild --service=/.test(p.command)),
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Marks the run; every child process started from now on inherits the mark. */
export function mochaGlobalSetup(): void {
  if (!process.env[MARK]) process.env[MARK] = `${process.pid}-${Date.now()}`;
}

/**
 * Fails the run (mocha reports "global teardown failed" and exits non-zero) when processes the
 * run started are still alive; kills them first. Processes still shutting down get 5 s.
 */
export async function mochaGlobalTeardown(): Promise<void> {
  // Only the run that set the mark checks: a nested mocha (a test running mocha) leaves it to its parent.
  if (!process.env[MARK]?.startsWith(`${process.pid}-`)) return;
  let left = leftoverProcesses();
  for (let waited = 0; left.length > 0 && waited < 5000; waited += 250) {
    await sleep(250);
    left = leftoverProcesses();
  }
  if (left.length === 0) return;
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGTERM');
    } catch {
      /* gone meanwhile */
    }
  }
  await sleep(2000);
  for (const p of left) {
    if (!alive(p.pid)) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
  const lines = left.map((p) => `  pid ${p.pid}: ${p.command.length > 300 ? `${p.command.slice(0, 300)} ...` : p.command}`);
  throw new Error(
    `${left.length} process(es) started by the tests were still running after the last suite (now killed):\n${lines.join('\n')}\n` +
      'A suite must stop what it starts in an `after` hook that also runs when its `before` failed midway.',
  );
}
