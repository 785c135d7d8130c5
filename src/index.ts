// The package's library export (DESIGN.md section 2): the EMQX rule SQL engine, usable
// without Node-RED.

export {
  compileRule, RuleSyntaxError, RuleEvaluationError, eventTopicOf, eventOfTopic, matchTopic, normalizeSource,
  sourceEvents, triggerTopicOf, EVENT_NAMES, PUBLISH_EVENT,
} from './rules';
export type { Rule, Row, RowOrigin, RuleStream, StreamOptions, StreamStats } from './rules';
