// Group and partition keys: the values of GROUP BY (or PARTITION BY) as one string, typed, so
// that 1 and "1" land in different groups while a single text value costs no new string.

/** A group or partition key: the values, typed, so that 1 and "1" stay apart. */
export function keyOf(values: unknown[]): string {
  if (values.length === 1) return keyPart(values[0]);
  return JSON.stringify(values.map(keyPart));
}

export function keyPart(v: unknown): string {
  switch (typeof v) {
    // Text is its own key (no new string to hash per event); every other type starts with \u0001.
    case 'string': return v.charCodeAt(0) === 1 ? `\u0001s${v}` : v;
    case 'number': case 'bigint': return `\u0001n${String(v)}`;
    case 'boolean': return v ? '\u0001t' : '\u0001f';
    // "No value" (no-value.ts) groups with undefined.
    case 'undefined': case 'symbol': return '\u0001u';
    default:
      if (v === null) return '\u0001z';
      if (v instanceof Uint8Array) return `\u0001b${Buffer.from(v).toString('latin1')}`;
      return `\u0001j${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? Buffer.from(x).toString('latin1') : x))}`;
  }
}
