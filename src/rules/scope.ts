// The state of one evaluation: the input columns, the layers that names resolve through
// (reference section 3.3), and the payload decoded once. It is also the CallContext that the
// built-in functions receive.

import { RuleEvaluationError } from './errors';
import { CallContext } from './functions/types';
import { decodeJson } from './values';

const hasOwn = Object.prototype.hasOwnProperty;
const NOTHING: unique symbol = Symbol('nothing decoded yet');

/**
 * In SELECT and DO a name or path is first read in `out`, the output built so far, and only
 * when that gives undefined in the input (EMQX `eval(Exp, [Action, Columns])`). The input's
 * layers, first to last:
 * - `over`: in WHERE, the selected output (EMQX matches WHERE on `maps:merge(Columns, Selected)`);
 *   while FOREACH fields are evaluated, the aliases EMQX writes back into its columns;
 * - the FOREACH item under its name, then the FOREACH selected fields (INCASE and DO);
 * - the columns, with `metadata` carrying the rule id.
 * A key present with the value undefined stops the search, as in one merged map.
 */
export class Scope implements CallContext {
  out: Record<string, unknown> | null = null;
  over: Record<string, unknown> | null = null;
  sel: Record<string, unknown> | null = null;
  itemName: string | null = null;
  item: unknown = undefined;
  inSelect = true;
  private meta: Record<string, unknown> | undefined = undefined;
  private decoded: unknown = NOTHING;

  constructor(readonly cols: Record<string, unknown>, private readonly ruleId: string) {}

  /** A root name that is not an `Object.prototype` property (checked when compiling). */
  lookup(name: string): unknown {
    const over = this.over;
    if (over !== null && name in over) return over[name];
    if (name === this.itemName) return this.item;
    const sel = this.sel;
    if (sel !== null && name in sel) return sel[name];
    return name === 'metadata' ? this.metadata() : this.cols[name];
  }

  /** A root name such as `constructor`: only own properties count. */
  lookupOwn(name: string): unknown {
    const over = this.over;
    if (over !== null && hasOwn.call(over, name)) return over[name];
    if (name === this.itemName) return this.item;
    const sel = this.sel;
    if (sel !== null && hasOwn.call(sel, name)) return sel[name];
    return hasOwn.call(this.cols, name) ? this.cols[name] : undefined;
  }

  /** EMQX adds `metadata.rule_id` to the columns, keeping any metadata already there. */
  metadata(): Record<string, unknown> {
    if (this.meta === undefined) {
      const given = this.cols.metadata;
      this.meta = typeof given === 'object' && given !== null && !Array.isArray(given)
        ? { ...(given as Record<string, unknown>), rule_id: this.ruleId }
        : { rule_id: this.ruleId };
    }
    return this.meta;
  }

  /** Whether a root name resolves to the input columns themselves (no field or item hides it). */
  fromColumns(name: string): boolean {
    const out = this.out;
    if (out !== null && hasOwn.call(out, name) && out[name] !== undefined) return false;
    if (this.over !== null && hasOwn.call(this.over, name)) return false;
    if (name === this.itemName) return false;
    return this.sel === null || !hasOwn.call(this.sel, name);
  }

  /** A root name in the output built so far; only own properties count. */
  outValue(name: string): unknown {
    const out = this.out;
    return out !== null && hasOwn.call(out, name) ? out[name] : undefined;
  }

  /**
   * The value a `payload.x` path walks: JSON text must be valid, and is decoded once per
   * evaluation, not per value (EMQX caches the first decode in the process dictionary, so text
   * selected `as payload` later is not decoded again); a pre-decoded map is used as is.
   */
  payloadOf(v: unknown): unknown {
    if (typeof v !== 'string' && !(v instanceof Uint8Array)) return v;
    if (this.decoded !== NOTHING) return this.decoded;
    const decoded = decodeJson(v instanceof Buffer || typeof v === 'string' ? v : Buffer.from(v));
    this.decoded = decoded;
    return decoded;
  }

  /** The whole input as functions see it: the columns with every layer applied. */
  get columns(): Record<string, unknown> {
    if (this.out === null && this.over === null && this.sel === null && this.itemName === null) return this.cols;
    const view: Record<string, unknown> = { ...this.cols, metadata: this.metadata() };
    if (this.sel !== null) Object.assign(view, this.sel);
    if (this.itemName !== null) view[this.itemName] = this.item;
    if (this.over !== null) Object.assign(view, this.over);
    if (this.out !== null) Object.assign(view, this.out);
    return view;
  }

  decodedPayload(): unknown {
    return this.payloadOf(this.lookup('payload'));
  }
}

/** Marks an error with the clause it happened in (EMQX's error class), wrapping foreign errors. */
export function inClause(err: unknown, errorClass: string): RuleEvaluationError {
  if (err instanceof RuleEvaluationError) {
    err.errorClass = errorClass;
    return err;
  }
  const message = err instanceof Error ? err.message : String(err);
  return new RuleEvaluationError(message, 'internal_error', errorClass);
}
