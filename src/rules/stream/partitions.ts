// Partition state of analytic functions: per function, one state per `OVER (PARTITION BY ...)`
// key (one partition without OVER), and the step that runs every function for an event.
// Partitions are kept in least-recently-used order and bounded by maxGroups; the oldest is
// forgotten (counted) when a new one would exceed it.

import { NO_VALUE } from '../no-value';
import { inClause, Scope } from '../scope';
import { keyOf, keyPart } from './keys';
import type { StreamProgram } from './program';
import { hide } from './rows';

/** Partition states in least-recently-used order (a Map keeps insertion order). */
export class PartitionStates {
  readonly states = new Map<string, unknown>();
  forgotten = 0;

  constructor(private readonly max: number) {}

  get(key: string): unknown {
    const states = this.states;
    const v = states.get(key);
    if (v !== undefined && states.size > 1) {
      states.delete(key);
      states.set(key, v);
    }
    return v;
  }

  set(key: string, state: unknown): void {
    const states = this.states;
    if (state === undefined) return;
    if (!states.has(key) && states.size >= this.max) {
      const oldest = states.keys().next().value as string;
      states.delete(oldest);
      this.forgotten++;
    }
    states.set(key, state);
  }
}

/**
 * Runs every analytic function for one event that FROM matched (before WHERE, as eKuiper), each
 * value written into `cols` as its hidden column; returns the values, in the program's order.
 */
export function runAnalytics(p: StreamProgram, partitions: PartitionStates[], cols: Record<string, unknown>): unknown[] {
  const values = new Array<unknown>(p.analytics.length);
  const s = new Scope(cols, p.id);
  for (let i = 0; i < p.analytics.length; i++) {
    const a = p.analytics[i];
    let value: unknown;
    try {
      // An argument of "no value" (another analytic function's, no-value.ts) is a missing value.
      const args = a.args.map((e) => {
        const v = e(s);
        return v === NO_VALUE ? undefined : v;
      });
      const valid = a.when === undefined ? true : a.when(s);
      const key = a.partition.length === 0 ? '' : a.partition.length === 1 ? keyPart(a.partition[0](s)) : keyOf(a.partition.map((e) => e(s)));
      const states = partitions[i];
      const step = a.slot.fn.step(args, valid, states.get(key));
      states.set(key, step.state);
      value = step.value;
    } catch (err) {
      throw inClause(err, 'select_and_transform_error');
    }
    hide(cols, a.slot.name, value);
    values[i] = value;
  }
  return values;
}
