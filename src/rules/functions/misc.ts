// Miscellaneous functions (reference section 5.11): UUIDs, EMQXVAR_ environment variables, and
// the two state stores. EMQX's process dictionary belongs to the client connection that runs
// the rule, so proc_dict_* state is kept per client id here; kv_store_* is one table for the
// whole process (EMQX: one per node). Return values follow Erlang's put/erase/ets calls.

import { randomUUID } from 'node:crypto';
import { RuleFunction, CallContext } from './types';
import { define, text } from './arguments';
import { jsonEncode } from '../values';

const envCache = new Map<string, string>();
const procDicts = new Map<string, Map<string, unknown>>();
const kvStore = new Map<string, unknown>();

/** Keys may be any value; equal values must find the same entry. */
function storeKey(k: unknown): string {
  return typeof k === 'string' ? `s:${k}` : `j:${jsonEncode(k)}`;
}

function procDict(ctx: CallContext): Map<string, unknown> {
  const owner = typeof ctx.columns.clientid === 'string' ? ctx.columns.clientid : '';
  let dict = procDicts.get(owner);
  if (dict === undefined) {
    dict = new Map();
    procDicts.set(owner, dict);
  }
  return dict;
}

/** Forget all proc_dict_* and kv_store_* state (tests; a full redeploy). */
export function clearRuleState(): void {
  procDicts.clear();
  kvStore.clear();
  envCache.clear();
}

export const miscFunctions: RuleFunction[] = [
  define('uuid_v4', 0, 0, () => randomUUID()),
  define('uuid_v4_no_hyphen', 0, 0, () => randomUUID().replace(/-/g, '')),
  define('getenv', 1, 1, (args) => {
    // EMQX caches each variable for the life of the node.
    const name = `EMQXVAR_${text('getenv', args[0])}`;
    let v = envCache.get(name);
    if (v === undefined) {
      v = process.env[name] ?? '';
      envCache.set(name, v);
    }
    return v;
  }),
  define('proc_dict_get', 1, 1, (args, ctx) => procDict(ctx).get(storeKey(args[0]))),
  define('proc_dict_put', 2, 2, (args, ctx) => {
    const dict = procDict(ctx);
    const key = storeKey(args[0]);
    const old = dict.get(key);
    dict.set(key, args[1]);
    return old;
  }),
  define('proc_dict_del', 1, 1, (args, ctx) => {
    const dict = procDict(ctx);
    const key = storeKey(args[0]);
    const old = dict.get(key);
    dict.delete(key);
    return old;
  }),
  define('kv_store_get', 1, 2, (args) => {
    const key = storeKey(args[0]);
    return kvStore.has(key) ? kvStore.get(key) : args[1];
  }),
  define('kv_store_put', 2, 2, (args) => {
    kvStore.set(storeKey(args[0]), args[1]);
    return true;
  }),
  define('kv_store_del', 1, 1, (args) => {
    kvStore.delete(storeKey(args[0]));
    return true;
  }),
];
