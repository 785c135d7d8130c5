// The `dynamodb-sink` settings of a saved flow (DESIGN.md 1.3) read into typed values: numbers
// may be numbers or numeric strings (the editor saves strings), empty means the default, and a
// bad value is an error naming the property and what it accepts.
import type { NodeDef } from 'node-red';
import { runtimeSinkText } from './text';

/** The sink's catalog words, looked up when an error is made. */
const text = runtimeSinkText;

export interface SinkNodeDef extends NodeDef {
  connector: string;
  table?: string;
  template?: string;
  operation?: string;
  updateExpression?: string;
  condition?: string;
  onConditionFailed?: string;
  ttlAttribute?: string;
  ttlSeconds?: number | string;
  /** Absent in flows saved before it existed: false. */
  createTable?: boolean | string;
  hashKey?: string;
  rangeKey?: string;
  encoding?: string;
  undefinedVarsAsNull?: boolean | string;
  queryMode?: string;
  batchSize?: number | string;
  batchTime?: number | string;
  inflightWindow?: number | string;
  requestTtl?: number | string;
  maxBufferBytes?: number | string;
  bufferMode?: string;
  maxWriteUnits?: number | string;
}

export interface SinkConfig {
  table: string;
  template: string;
  operation: 'put' | 'update' | 'delete' | 'msg';
  updateExpression: string;
  condition: string;
  onConditionFailed: 'skip' | 'error';
  ttlAttribute: string;
  ttlSeconds: number;
  /** A put or update to a missing table creates it (DESIGN.md 1.3); a delete never does. */
  createTable: boolean;
  hashKey: string;
  rangeKey: string;
  encoding: 'emqx' | 'native';
  undefinedVarsAsNull: boolean;
  queryMode: 'sync' | 'async';
  batchSize: number;
  batchTime: number;
  inflightWindow: number;
  requestTtl: number;
  maxBufferBytes: number;
  bufferMode: 'memory' | 'disk';
  /** Most write capacity units per second (0 = no fixed limit; the adaptive rate still applies). */
  maxWriteUnits: number;
}

export const SINK_DEFAULTS: SinkConfig = {
  table: '',
  template: '',
  operation: 'put',
  updateExpression: '',
  condition: '',
  onConditionFailed: 'skip',
  ttlAttribute: '',
  ttlSeconds: 0,
  createTable: false,
  hashKey: 'id',
  rangeKey: '',
  encoding: 'emqx',
  undefinedVarsAsNull: false,
  queryMode: 'async',
  batchSize: 25,
  batchTime: 20,
  inflightWindow: 16,
  requestTtl: 45000,
  maxBufferBytes: 67108864,
  bufferMode: 'memory',
  maxWriteUnits: 0,
};

/** Accepted ranges; the editor validates with the same numbers. */
export const SINK_LIMITS = {
  batchSize: [1, 1000],
  batchTime: [0, 600000],
  inflightWindow: [1, 1000],
  requestTtl: [100, 86400000],
  maxBufferBytes: [1024, 2 ** 40],
  // Up to 100 years: more is surely a unit mistake.
  ttlSeconds: [0, 3153600000],
  maxWriteUnits: [0, 1000000],
} as const;

export class SinkConfigError extends Error {
  /** `field`: the property at fault (the dialog marks it; the message names it too). */
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'SinkConfigError';
  }
}

function choice<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === '') return fallback;
  if (allowed.includes(value as T)) return value as T;
  const vars = { name, value: JSON.stringify(value), allowed: allowed.join(', ') };
  throw new SinkConfigError(text('errors.config.choice', vars), name);
}

/** The catalog key (`errors.config.unit.<unit>`) of the unit a number setting counts. */
type Unit = 'seconds' | 'items' | 'ms' | 'requests' | 'bytes' | 'writeUnits';

function whole(name: keyof typeof SINK_LIMITS, value: unknown, unit: Unit): number {
  if (value === undefined || value === null || value === '') return SINK_DEFAULTS[name];
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  const [min, max] = SINK_LIMITS[name];
  if (!Number.isInteger(n) || n < min || n > max) {
    const vars = { name, value: JSON.stringify(value), unit: text(`errors.config.unit.${unit}`), min, max };
    throw new SinkConfigError(text('errors.config.whole', vars), name);
  }
  return n;
}

/** A checkbox: true or false (the editor saves booleans; "true"/"false" accepted); absent = false. */
function flag(name: string, value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw new SinkConfigError(text('errors.config.flag', { name, value: JSON.stringify(value) }), name);
}

function textSetting(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value.trim() || fallback : fallback;
}

export function readSinkConfig(def: SinkNodeDef): SinkConfig {
  const hashKey = textSetting(def.hashKey, SINK_DEFAULTS.hashKey);
  const rangeKey = textSetting(def.rangeKey, '');
  if (rangeKey && rangeKey === hashKey) {
    throw new SinkConfigError(text('errors.config.rangeIsHash', { rangeKey }), 'rangeKey');
  }
  const ttlAttribute = textSetting(def.ttlAttribute, '');
  if (ttlAttribute && (ttlAttribute === hashKey || ttlAttribute === rangeKey)) {
    throw new SinkConfigError(text('errors.config.ttlIsKey', { ttlAttribute }), 'ttlAttribute');
  }
  return {
    table: textSetting(def.table, ''),
    template: typeof def.template === 'string' ? def.template.trim() : '',
    operation: choice('operation', def.operation, ['put', 'update', 'delete', 'msg'] as const, 'put'),
    updateExpression: typeof def.updateExpression === 'string' ? def.updateExpression.trim() : '',
    condition: typeof def.condition === 'string' ? def.condition.trim() : '',
    onConditionFailed: choice('onConditionFailed', def.onConditionFailed, ['skip', 'error'] as const, 'skip'),
    ttlAttribute,
    ttlSeconds: whole('ttlSeconds', def.ttlSeconds, 'seconds'),
    createTable: flag('createTable', def.createTable),
    hashKey,
    rangeKey,
    encoding: choice('encoding', def.encoding, ['emqx', 'native'] as const, 'emqx'),
    undefinedVarsAsNull: def.undefinedVarsAsNull === true || def.undefinedVarsAsNull === 'true',
    queryMode: choice('queryMode', def.queryMode, ['sync', 'async'] as const, 'async'),
    batchSize: whole('batchSize', def.batchSize, 'items'),
    batchTime: whole('batchTime', def.batchTime, 'ms'),
    inflightWindow: whole('inflightWindow', def.inflightWindow, 'requests'),
    requestTtl: whole('requestTtl', def.requestTtl, 'ms'),
    maxBufferBytes: whole('maxBufferBytes', def.maxBufferBytes, 'bytes'),
    bufferMode: choice('bufferMode', def.bufferMode, ['memory', 'disk'] as const, 'memory'),
    maxWriteUnits: whole('maxWriteUnits', def.maxWriteUnits, 'writeUnits'),
  };
}
