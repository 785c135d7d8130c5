// A sink's updateExpression and condition (DESIGN.md 1.3), compiled once at deploy into the
// text DynamoDB takes: every attribute name becomes a #n alias (so reserved words such as
// `count`, `name`, `timestamp`, `data` work plainly), every `${path}` and literal a :v value.
// Per message only the values are filled in (`values`). Also decides what the writer must know:
// whether applying the update twice would change the result (ADD, list_append, + / -), and what
// in the item shows that an earlier attempt of this very write went through.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { encodeValue, type EncodeOptions } from './encoding';
import {
  parseCondition,
  parseUpdateExpression,
  type Condition,
  type Operand,
  type PathNode,
  type PathSegment,
} from './expression-parser';
import { lookupPath } from './template';
import { expressionWords as say } from './expression-words';

export { ExpressionSyntaxError } from './expression-parser';
export type { PathSegment } from './expression-parser';

type AttributeMap = Record<string, AttributeValue>;

/** DynamoDB limit: an expression string is at most 4 KB. */
export const MAX_EXPRESSION_BYTES = 4096;

/** Where a :value comes from: the row (`${path}`), a literal, or the sink's TTL. */
export type ValueSource =
  | { kind: 'row'; path: string[]; list: boolean; text: string }
  | { kind: 'constant'; value: AttributeValue }
  | { kind: 'ttl' };

/**
 * What the item holds once this write took effect: a path with the :value it was SET to, or a
 * path REMOVEd. A retry whose condition fails although the item shows all of these finds its
 * own earlier attempt in place (the answer was lost), not a newer write.
 */
export interface Expectation {
  path: PathSegment[];
  /** A key of the write's values, e.g. `:u0`; absent = the path must be absent. */
  value?: string;
}

export interface ExpressionSpec {
  updateExpression?: string;
  condition?: string;
  /** Attribute that receives the TTL (epoch seconds): added to the update's SET clause. */
  ttlAttribute?: string;
}

/** One compiled expression: DynamoDB's text, its #name aliases and its :values' sources. */
export interface ExpressionPart {
  text: string;
  /** ExpressionAttributeNames; shared by every message. */
  names: Record<string, string>;
  /** :placeholders and where their values come from, in order. */
  sources: [string, ValueSource][];
}

export interface CompiledExpressions {
  /** The user's update expression (with the TTL in its SET), or undefined: SET every non-key attribute. */
  update?: ExpressionPart;
  condition?: ExpressionPart;
  /** The update changes the item again when applied twice: ADD, list_append, or + / - in SET. */
  nonIdempotent: boolean;
  /** For the update: see Expectation. Empty when nothing shows it (then a failed retry counts stale). */
  expect: Expectation[];
}

const SET_FUNCTIONS: Record<string, number> = { if_not_exists: 2, list_append: 2 };
const CONDITION_FUNCTIONS: Record<string, number> = {
  attribute_exists: 1,
  attribute_not_exists: 1,
  attribute_type: 2,
  begins_with: 2,
  contains: 2,
};
/** DynamoDB: attribute_type's second operand is one of these type names. */
const ATTRIBUTE_TYPES = ['S', 'SS', 'N', 'NS', 'B', 'BS', 'BOOL', 'NULL', 'L', 'M'];

/** Aliases and values of one expression; `prefix` keeps the update's apart from the condition's. */
class Part {
  readonly names: Record<string, string> = {};
  readonly sources: [string, ValueSource][] = [];
  private readonly aliasOf = new Map<string, string>();
  private readonly valueOf = new Map<string, string>();
  constructor(private readonly prefix: string) {}

  alias(name: string): string {
    let a = this.aliasOf.get(name);
    if (!a) {
      a = `#${this.prefix}${this.aliasOf.size}`;
      this.aliasOf.set(name, a);
      this.names[a] = name;
    }
    return a;
  }

  value(id: string, source: ValueSource): string {
    let v = this.valueOf.get(id);
    if (!v) {
      v = `:${this.prefix}${this.valueOf.size}`;
      this.valueOf.set(id, v);
      this.sources.push([v, source]);
    }
    return v;
  }

  path(p: { segments: PathSegment[] }): string {
    return p.segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : `${i > 0 ? '.' : ''}${this.alias(s)}`)).join('');
  }

  placeholder(o: { path: string[] }, list: boolean): string {
    const text = o.path.join('.');
    return this.value(`row:${list}:${text}`, { kind: 'row', path: o.path, list, text });
  }

  literal(o: { type: 'N' | 'S' | 'L'; text: string }, list: boolean): string {
    const v: AttributeValue = o.type === 'N' ? { N: o.text } : o.type === 'S' ? { S: o.text } : { L: [] };
    return this.value(`lit:${o.type}:${list}:${o.text}`, { kind: 'constant', value: list && o.type !== 'L' ? { L: [v] } : v });
  }

  done(text: string, field: string): ExpressionPart {
    // DynamoDB limit: an expression string is at most 4 KB.
    if (Buffer.byteLength(text) > MAX_EXPRESSION_BYTES) {
      throw new ExpressionRuleError(say.tooLong(field, MAX_EXPRESSION_BYTES));
    }
    return { text, names: this.names, sources: this.sources };
  }
}

/** A rule broken by the settings together, with no position in one text (TTL attribute, length). */
export class ExpressionRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpressionRuleError';
  }
}

/**
 * Compiles a sink's expressions; throws ExpressionSyntaxError with the field, line and column
 * (DESIGN.md 1.3: a deploy-time error with its position), or ExpressionRuleError.
 */
export function compileExpressions(spec: ExpressionSpec, keys: { hashKey: string; rangeKey?: string }): CompiledExpressions {
  const out: CompiledExpressions = { nonIdempotent: false, expect: [] };
  const updateText = spec.updateExpression?.trim() ?? '';
  if (updateText) out.update = compileUpdate(updateText, spec.ttlAttribute, keys, out);
  const conditionText = spec.condition?.trim() ?? '';
  if (conditionText) out.condition = compileCondition(conditionText);
  return out;
}

function compileUpdate(
  text: string,
  ttlAttribute: string | undefined,
  keys: { hashKey: string; rangeKey?: string },
  out: CompiledExpressions,
): ExpressionPart {
  const { tree, fail } = parseUpdateExpression(text);
  const part = new Part('u');
  const targets: PathSegment[][] = [];
  const target = (p: PathNode, complain: (reason: string) => never = (r) => fail(p.pos, r)) => {
    const first = p.segments[0];
    if (p.segments.length === 1 && (first === keys.hashKey || first === keys.rangeKey)) {
      complain(say.keyAttribute(String(first), first === keys.hashKey));
    }
    for (const t of targets) {
      const n = Math.min(t.length, p.segments.length);
      if (t.slice(0, n).every((s, i) => s === p.segments[i])) {
        complain(say.overlaps(describePath(p.segments), describePath(t)));
      }
    }
    targets.push(p.segments);
  };
  // SET values: operands, functions and one + or -; list_append's operands are lists.
  const setValue = (o: Operand, list = false): string => {
    switch (o.kind) {
      case 'path':
        return part.path(o);
      case 'placeholder':
        return part.placeholder(o, list);
      case 'literal':
        return part.literal(o, list);
      case 'arithmetic':
        out.nonIdempotent = true;
        return `${setValue(o.left)} ${o.op} ${setValue(o.right)}`;
      case 'call': {
        const name = o.name.toLowerCase();
        const arity = SET_FUNCTIONS[name];
        if (arity === undefined) return fail(o.pos, say.notUpdateFunction(o.name));
        if (o.args.length !== arity) return fail(o.pos, say.operands(name, arity, o.args.length));
        if (name === 'if_not_exists') {
          if (o.args[0].kind !== 'path') return fail(o.args[0].pos, say.ifNotExistsPath());
          return `if_not_exists(${part.path(o.args[0])}, ${setValue(o.args[1], list)})`;
        }
        out.nonIdempotent = true;
        return `list_append(${setValue(o.args[0], true)}, ${setValue(o.args[1], true)})`;
      }
    }
  };
  const sets: string[] = [];
  for (const { path: p, value: v } of tree.set) {
    target(p);
    const rendered = setValue(v);
    sets.push(`${part.path(p)} = ${rendered}`);
    // A plain value SET shows in the item afterwards (if_not_exists' default only when it was absent).
    if (v.kind === 'placeholder' || v.kind === 'literal') out.expect.push({ path: p.segments, value: rendered });
  }
  if (ttlAttribute) {
    target({ kind: 'path', segments: [ttlAttribute], pos: 0 }, (reason) => {
      throw new ExpressionRuleError(say.ttlAttribute(ttlAttribute, reason));
    });
    const v = part.value('ttl', { kind: 'ttl' });
    sets.push(`${part.alias(ttlAttribute)} = ${v}`);
    out.expect.push({ path: [ttlAttribute], value: v });
  }
  const removes = tree.remove.map((p) => {
    target(p);
    out.expect.push({ path: p.segments });
    return part.path(p);
  });
  const valued = (actions: { path: PathNode; value: Operand }[], clause: string) =>
    actions.map(({ path: p, value: v }) => {
      target(p);
      if (v.kind !== 'placeholder' && v.kind !== 'literal') return fail(v.pos, say.clauseValue(clause));
      return `${part.path(p)} ${setValue(v)}`;
    });
  const adds = valued(tree.add, 'ADD');
  if (adds.length > 0) out.nonIdempotent = true;
  const deletes = valued(tree.delete, 'DELETE');
  const clauses: string[] = [];
  if (sets.length > 0) clauses.push(`SET ${sets.join(', ')}`);
  if (removes.length > 0) clauses.push(`REMOVE ${removes.join(', ')}`);
  if (adds.length > 0) clauses.push(`ADD ${adds.join(', ')}`);
  if (deletes.length > 0) clauses.push(`DELETE ${deletes.join(', ')}`);
  return part.done(clauses.join(' '), 'updateExpression');
}

function compileCondition(text: string): ExpressionPart {
  const { tree, fail } = parseCondition(text);
  const part = new Part('c');
  const operand = (o: Operand): string => {
    switch (o.kind) {
      case 'path':
        return part.path(o);
      case 'placeholder':
        return part.placeholder(o, false);
      case 'literal':
        return part.literal(o, false);
      case 'arithmetic':
        return fail(o.pos, say.arithmeticInCondition());
      case 'call':
        if (o.name.toLowerCase() !== 'size') return fail(o.pos, say.notComparable(o.name));
        if (o.args.length !== 1 || o.args[0].kind !== 'path') return fail(o.pos, say.sizeOperand());
        return `size(${part.path(o.args[0])})`;
    }
  };
  const render = (c: Condition): string => {
    switch (c.kind) {
      case 'compare':
        return `${operand(c.left)} ${c.op} ${operand(c.right)}`;
      case 'between':
        return `${operand(c.subject)} BETWEEN ${operand(c.low)} AND ${operand(c.high)}`;
      case 'in':
        return `${operand(c.subject)} IN (${c.list.map(operand).join(', ')})`;
      case 'and':
      case 'or':
        return `${render(c.left)} ${c.kind.toUpperCase()} ${render(c.right)}`;
      case 'not':
        return `NOT ${render(c.operand)}`;
      case 'paren':
        return `(${render(c.inner)})`;
      case 'function': {
        const name = c.call.name.toLowerCase();
        const arity = CONDITION_FUNCTIONS[name];
        if (arity === undefined) {
          return fail(c.pos, say.notConditionFunction(c.call.name));
        }
        if (c.call.args.length !== arity) return fail(c.pos, say.operands(name, arity, c.call.args.length));
        const [first, second] = c.call.args;
        if (first.kind !== 'path') return fail(first.pos, say.firstOperandPath(name));
        if (name === 'attribute_type' && !(second.kind === 'placeholder' || (second.kind === 'literal' && ATTRIBUTE_TYPES.includes(second.text)))) {
          return fail(second.pos, say.attributeType(ATTRIBUTE_TYPES.map((t) => `'${t}'`).join(', ')));
        }
        return `${name}(${c.call.args.map(operand).join(', ')})`;
      }
    }
  };
  return part.done(render(tree), 'condition');
}

/** The :values of one part for one row; `ttl` in epoch seconds when the sink writes one. */
export function bindValues(
  part: ExpressionPart,
  row: Record<string, unknown>,
  encode: EncodeOptions,
  into: AttributeMap,
  ttl?: number,
): AttributeMap {
  for (const [placeholder, source] of part.sources) {
    if (source.kind === 'constant') into[placeholder] = source.value;
    else if (source.kind === 'ttl') into[placeholder] = { N: String(ttl ?? 0) };
    else into[placeholder] = rowValue(lookupPath(row, source.path), source, encode);
  }
  return into;
}

/** A ${path} value, encoded like the item; in list_append a non-list becomes a list of one. */
function rowValue(value: unknown, source: ValueSource & { kind: 'row' }, encode: EncodeOptions): AttributeValue {
  const name = `\${${source.text}}`;
  if (!source.list) return encodeValue(value, encode, name);
  const elements = Array.isArray(value) ? value : [value];
  return { L: elements.map((v, i) => encodeValue(v, encode, `${name}[${i}]`)) };
}

function describePath(segments: PathSegment[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : `${i > 0 ? '.' : ''}${s}`)).join('');
}

/** The attribute at `path` in an item, or undefined. */
export function attributeAt(item: AttributeMap | undefined, path: PathSegment[]): AttributeValue | undefined {
  let current: AttributeValue | undefined = item ? { M: item } : undefined;
  for (const s of path) {
    if (!current) return undefined;
    current = typeof s === 'number' ? current.L?.[s] : current.M?.[s];
  }
  return current;
}

/** Attribute values equal as DynamoDB compares them (numbers by value, maps without order). */
export function sameValue(a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.N !== undefined || b.N !== undefined) return a.N !== undefined && b.N !== undefined && Number(a.N) === Number(b.N) && canonicalNumber(a.N) === canonicalNumber(b.N);
  if (a.S !== undefined || b.S !== undefined) return a.S === b.S;
  if (a.B !== undefined || b.B !== undefined) return !!a.B && !!b.B && Buffer.from(a.B).equals(Buffer.from(b.B));
  if (a.BOOL !== undefined || b.BOOL !== undefined) return a.BOOL === b.BOOL;
  if (a.NULL !== undefined || b.NULL !== undefined) return a.NULL === b.NULL;
  if (a.L || b.L) return !!a.L && !!b.L && a.L.length === b.L.length && a.L.every((v, i) => sameValue(v, b.L![i]));
  if (a.M || b.M) return !!a.M && !!b.M && sameItem(a.M, b.M);
  const set = (v: AttributeValue) => (v.SS ?? v.NS?.map(canonicalNumber) ?? v.BS?.map((x) => Buffer.from(x).toString('base64')) ?? []).slice().sort();
  const sa = set(a);
  const sb = set(b);
  return sa.length === sb.length && sa.every((v, i) => v === sb[i]);
}

export function sameItem(a: AttributeMap, b: AttributeMap): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => sameValue(a[k], b[k]));
}

/** Numbers as DynamoDB keeps them: 1.50 and 1.5 are the same number. */
function canonicalNumber(n: string): string {
  const x = Number(n);
  return Number.isSafeInteger(x) || !/^-?\d+$/.test(n.trim()) ? String(x) : n.trim().replace(/^(-?)0+(?=\d)/, '$1');
}
