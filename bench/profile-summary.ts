// Reads a V8 CPU profile (`node --cpu-prof`, or `npm run bench -- --profile`) and prints where
// the time went: self time by package (our code, Node-RED, the AWS SDK, ...) and the functions
// with the most self time, so a hot path shows without opening DevTools.
// Usage: node --require tsx/cjs bench/profile-summary.ts <file.cpuprofile> [top=25] [filter]
import * as fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Which part of the process a script belongs to, from its URL. */
export function ownerOf(url: string): string {
  if (!url) return '(native/gc/idle)';
  if (url.includes('/dist/') || url.includes('/src/')) {
    if (!url.includes('node_modules')) return `ours: ${url.replace(/^.*\/(dist|src)\//, '')}`;
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return 'node core';
  return url;
}

export function summarize(profile: Profile, top = 25, filter = ''): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, us] of self) {
    const frame = byId.get(id)!.callFrame;
    const owner = ownerOf(frame.url);
    const ownerKey = owner.startsWith('ours: ') ? 'ours (all files)' : owner;
    byOwner.set(ownerKey, (byOwner.get(ownerKey) ?? 0) + us);
    if (owner.startsWith('ours: ')) byOwner.set(owner, (byOwner.get(owner) ?? 0) + us);
    const fn = `${frame.functionName || '(anonymous)'}  ${owner.startsWith('ours: ') ? owner.slice(6) : owner}:${frame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
  const lines = [`total sampled ${(total / 1e6).toFixed(2)} s`, 'self time by owner:'];
  for (const [owner, us] of [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us)}  ${owner}`);
  lines.push(`top functions by self time${filter ? ` (matching "${filter}")` : ''}:`);
  for (const [fn, us] of [...byFunction].filter(([fn]) => fn.includes(filter)).sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`  ${pct(us)}  ${fn}`);
  }
  return lines;
}

if (require.main === module) {
  const [file, top, filter] = process.argv.slice(2);
  if (!file) {
    console.error('usage: bench/profile-summary.ts <file.cpuprofile> [top] [filter]');
    process.exit(2);
  }
  console.log(summarize(JSON.parse(fs.readFileSync(file, 'utf8')) as Profile, Number(top ?? 25), filter ?? '').join('\n'));
}
