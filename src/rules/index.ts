// The rule engine's public surface (DESIGN.md section 2): compile a statement, evaluate it
// on EMQX columns, and the topic helpers the nodes need to route inputs.

export { compileRule } from './compile-rule';
export type { Rule } from './rule';
export type { Row, RowOrigin, RuleStream, StreamOptions, StreamStats } from './stream/stream';
export { RuleSyntaxError, RuleEvaluationError } from './errors';
export {
  eventTopicOf, eventOfTopic, matchTopic, normalizeSource, sourceEvents, triggerTopicOf, EVENT_NAMES, PUBLISH_EVENT,
} from './topic';
export { looseEquals, compareOp } from './compare';
