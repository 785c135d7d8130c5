// Reads Prometheus' text exposition format with a real parser (parse-prometheus-text-format, a
// port of the Python client's parser, output as prom2json gives it), so tests check what a
// Prometheus server would read, not what a regular expression happens to match.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parse = require('parse-prometheus-text-format') as (text: string) => MetricFamily[];

export interface MetricFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'SUMMARY' | 'HISTOGRAM' | 'UNTYPED';
  metrics: { value: string; labels?: Record<string, string> }[];
}

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  return new Map(parse(text).map((f) => [f.name, f]));
}

/** The value of the series of `family` whose labels include `labels`; throws if none or several. */
export function sampleValue(families: Map<string, MetricFamily>, family: string, labels: Record<string, string>): number {
  const f = families.get(family);
  if (!f) throw new Error(`no metric family ${family}; have ${[...families.keys()].join(', ')}`);
  const found = f.metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  if (found.length !== 1) throw new Error(`${found.length} series of ${family} with ${JSON.stringify(labels)}: ${JSON.stringify(f.metrics)}`);
  return Number(found[0].value);
}
