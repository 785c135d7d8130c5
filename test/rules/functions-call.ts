// Calls one built-in rule function directly, with a publish context, for the function unit tests.

import { lookupFunction } from '../../src/rules/functions';
import { CallContext } from '../../src/rules/functions/types';
import { RuleEvaluationError } from '../../src/rules/errors';
import { decodeJson } from '../../src/rules/values';

export function contextFor(columns: Record<string, unknown>, inSelect = true): CallContext {
  return { columns, inSelect, decodedPayload: () => decodeJson(columns.payload) };
}

export function call(name: string, ...args: unknown[]): unknown {
  return callIn(contextFor({ topic: 't/a' }), name, ...args);
}

export function callIn(ctx: CallContext, name: string, ...args: unknown[]): unknown {
  const f = lookupFunction(name);
  if (f === undefined) throw new Error(`no function ${name}`);
  if (args.length < f.minArgs || args.length > f.maxArgs) throw new Error(`${name}: bad arity ${args.length}`);
  return f.impl(args, ctx);
}

/** The RuleEvaluationError a call raises (fails the test if it does not raise one). */
export function failure(name: string, ...args: unknown[]): RuleEvaluationError {
  try {
    call(name, ...args);
  } catch (e) {
    if (e instanceof RuleEvaluationError) return e;
    throw e;
  }
  throw new Error(`${name}(${args.map((a) => JSON.stringify(a)).join(', ')}) did not raise`);
}
