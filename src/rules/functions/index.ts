// The registry of built-in functions (reference section 5): lookup by exact, case-sensitive
// name, the names EMQX has but we do not support, and a "did you mean" for unknown names.

import { RuleFunction } from './types';
import { messageFunctions } from './message';
import { conditionalFunctions } from './conditionals';
import { conversionFunctions } from './conversion';
import { stringFunctions } from './strings';
import { regexFunctions } from './regex';
import { formatFunctions } from './sprintf';
import { arrayFunctions } from './arrays';
import { mapFunctions } from './maps';
import { hashFunctions } from './hash';
import { compressionFunctions } from './compression';
import { encodingFunctions } from './encoding';
import { bitFunctions } from './bits';
import { mathFunctions } from './math';
import { dateTimeFunctions } from './datetime';
import { miscFunctions } from './misc';
import { operatorFunctions } from './operators';

export type { RuleFunction, CallContext } from './types';

const registry = new Map<string, RuleFunction>();
for (const group of [
  messageFunctions, conditionalFunctions, conversionFunctions, stringFunctions, regexFunctions,
  formatFunctions, arrayFunctions, mapFunctions, hashFunctions, compressionFunctions,
  encodingFunctions, bitFunctions, mathFunctions, dateTimeFunctions, miscFunctions, operatorFunctions,
]) {
  for (const f of group) registry.set(f.name, f);
}

/**
 * Functions EMQX knows but this engine does not: Erlang term format, the optional jq build
 * feature, enterprise/plugin functions, internal subscription helpers, and variform-only
 * functions that EMQX itself does not expose to rule SQL (reference sections 5.3, 5.11).
 */
const UNSUPPORTED = new Set([
  'term_encode', 'term_decode', 'jq',
  'schema_decode', 'schema_encode', 'schema_check', 'avro_encode', 'avro_decode',
  'sparkplug_decode', 'sparkplug_encode', 'ai_completion',
  'contains_topic', 'contains_topic_match',
  'json_value', 'jwt_value', 'topic_join', 'topic_match', 'topic_split',
  'hash_to_range', 'map_to_range', 'rand_str', 'rand_int', 'int2hexstr',
  'str_eq', 'str_neq', 'str_lt', 'str_lte', 'str_gt', 'str_gte',
  'num_eq', 'num_neq', 'num_lt', 'num_lte', 'num_gt', 'num_gte',
]);

export function lookupFunction(name: string): RuleFunction | undefined {
  return registry.get(name);
}

export function isUnsupportedFunction(name: string): boolean {
  return UNSUPPORTED.has(name) || name.startsWith('spb_');
}

export function functionNames(): string[] {
  return [...registry.keys()].sort();
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** The known name closest to `name` (`UPPER` → `upper`), if any is reasonably close. */
export function suggestFunction(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (registry.has(lower)) return lower;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of registry.keys()) {
    const d = editDistance(lower, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // Beyond a third of the name's length a suggestion is noise rather than help.
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}
