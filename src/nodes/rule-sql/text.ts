// The rule-sql node's runtime words (log lines, errors, the test API's answers) from its message
// catalog: nodes/locales/<lang>/rule-sql.json, section `rule-sql` (src/nodes/catalog.ts).
// Without Node-RED (the test API called directly, the bench) the English catalog answers.
import type { NodeAPI } from 'node-red';
import { nodeText, type NodeText } from '../catalog';

export type RuleSqlText = NodeText;

// A RED whose i18n knows nothing: nodeText then reads the English catalog.
const NO_I18N = { _: (key: string) => key } as unknown as NodeAPI;

/** The rule-sql words in Node-RED's runtime language, or English without a RED. */
export function ruleSqlText(RED?: NodeAPI): RuleSqlText {
  return nodeText(RED ?? NO_I18N, 'rule-sql');
}

/** English words, for callers that are given none. */
export const englishText: RuleSqlText = (key, vars) => ruleSqlText()(key, vars);
