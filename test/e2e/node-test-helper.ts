// node-red-node-test-helper ships no types: the part of it the e2e tests use, typed.
import type { Node } from 'node-red';

export interface NodeTestHelper {
  init(nodeRedPath: string, settings?: Record<string, unknown>): void;
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
  load(nodes: unknown[], flow: Record<string, unknown>[], credentials?: Record<string, Record<string, string>>): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): (Node & Record<string, unknown>) | null;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const helper = require('node-red-node-test-helper') as NodeTestHelper;
helper.init(require.resolve('node-red'));
