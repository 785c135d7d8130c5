// What the rule-sql node tests share: node-red-node-test-helper on the installed Node-RED, a flow
// loader, a collector of what a helper node receives, and a wait for a condition.

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const helper = require('node-red-node-test-helper');
helper.init(require.resolve('node-red'));

export type Msg = Record<string, any>;

export function load(nodes: unknown[], flow: unknown[]): Promise<void> {
  return new Promise((resolve) => helper.load(nodes, flow, resolve));
}

/** Collects what a helper node receives. */
export function collect(id: string): Msg[] {
  const got: Msg[] = [];
  helper.getNode(id).on('input', (msg: Msg) => got.push(msg));
  return got;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(10);
  }
}
