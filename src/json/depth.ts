// The nesting limit for JSON that arrives from outside (DESIGN.md section 6: JSON nested deeper
// than 1,000 levels is a per-message `decode_json_failed`). Checked before anything recursive
// touches the value: a text is scanned (brackets counted outside strings, no recursion), a
// value already parsed by someone else (an HTTP body) is walked with an explicit stack.

import { words } from '../words';

/** Most levels of nesting (objects and arrays one inside the other) accepted in JSON input. */
export const MAX_JSON_DEPTH = 1000;

/** JSON nested past MAX_JSON_DEPTH; a SyntaxError, like the parse errors it stands beside. */
export class JsonDepthError extends SyntaxError {
  constructor(readonly limit = MAX_JSON_DEPTH) {
    super(words('json.depth.tooDeep', 'JSON nested deeper than __limit__ levels (the limit for input): send flatter data', { limit }));
    this.name = 'JsonDepthError';
  }
}

/**
 * Whether JSON text opens more than `limit` objects or arrays one inside the other (brackets
 * inside strings do not count). One pass over the text, no recursion; text shorter than the
 * limit cannot exceed it and is not read.
 */
export function jsonTextTooDeep(text: string, limit = MAX_JSON_DEPTH): boolean {
  if (text.length <= limit) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i++;
        else if (d === 34) break;
      }
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > limit) return true;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--;
    }
  }
  return false;
}

/** Throws JsonDepthError for text nested past the limit (see jsonTextTooDeep). */
export function checkJsonTextDepth(text: string, limit = MAX_JSON_DEPTH): void {
  if (jsonTextTooDeep(text, limit)) throw new JsonDepthError(limit);
}

/**
 * Whether a value (plain objects and arrays, as JSON.parse gives them) nests more than `limit`
 * levels. Walked with an explicit stack, so any depth is measured without a stack overflow.
 */
export function jsonValueTooDeep(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: [object, number][] = [[value, 1]];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > limit) return true;
    if (seen.has(node)) continue;
    seen.add(node);
    const children = Array.isArray(node) ? node : Buffer.isBuffer(node) ? [] : Object.values(node);
    for (const child of children) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}
