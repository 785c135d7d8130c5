// Words the item room's errors share: a value's kind as a message names it (msg.payload is
// __type__; the row to write must be an object, not __type__), through the sink's catalog.
import { words } from '../../words';

/** The value's kind in words: `undefined`, `null`, `an array`, `a Buffer`, `a number`, ... */
export function describeType(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return words('item.type.array', 'an array');
  if (Buffer.isBuffer(value)) return words('item.type.buffer', 'a Buffer');
  switch (typeof value) {
    case 'string':
      return words('item.type.string', 'a string');
    case 'number':
      return words('item.type.number', 'a number');
    case 'boolean':
      return words('item.type.boolean', 'a boolean');
    case 'bigint':
      return words('item.type.bigint', 'a bigint');
    case 'symbol':
      return words('item.type.symbol', 'a symbol');
    case 'function':
      return words('item.type.function', 'a function');
    default:
      return words('item.type.object', 'an object');
  }
}
