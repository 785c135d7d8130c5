// The `rule-sql` node (DESIGN.md section 1.2): compiles its statement at deploy, turns each
// input into EMQX columns (src/events), evaluates, and sends one message per result row.
// Also serves the editor's SQL test and validation endpoints (section 5).

import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { stringifyJson } from '../../rules/exact-json';
import { compileRule, eventTopicOf, Rule, RuleSyntaxError, triggerTopicOf } from '../../index';
import { BROKER_LABELS, Columns, MessageColumnMapper, detachAedesClient, exampleTestContext, EVENT_TYPES, eventNameOf, isAedesMessage } from '../../events';
import { mqttNodeDescriber } from '../mqtt-node-client';
import { fit, formatCount, nodeText } from '../catalog';
import { runRuleTest, validateRule } from './test-api';
import { RuleStreamRunner, runnerProperties } from './stream-runner';
import { installRuntimeWords } from '../catalog';

export const DEFAULT_SQL = 'SELECT * FROM "t/#"';

export interface RuleSqlConfig extends NodeDef {
  name: string;
  sql: string;
  /** Stateful statements only (DESIGN.md section 1.2): event-time expression, ms, most groups, clock, checkpoints. */
  eventTime?: string;
  lateness?: number | string;
  maxGroups?: number | string;
  watermark?: string;
  checkpointInterval?: number | string;
  contextStore?: string;
}

/** EMQX's rule metrics, the ones a Node-RED rule can have. */
interface RuleCounters {
  matched: number;
  passed: number;
  failed: number;
  noResult: number;
}

/** What a running rule exposes on its node object for the metrics endpoint. */
export interface RuleRuntime {
  /**
   * `late` and `evicted`: only for a rule with a window (counted since this node started);
   * `stream`: every stateful rule's forgotten partitions (since then), open windows and
   * partitions (now) (DESIGN.md 5, 7).
   */
  metrics(): { id: string; name: string; counters: RuleCounters & { late?: number; evicted?: number }; stream?: RuleStreamCounts };
}

/** A stateful rule's state in its metrics: `forgotten` is a total, the others are gauges. */
export interface RuleStreamCounts {
  forgotten: number;
  openWindows: number;
  partitions: number;
}

// Status updates at most this often: a busy broker would otherwise flood the editor.
const STATUS_INTERVAL_MS = 500;

export default function register(RED: NodeAPI): void {
  installRuntimeWords(RED, ['rules', 'events', 'json']);
  // Status and log text from the locale catalog (src/nodes/catalog.ts), about 30 characters
  // for a status: the state and the one count that matters (the other counters are metrics).
  const text = nodeText(RED, 'rule-sql');
  const t = (key: string, params: Record<string, string | number>): string => text(key.replace(/^rule-sql\./, ''), params);

  function RuleSqlNode(this: Node, config: RuleSqlConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const name = config.name ?? '';
    const sql = typeof config.sql === 'string' && config.sql.trim() !== '' ? config.sql : DEFAULT_SQL;
    const counters: RuleCounters = { matched: 0, passed: 0, failed: 0, noResult: 0 };
    // Read by GET /dynamodb-sink/metrics?format=prometheus (src/plugins/dynamodb-sidebar.ts).
    (node as Node & { runtime?: RuleRuntime }).runtime = {
      metrics: () => {
        const window = runner?.windowCounts();
        const stream = runner?.streamCounts();
        return { id: node.id, name, counters: window ? { ...counters, ...window } : { ...counters }, ...(stream ? { stream } : {}) };
      },
    };
    let rule: Rule | undefined;
    // Why the rule is not running, for every message that reaches it meanwhile (Catch, counted).
    let notDeployed: string | undefined;
    try {
      rule = compileRule(sql, { id: node.id });
    } catch (err) {
      notDeployed = err instanceof Error ? err.message : String(err);
      if (err instanceof RuleSyntaxError) {
        node.error(t('rule-sql.errors.invalid-sql', { message: err.message }));
        node.status({
          fill: 'red', shape: 'ring',
          text: t('rule-sql.status.invalid', { line: err.line, column: err.column }),
        });
      } else {
        node.error(err instanceof Error ? err.message : String(err));
        node.status({ fill: 'red', shape: 'ring', text: t('rule-sql.status.broken', {}) });
      }
    }

    let statusTimer: NodeJS.Timeout | undefined;
    let statusDue = false;
    let runner: RuleStreamRunner | undefined;
    const showStatus = () => {
      const stats = runner?.stats;
      const n = { matched: formatCount(counters.matched), failed: formatCount(counters.failed) };
      if (stats !== undefined) {
        const w = {
          openWindows: formatCount(stats.openWindows), groups: formatCount(stats.groups), late: formatCount(stats.late),
          forgotten: formatCount(stats.forgotten), partitions: formatCount(stats.partitions), ...n,
        };
        // An analytic-only statement (had_changed(...) OVER (PARTITION BY ...)) has no windows:
        // it shows its matched count and the partitions it keeps.
        const windowed = runner?.windowCounts() !== undefined;
        const quiet = windowed ? 'windows' : 'partitions';
        const key = counters.failed > 0 ? (windowed ? 'windowsFailed' : 'matchedFailed') : stats.late > 0 ? 'windowsLate' : stats.forgotten > 0 ? 'forgotten' : quiet;
        node.status({ fill: counters.failed > 0 || stats.late > 0 || stats.forgotten > 0 ? 'yellow' : 'green', shape: 'dot', text: fit(text(`status.${key}`, w)) });
        return;
      }
      const key = counters.failed > 0 ? 'matchedFailed' : 'matched';
      node.status({ fill: counters.failed > 0 ? 'yellow' : 'green', shape: 'dot', text: fit(text(`status.${key}`, n)) });
    };
    const scheduleStatus = () => {
      if (statusTimer) {
        statusDue = true;
        return;
      }
      showStatus();
      statusTimer = setTimeout(function flush() {
        if (statusDue) {
          statusDue = false;
          showStatus();
          statusTimer = setTimeout(flush, STATUS_INTERVAL_MS);
        } else {
          statusTimer = undefined;
        }
      }, STATUS_INTERVAL_MS);
    };
    if (rule) node.status({});
    if (rule?.stateful) {
      try {
        runner = new RuleStreamRunner(node, rule, sql, runnerProperties(config, text), { id: node.id, name }, counters, () => scheduleStatus(), RED);
        runner.start();
      } catch (err) {
        // A bad eventTime, lateness or maxGroups: reported at deploy like a bad statement.
        const message = err instanceof Error ? err.message : String(err);
        node.error(t('rule-sql.errors.invalid-stream', { message }));
        node.status({ fill: 'red', shape: 'ring', text: t('rule-sql.status.invalid-stream', {}) });
        rule = undefined;
        runner = undefined;
        notDeployed = message;
      }
    }

    // A payload on a broker's lifecycle topic that is not that broker's format (DESIGN.md 3.1) is a
    // publish only: counted, warned about once (a misconfigured broker or subscription), then debug.
    const mapper = new MessageColumnMapper(mqttNodeDescriber(RED), (topic, broker, error) => {
      const line = text('log.notLifecyclePayload', { topic, broker: BROKER_LABELS[broker], error, count: mapper.brokerPayloadsRefused });
      if (mapper.brokerPayloadsRefused === 1) node.warn(line);
      else node.debug(line);
    });

    node.on('input', (msg: NodeMessageInFlow, send, done) => {
      if (!rule) {
        // The guide's rule for bad input: never dropped silently. The status stays red (it names
        // the line and column); each message fails with the reason and is counted.
        counters.failed++;
        done(new Error(text('errors.not-running', { name: name || node.id, reason: notDeployed ?? text('errors.not-compiled') })));
        return;
      }
      const input = msg as unknown as Record<string, unknown>;
      // The aedes test alone (mapper.kindOf would also test for a Status message, again inside columnsFrom).
      const aedes = isAedesMessage(input);
      let events: Columns[];
      try {
        events = mapper.columnsFrom(input);
      } catch (err) {
        done(err as Error);
        return;
      } finally {
        // The live aedes client must not reach a Catch node or anything else.
        if (aedes) detachAedesClient(input);
      }
      if (runner !== undefined) {
        runner.input(msg, events, send as never, done);
        return;
      }
      const out: Record<string, unknown>[] = [];
      let failure: unknown;
      for (const columns of events) {
        const trigger = triggerTopicOf(columns);
        if (!trigger || !rule.matches(columns)) continue;
        counters.matched++;
        try {
          const rows = rule.evaluateMatched(columns);
          if (rows === null) {
            counters.noResult++;
            continue;
          }
          counters.passed++;
          // Each row's msg.rule is its own object (a later node may change it); the first row takes
          // this one, built for the event, and only further rows copy it.
          const about = { id: node.id, name, event: columns.event };
          for (let i = 0; i < rows.length; i++) {
            out.push({ _msgid: msg._msgid, payload: rows[i], topic: trigger.topic, rule: i === 0 ? about : { ...about } });
          }
        } catch (err) {
          counters.failed++;
          failure ??= err;
        }
      }
      if (events.length > 0) scheduleStatus();
      if (out.length > 0) send([out] as unknown as NodeMessageInFlow[]);
      if (failure !== undefined) done(failure instanceof Error ? failure : new Error(String(failure)));
      else done();
    });

    node.on('close', (removed: boolean, done: () => void) => {
      if (statusTimer) clearTimeout(statusTimer);
      statusTimer = undefined;
      if (runner !== undefined) runner.close(removed === true, done);
      else done();
    });
  }

  RED.nodes.registerType('rule-sql', RuleSqlNode as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);

  const canWrite = RED.auth.needsPermission('rule-sql.write');
  const canRead = RED.auth.needsPermission('rule-sql.read');
  type Req = { body?: unknown; is(type: string): string | false | null; params: Record<string, string> };
  type Res = { status(code: number): Res; json(body: unknown): void; type(t: string): Res; send(body: string): void };
  const answer = (handler: (body: unknown) => { status: number; body: unknown }) => (req: Req, res: Res) => {
    if (!req.is('application/json')) {
      res.status(415).json({ code: 'UNSUPPORTED_MEDIA_TYPE', message: text('api.json-only') });
      return;
    }
    try {
      const { status, body } = handler(req.body);
      // A row may hold integers beyond 2^53 (BigInt): written with all their digits, as EMQX does.
      res.status(status).type('application/json').send(stringifyJson(body) ?? 'null');
    } catch (err) {
      res.status(500).json({ code: 'INTERNAL_ERROR', message: err instanceof Error ? err.message : String(err) });
    }
  };
  RED.httpAdmin.post('/rule-sql/test', canWrite, answer((body) => runRuleTest(body, text)) as never);
  RED.httpAdmin.post('/rule-sql/validate', canWrite, answer((body) => validateRule(body, text)) as never);
  // The event picker of the test panel: every event type with its topic and editable context.
  RED.httpAdmin.get('/rule-sql/events', canRead, ((_req: Req, res: Res) => {
    res.json(EVENT_TYPES.map((type) => {
      const event = eventNameOf(type) as string;
      return { event_type: type, event, topic: eventTopicOf(event) ?? 't/a', context: exampleTestContext(type) };
    }));
  }) as never);
}
