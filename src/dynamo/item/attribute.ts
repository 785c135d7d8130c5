// What both item encoders share (DESIGN.md section 4): the options, the per-message error that
// is never retried, and the rules for attribute names and numbers.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { words } from '../../words';

export type ItemEncoding = 'emqx' | 'native';

export interface EncodeOptions {
  encoding: ItemEncoding;
  /** Write undefined as NULL instead of the string "undefined" (emqx) / leaving it out (native). */
  undefinedVarsAsNull: boolean;
  /** The table's partition key attribute name; must be in every item. */
  hashKey: string;
  /** The table's sort key attribute name, if any ('' or absent = none). */
  rangeKey?: string;
}

export type Item = Record<string, AttributeValue>;

export type ItemErrorCode = 'missing_key' | 'bad_key' | 'too_large' | 'not_object' | 'bad_value' | 'template';

/**
 * A problem with one message's item: counted failed, never retried (DESIGN.md 4). The message
 * names the attribute and the fix, and holds no attribute values beyond the key's name.
 */
export class ItemError extends Error {
  readonly retryable = false;
  constructor(
    readonly code: ItemErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ItemError';
  }
}

/** `__proto__` as a plain own key (an assignment would set the prototype and lose the entry). */
export function setOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function setEntry(target: Record<string, AttributeValue>, key: string, value: AttributeValue): void {
  if (key === '__proto__') setOwn(target, key, value);
  else target[key] = value;
}

export function numberText(value: number, name: string): string {
  if (!Number.isFinite(value)) {
    throw new ItemError('bad_value', words('item.value.notFinite', 'attribute "__name__" is __value__, which DynamoDB cannot store as a number', { name, value }));
  }
  return String(value);
}

